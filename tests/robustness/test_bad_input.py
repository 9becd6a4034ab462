"""Bad input the other test modules leave out: each case is a clear COP001 (or a message and
exit 2), every other file is still checked, and no traceback ever reaches the user.

Already covered elsewhere (not repeated here): syntax errors, NUL bytes, invalid UTF-8, latin-1
cookies, BOMs, CRLF/CR/mixed line endings, empty files and deep nesting (test_source.py,
test_engine.py); directories named `x.py`, symlink loops, dangling symlinks, FIFOs, unreadable
files and directories, missing command-line paths (test_discovery.py, test_engine.py);
configuration errors (test_config.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import libcst as cst
import pytest

import copguard_lint.cli as cli_module
from copguard_lint.config import Settings
from copguard_lint.engine import Engine
from copguard_lint.rule import Rule
from copguard_lint.rules.engine_rules import UnanalysableFile
from copguard_lint.source import MAX_SOURCE_BYTES
from copguard_lint.timeouts import FileTimeout, file_time_limit, limits_available
from helpers import make_engine, run_process, write_tree


def cop001(result):
    return [f.message for f in result.findings if f.rule == "COP001"]


# -- files that are not Python source --------------------------------------------------------


def test_binary_file_named_py_without_nul_bytes_names_the_byte():
    png = b"\x89PNG\r\n\x1a\n\xff\xfe\x01\x02\x7f"
    result = make_engine().lint_source("logo.py", png)
    assert cop001(result) == [
        "not checked: cannot be decoded as utf-8: byte 0x89 at offset 0; "
        "add a coding declaration (PEP 263) if the file is not UTF-8"
    ]


def test_mixed_tabs_and_spaces_is_cpythons_taberror():
    for source in ("if x:\n\tif y:\n        print(1)\n", "if x:\n        if y:\n\tprint(1)\n"):
        result = make_engine().lint_source("m.py", source)
        assert cop001(result) == ["not checked: syntax error: inconsistent use of tabs and spaces in indentation"]
        assert result.findings[0].line == 3


def test_tabs_used_consistently_are_fine():
    result = make_engine().lint_source("m.py", "if x:\n\tif y:\n\t\tprint(1)\n")
    assert [f.rule for f in result.findings] == ["COP901"]


def test_very_long_line_is_analysed():
    source = 'BANNER = "' + "a" * 2_000_000 + '"; print(user.name)\n'
    started = time.monotonic()
    result = make_engine().lint_source("m.py", source)
    assert time.monotonic() - started < 20
    assert [(f.rule, f.line, f.column) for f in result.findings] == [("COP901", 1, 2_000_014)]


def test_file_over_10_mb_is_cop001_without_being_parsed(tmp_path, monkeypatch):
    big = tmp_path / "generated.py"
    big.write_bytes(b"x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1))
    write_tree(tmp_path, {"small.py": "print(user.name)\n"})
    monkeypatch.setattr(cst, "parse_module", lambda *a, **k: pytest.fail("a file over the limit was parsed"))
    result = make_engine().run([(big, "generated.py")])
    assert cop001(result) == ["not checked: file is too large to analyse (10.0 MB; the limit is 10 MB)"]
    # Source passed as bytes (stdin, the flake8 plugin) is held to the same limit.
    assert cop001(make_engine().lint_source("stdin.py", big.read_bytes())) == cop001(result)


def test_file_over_10_mb_and_a_normal_file_via_the_cli(in_tmp, test_rules, invoke):
    (in_tmp / "generated.py").write_bytes(b"# padding\n" * (MAX_SOURCE_BYTES // 10 + 1))
    write_tree(in_tmp, {"app.py": "print(user.name)\n"})
    result = invoke("check", ".")
    assert result.exit_code == 1
    assert "app.py:1:1: COP901 print() called" in result.stdout
    assert "generated.py:1:1: COP001 not checked: file is too large to analyse" in result.stdout


# -- paths -------------------------------------------------------------------------------------


def test_paths_with_spaces_and_non_ascii_names(in_tmp, test_rules, invoke):
    write_tree(in_tmp, {
        "my app/vues été/élève.py": "print(élève.prénom)\n",
        "my app/日本語.py": "def f(:\n",
        "my app/ok.py": "x = 1\n",
    })
    result = invoke("check", "my app")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "my app/vues été/élève.py:1:1: COP901 print() called",
        "my app/日本語.py:1:7: COP001 not checked: syntax error: invalid syntax",
        "Found 2 problems in 3 files (1 not analysable).",
    ]
    named = invoke("check", "my app/vues été/élève.py", "my app/ok.py")
    assert named.exit_code == 1 and "élève.py:1:1: COP901" in named.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="needs a filesystem that accepts any bytes in names")
def test_file_name_that_is_not_utf8(in_tmp, test_rules, invoke):
    os.mkdir(b"pkg")
    with open(b"pkg/caf\xe9.py", "wb") as handle:
        handle.write(b"print(user.name)\n")
    result = invoke("check", "pkg")
    assert result.exit_code == 1
    assert "COP901 print() called" in result.output


def test_missing_path_among_good_ones_exits_2_after_checking_the_rest(in_tmp, test_rules, invoke):
    write_tree(in_tmp, {"a.py": "print(user.name)\n"})
    result = invoke("check", "a.py", "no such dir/", "gone.py")
    assert result.exit_code == 2
    assert "a.py:1:1: COP901 print() called" in result.stdout
    assert "copguard: error: no such dir/: no such file or directory" in result.stderr
    assert "copguard: error: gone.py: no such file or directory" in result.stderr
    assert "Traceback" not in result.output


# -- files that change while the run goes on -----------------------------------------------------


def test_files_that_change_or_disappear_during_the_scan(in_tmp, test_rules, invoke, monkeypatch):
    import shutil

    tree = {name: "print(user.name)\n" for name in (
        "app/deleted.py", "app/now_a_directory.py", "app/now_broken.py", "app/now_binary.py", "app/steady.py",
    )}
    real_discover = cli_module.discover

    def discover_then_change(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (in_tmp / "app/deleted.py").unlink()
        (in_tmp / "app/now_a_directory.py").unlink()
        (in_tmp / "app/now_a_directory.py").mkdir()
        (in_tmp / "app/now_broken.py").write_text("def f(:\n", encoding="utf-8")
        (in_tmp / "app/now_binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
        return found

    monkeypatch.setattr(cli_module, "discover", discover_then_change)
    outputs = {}
    for output_format in ("text", "sarif", "json"):
        shutil.rmtree(in_tmp / "app", ignore_errors=True)
        write_tree(in_tmp, tree)
        result = invoke("check", "--format", output_format, "app")
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        outputs[output_format] = result.stdout
    assert outputs["text"].splitlines() == [
        "app/deleted.py:1:1: COP001 not checked: disappeared before it could be read",
        "app/now_a_directory.py:1:1: COP001 not checked: is a directory, not a Python file",
        "app/now_binary.py:1:1: COP001 not checked: file contains NUL bytes (binary data, not Python source)",
        "app/now_broken.py:1:7: COP001 not checked: syntax error: invalid syntax",
        "app/steady.py:1:1: COP901 print() called",
        "Found 5 problems in 5 files (4 not analysable).",
    ]
    import json

    assert len(json.loads(outputs["sarif"])["runs"][0]["invocations"][0]["toolExecutionNotifications"]) == 4
    assert json.loads(outputs["json"])["summary"]["errors"] == 4


# -- the per-file time limit ---------------------------------------------------------------------


class SlowRule(Rule):
    """Takes `seconds` on every call to `slow(seconds)` (a stand-in for a pathological file)."""

    code = "COP905"
    name = "slow"
    summary = "Sleeps on slow() (test rule for the time limit)"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "slow":
            time.sleep(float(node.args[0].value.value))
            self.report(node, "slow() finished")


def slow_engine(timeout: float) -> Engine:
    return Engine(Settings(file_timeout=timeout), rules=[UnanalysableFile, SlowRule])


needs_alarm = pytest.mark.skipif(not limits_available(), reason="no POSIX interval timer here")


@needs_alarm
def test_a_file_over_the_time_limit_is_cop001_and_the_others_are_still_checked(tmp_path):
    files = write_tree(tmp_path, {"a.py": "slow(0.01)\n", "b.py": "slow(30)\n", "c.py": "slow(0.01)\n"})
    started = time.monotonic()
    result = slow_engine(0.3).run([(files / name, name) for name in ("a.py", "b.py", "c.py")])
    assert time.monotonic() - started < 10
    assert [(f.path, f.rule, f.message) for f in result.findings] == [
        ("a.py", "COP905", "slow() finished"),
        ("b.py", "COP001", "not checked: analysis exceeded 0.3 s (file-timeout)"),
        ("c.py", "COP905", "slow() finished"),
    ]
    assert [error.reason for error in result.errors] == ["analysis exceeded 0.3 s (file-timeout)"]


@needs_alarm
def test_time_limit_in_worker_processes(tmp_path):
    names = [f"m{i}.py" for i in range(8)]
    files = write_tree(tmp_path, {name: ("slow(30)\n" if name == "m3.py" else "slow(0)\n") for name in names})
    result = slow_engine(0.5).run([(files / name, name) for name in names], jobs=2)
    assert [(f.path, f.rule) for f in result.findings] == [
        (name, "COP001" if name == "m3.py" else "COP905") for name in names
    ]


def test_zero_means_no_limit_and_other_threads_have_none():
    assert slow_engine(0).lint_source("m.py", "slow(0.2)\n").findings[0].rule == "COP905"
    out = []
    worker = threading.Thread(target=lambda: out.append(slow_engine(0.05).lint_source("m.py", "slow(0.2)\n")))
    worker.start()
    worker.join()
    assert [f.rule for f in out[0].findings] == ["COP905"]  # documented: no limit outside the main thread


@needs_alarm
def test_time_limit_restores_an_outer_timer_and_handler():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 100)
        assert slow_engine(0.1).lint_source("m.py", "slow(5)\n").findings[0].rule == "COP001"
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100
        with pytest.raises(FileTimeout):
            with file_time_limit(0.05):
                time.sleep(2)
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 90 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@needs_alarm
def test_file_timeout_on_the_command_line_in_a_real_process(tmp_path):
    big = "import logging\n" + 'logging.info("%s", child.email)\n' * 20_000
    write_tree(tmp_path, {"big.py": big, "small.py": "import logging\n"})
    done = run_process(["check", "--file-timeout", "0.01", "big.py", "small.py"], cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.decode().splitlines()[0] == "big.py:1:1: COP001 not checked: analysis exceeded 0.01 s (file-timeout)"
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "value, expected",
    [
        ('"fast"', "must be a number of seconds from 0 (no limit) to 86400, got a string ('fast')"),
        ("-1", "must be a number of seconds from 0 (no limit) to 86400, got a number (-1)"),
        ("true", "must be a number of seconds from 0 (no limit) to 86400, got a boolean (True)"),
    ],
)
def test_file_timeout_config_errors(in_tmp, test_rules, invoke, value, expected):
    write_tree(in_tmp, {"pyproject.toml": f"[tool.copguard]\nfile-timeout = {value}\n", "a.py": "x = 1\n"})
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert f"pyproject.toml: [tool.copguard] file-timeout {expected}" in result.stderr


def test_file_timeout_from_config_and_its_misspelling(in_tmp, test_rules, invoke):
    write_tree(in_tmp, {"pyproject.toml": "[tool.copguard]\nfile-timeout = 2.5\n", "a.py": "x = 1\n"})
    assert invoke("check", ".").exit_code == 0
    write_tree(in_tmp, {"pyproject.toml": "[tool.copguard]\nfile_timeout = 2\n"})
    result = invoke("check", ".")
    assert result.exit_code == 2 and "unknown key 'file_timeout' (did you mean 'file-timeout'?)" in result.stderr
    assert invoke("check", "--file-timeout", "-3", ".").exit_code == 2


@pytest.mark.parametrize(
    "toml, needles",
    [
        ("[tool.copguard\n", ["pyproject.toml: not valid TOML"]),
        ("[tool.copguard]\njobs = 'many'\n", ["[tool.copguard] jobs", "whole number"]),
        ("[tool.copguard]\nselct = ['COP1']\n", ["unknown key 'selct'", "did you mean 'select'"]),
        ("[tool.copguard]\nignore = ['COP999']\n", ["[tool.copguard] ignore", "'COP999'"]),
    ],
)
def test_configuration_errors_name_file_key_and_expectation(in_tmp, test_rules, invoke, toml, needles):
    write_tree(in_tmp, {"pyproject.toml": toml, "a.py": "x = 1\n"})
    result = invoke("check", "--exit-zero", ".")
    assert result.exit_code == 2
    assert result.stderr.startswith("copguard: error: ")
    for needle in needles:
        assert needle in result.stderr
    assert "Traceback" not in result.output
