"""The flake8 plugin (entry point `COP`): same findings and messages as the CLI, flake8's noqa."""

from __future__ import annotations

import ast
import json

import pytest

from copguard_lint import flake8_plugin
from copguard_lint.flake8_plugin import CopguardChecker
from helpers import lines_of, run_process, write_tree


def flake8(tmp_path, *args, stdin=None):
    return run_process(["--isolated", "--select", "COP", *args], tmp_path, test_rules=True, stdin=stdin,
                       module="flake8")


def copguard(tmp_path, *args, stdin=None):
    return run_process(list(args), tmp_path, test_rules=True, stdin=stdin)


NOQA_SOURCE = """\
print(1)  # noqa: COP901
print(2)  # noqa: COP903
print(3)  # noqa
print(4)  # noqa:COP9
print(5)  # noqa: E501,COP901
# noqa: COP901
print(6)
send(
    print(7),  # noqa: COP901
)  # noqa: COP901
send(print(8),
     x)  # noqa: COP901
x = print('''
''')  # noqa: COP901
print(10)  # copguard: ignore[COP901] -- allowed in the CLI tool
# copguard: ignore[COP901] -- the line above
print(11)
input()
"""


@pytest.fixture(autouse=True)
def fresh_engines():
    flake8_plugin._engines.clear()
    yield
    flake8_plugin._engines.clear()


def test_plugin_is_registered(tmp_path):
    done = run_process(["--version"], tmp_path, module="flake8")
    assert done.returncode == 0
    assert b"copguard-lint" in done.stdout


def test_findings_and_messages_match_the_cli(tmp_path):
    write_tree(tmp_path, {"app/a.py": "print(1)\nx = input()\n", "app/b.py": "def f():\n    print(2)\n",
                          "clean.py": "x = 1\n"})
    done = flake8(tmp_path, "app", "clean.py")
    assert done.returncode == 1, done.stderr
    assert lines_of(done.stdout.decode()) == [
        "app/a.py:1:1: COP901 print() called",
        "app/a.py:2:5: COP903 input() called",
        "app/b.py:2:5: COP901 print() called",
    ]
    cli = copguard(tmp_path, "check", "app", "clean.py")
    assert lines_of(cli.stdout.decode())[:-1] == lines_of(done.stdout.decode())


def test_noqa_works_as_flake8_users_expect(tmp_path):
    write_tree(tmp_path, {"m.py": NOQA_SOURCE})
    done = flake8(tmp_path, "m.py")
    reported = [(line.split(":")[1], line.split()[1]) for line in lines_of(done.stdout.decode())]
    # flake8's own rules: a bare noqa silences everything on its line; a noqa on its own
    # line or inside a multi-line call covers only that physical line.
    assert reported == [("2", "COP901"), ("7", "COP901"), ("11", "COP901"), ("18", "COP903")]


def test_cli_honours_the_same_noqa_comments_except_bare_noqa(tmp_path):
    write_tree(tmp_path, {"m.py": NOQA_SOURCE})
    done = copguard(tmp_path, "check", "--format", "json", "m.py")
    reported = [(str(f["line"]), f["rule"]) for f in json.loads(done.stdout)["findings"]]
    assert reported == [("2", "COP901"), ("3", "COP901"), ("7", "COP901"), ("11", "COP901"), ("18", "COP903")]


def test_stdin(tmp_path):
    done = flake8(tmp_path, "-", stdin=b"x = 1\nprint(x)\n")
    assert lines_of(done.stdout.decode()) == ["stdin:2:1: COP901 print() called"]
    named = flake8(tmp_path, "--stdin-display-name", "app/views.py", "-", stdin=b"print(1)  # noqa: COP901\n"
                   b"print(2)\n")
    assert lines_of(named.stdout.decode()) == ["app/views.py:2:1: COP901 print() called"]


def test_file_python_accepts_but_libcst_cannot_parse_is_cop001(tmp_path):
    # CPython allows a backslash continuation on an indented blank line; libcst's parser does not.
    source = "if True:\n    \\\n    x = 1\nprint(x)\n"
    try:
        ast.parse(source)
    except SyntaxError:
        pytest.skip("this Python's parser rejects the sample too (3.9 does); the case needs one that accepts it")
    write_tree(tmp_path, {"odd.py": source, "ok.py": "print(1)\n"})
    done = flake8(tmp_path, ".")
    out = lines_of(done.stdout.decode())
    assert len(out) == 2, out
    path, _line, _column, message = out[0].split(":", 3)
    assert path == "./odd.py"
    assert message.startswith(" COP001 not checked: syntax error (libcst parser): ")
    assert out[1] == "./ok.py:1:1: COP901 print() called"


def test_syntax_error_is_left_to_flake8(tmp_path):
    # flake8 reports E999 itself and runs no plugin on a file Python cannot parse.
    write_tree(tmp_path, {"bad.py": "def f(:\n"})
    done = run_process(["--isolated", "--select", "E9,COP", "bad.py"], tmp_path, test_rules=True, module="flake8")
    assert [line.split()[1] for line in lines_of(done.stdout.decode())] == ["E999"]


def test_copguard_config_applies_in_flake8(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.copguard]\nignore = ['COP903']\n[tool.copguard.per-file-ignores]\n"
                          "'scripts/*' = ['COP901']\n",
        "scripts/tool.py": "print(input())\n",
        "app.py": "print(input())\n",
    })
    done = flake8(tmp_path, "app.py", "scripts/tool.py")
    assert lines_of(done.stdout.decode()) == ["app.py:1:1: COP901 print() called"]


def test_config_error_is_reported_once_not_a_crash(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.copguard]\naudience = 'kids'\n", "a.py": "print(1)\n"})
    done = flake8(tmp_path, "a.py")
    (line,) = lines_of(done.stdout.decode())
    assert line.startswith("a.py:1:1: COP001 not checked: configuration error: pyproject.toml: [tool.copguard] "
                           "audience must be one of")
    assert b"Traceback" not in done.stderr


def test_checker_in_process(tmp_path, monkeypatch, test_rules):
    monkeypatch.chdir(tmp_path)
    lines = ["import os\n", "print(os.name)  # copguard: ignore[COP901] -- ok\n", "print(1)\n"]
    checker = CopguardChecker(ast.parse("".join(lines)), "m.py", lines)
    assert list(checker.run()) == [(3, 0, "COP901 print() called", CopguardChecker)]
