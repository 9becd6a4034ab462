"""Security: scanned code never runs, symlinks never lead out of the tree, nothing is written
but the cache, the baseline and the requested report (atomically), and every report stays
valid and inert whatever the scanned file names and contents are.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Tuple

import pytest

from copguard_lint import output as output_module
from copguard_lint.output import write_atomic
from helpers import PYTHON, write_tree

# -- the scanned code is never imported or run ---------------------------------------------

# Names a Python process could pick up by accident: a dependency shadowed from the working
# directory (`python -m` puts it on sys.path), hooks, packages, plugins.
TRAP_NAMES = (
    "app.py", "setup.py", "conftest.py", "sitecustomize.py", "usercustomize.py", "__init__.py",
    "__main__.py", "click.py", "libcst.py", "tomli.py", "copguard_plugin.py", "pkg/__init__.py",
    "pkg/views.py", "pkg/sub/__init__.py", "stubs.pyi",
)


def trap_tree(root: Path, marker_dir: Path) -> None:
    for name in TRAP_NAMES:
        marker = marker_dir / (name.replace("/", "_") + ".ran")
        write_tree(root, {name: (
            "import logging\n"
            f"open({str(marker)!r}, 'w').write('imported')\n"
            "def register(child):\n"
            "    logging.info('new child %s', child.email)\n"
        )})


def run_module(args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    environment = dict(os.environ, **(env or {}))
    environment.pop("COPGUARD_DEBUG", None)
    return subprocess.run([PYTHON, "-m", "copguard_lint", *args], cwd=str(cwd), env=environment,
                          capture_output=True, timeout=300)


def test_scanned_code_is_never_run_in_process(tmp_path, monkeypatch, invoke):
    markers = tmp_path / "markers"
    markers.mkdir()
    tree = tmp_path / "tree"
    trap_tree(tree, markers)
    monkeypatch.chdir(tree)
    for args in (["check", "--no-cache", "."], ["check", "-j", "2", "--no-cache", "--format", "sarif", "."],
                 ["coverage", "--format", "html", "-o", str(tmp_path / "c.html"), "."]):
        result = invoke(*args)
        assert result.exit_code in (0, 1), result.output
    assert list(markers.iterdir()) == []


def test_scanned_code_is_never_run_by_a_real_process_started_in_the_tree(tmp_path):
    """`python -m copguard_lint` from inside the scanned tree: its click.py/libcst.py stay unread."""
    markers = tmp_path / "markers"
    markers.mkdir()
    tree = tmp_path / "tree"
    trap_tree(tree, markers)
    for args in (["check", "."], ["check", "-j", "2", "--format", "json", "."]):
        done = run_module(args, tree)
        assert done.returncode == 1, done.stderr.decode()
        assert b"Traceback" not in done.stderr
    payload = json.loads(done.stdout)
    assert {f["path"] for f in payload["findings"]} >= {"click.py", "libcst.py", "setup.py", "pkg/views.py"}
    assert list(markers.iterdir()) == []


# -- symlinks out of the scanned tree ---------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinks_out_of_the_tree_are_not_followed(tmp_path, monkeypatch, invoke):
    outside = write_tree(tmp_path / "outside", {"secret.py": "import logging\nlogging.info('%s', child.email)\n",
                                                "pkg/leak.py": "import logging\nlogging.info('%s', child.email)\n"})
    tree = write_tree(tmp_path / "tree", {"app.py": "x = 1\n"})
    os.symlink(outside / "secret.py", tree / "secret_link.py")
    os.symlink(outside / "pkg", tree / "pkg_link")
    os.symlink(outside / "pkg", tree / "pkg_link.py")
    os.symlink("../outside/secret.py", tree / "relative_link.py")
    monkeypatch.chdir(tree)
    result = invoke("check", "--no-cache", "--format", "json", ".")
    payload = json.loads(result.stdout)
    assert payload["summary"]["files"] == 1 and payload["findings"] == []
    assert "secret_link.py: symlink pointing outside the scanned tree (not followed)" in result.stderr
    assert "relative_link.py: symlink pointing outside the scanned tree (not followed)" in result.stderr
    assert "pkg_link.py: symlink to a directory (not followed)" in result.stderr
    assert "leak" not in result.output and "secret.py" not in result.stdout


# -- nothing written but the cache, the baseline and the report -------------------------------


def snapshot(root: Path) -> Dict[str, Tuple[str, str]]:
    """Every path under root with its kind and content digest (symlinks: their target)."""
    out = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                out[relative] = ("dir", "")
            else:
                out[relative] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def test_nothing_is_written_outside_the_cache_the_baseline_and_the_report(tmp_path):
    base = tmp_path / "sandbox"
    home, temp = base / "home", base / "tmp"
    home.mkdir(parents=True)
    temp.mkdir()
    tree = write_tree(base / "repo", {
        "pyproject.toml": "[tool.copguard]\naudience = 'children'\n",
        "app/views.py": "import logging\n\ndef register(child):\n    logging.info('hi %s', child.email)\n",
        "app/broken.py": "def f(:\n",
        "app/__init__.py": "",
        **{f"app/m{i}.py": f"x{i} = {i}\n" for i in range(10)},
    })
    env = {"HOME": str(home), "TMPDIR": str(temp), "XDG_CACHE_HOME": str(home / ".cache")}
    assert run_module(["baseline", "create", "--baseline", "base.json", "."], tree, env).returncode == 0
    before = snapshot(base)
    runs = [
        ["check", "--baseline", "base.json", "--format", "json", "-o", "out/report.json", "-j", "2", "."],
        ["check", "--format", "sarif", "-o", "out/report.sarif", "."],
        ["coverage", "--format", "html", "-o", "out/coverage.html", "."],
        ["baseline", "prune", "--baseline", "base.json", "."],
    ]
    (tree / "out").mkdir()
    before["repo/out"] = ("dir", "")
    for args in runs:
        done = run_module(args, tree, env)
        assert done.returncode in (0, 1), done.stderr.decode()
    after = snapshot(base)
    allowed = {"repo/out/report.json", "repo/out/report.sarif", "repo/out/coverage.html", "repo/base.json"}
    changed = {path for path in set(before) | set(after) if before.get(path) != after.get(path)}
    unexpected = {path for path in changed if path not in allowed and not path.startswith("repo/.copguard_cache")}
    assert unexpected == set()
    assert {"repo/out/report.json", "repo/out/report.sarif", "repo/out/coverage.html"} <= changed
    assert "repo/.copguard_cache/CACHEDIR.TAG" in after  # the cache was in use
    assert not any(name.endswith(".tmp") for name in after)  # no temporary file left behind


# -- atomic writes -----------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    target.write_text("old report\n", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new report\n")
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_failed_report_write_is_a_message_and_exit_2(tmp_path, monkeypatch, invoke, test_rules):
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"a.py": "print(user.name)\n", "report.txt": "old\n"})
    monkeypatch.setattr(output_module.os, "replace", lambda *_: (_ for _ in ()).throw(OSError(28, "No space left")))
    result = invoke("check", "--no-cache", "-o", "report.txt", "a.py")
    assert result.exit_code == 2
    assert "copguard: error: cannot write report.txt: No space left" in result.stderr
    assert (tmp_path / "report.txt").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "report.txt"]


# -- reports stay valid and inert for odd names and contents -------------------------------------

ODD_NAMES = [
    "quote\"and'apostrophe.py",
    "back\\slash.py",
    "ctl\x01\x1b[31mred.py",
    "tab\tand\nnewline.py",
    "élève 日本語 😀.py",
    "<img src=x onerror=alert(1)>.py",
]


def odd_tree(root: Path) -> Dict[str, str]:
    source = (
        "import logging\n"
        "BANNER = \"</script><script>alert('x')</script>\\u2028\\x00\"\n"
        "def register(child):\n"
        "    logging.info('</script> %s \"\\\\ \\x1b', child.email)  # copguard: ignore[COP101] -- <b>ok</b> \"q\"\n"
        "    logging.info('hi %s', child.email)\n"
    )
    for name in ODD_NAMES:
        write_tree(root, {f"app/{name}": source})
    if sys.platform == "linux":
        with open(os.fsencode(root / "app") + b"/not-utf8-\xff\xfe.py", "wb") as handle:
            handle.write(source.encode())
    return {name: source for name in ODD_NAMES}


def expected_paths() -> set:
    names = {f"app/{name}" for name in ODD_NAMES}
    if sys.platform == "linux":
        names.add("app/" + os.fsdecode(b"not-utf8-\xff\xfe.py"))
    return names


@pytest.mark.parametrize("output_format", ["json", "sarif", "gitlab"])
def test_machine_formats_stay_valid_json_for_odd_names(tmp_path, monkeypatch, invoke, output_format):
    monkeypatch.chdir(tmp_path)
    odd_tree(tmp_path)
    result = invoke("check", "--no-cache", "--format", output_format, ".")
    assert result.exit_code == 1, result.output
    to_stdout = json.loads(result.stdout)
    assert invoke("check", "--no-cache", "--format", output_format, "-o", "report.out", ".").exit_code == 1
    written = (tmp_path / "report.out").read_bytes()
    assert json.loads(written.decode("utf-8")) == to_stdout  # valid UTF-8 on disk too
    if output_format == "json":
        assert {f["path"] for f in to_stdout["findings"]} == expected_paths()
    if output_format == "sarif":
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in to_stdout["runs"][0]["results"]}
        assert "app/back%5Cslash.py" in uris and "app/tab%09and%0Anewline.py" in uris
        if sys.platform == "linux":
            assert "app/not-utf8-%FF%FE.py" in uris


@pytest.mark.parametrize(
    "output_format, io_encoding",
    [("json", "utf-8:surrogateescape"), ("sarif", "utf-8:surrogateescape"), ("gitlab", "utf-8:surrogateescape"),
     ("sarif", "utf-8")],  # C.UTF-8 locales write surrogates as raw bytes; strict ones cannot write them
)
def test_machine_formats_on_a_real_stdout_are_valid_utf8_json(tmp_path, output_format, io_encoding):
    odd_tree(tmp_path)
    done = run_module(["check", "--no-cache", "--format", output_format, "."], tmp_path,
                      {"PYTHONIOENCODING": io_encoding})
    assert done.returncode == 1, done.stderr.decode()
    json.loads(done.stdout.decode("utf-8"))


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)


@pytest.mark.skipif(sys.platform == "win32", reason="file names with < > on the filesystem")
def test_html_coverage_report_escapes_names_that_close_script_tags(tmp_path, monkeypatch, invoke):
    """A path that reads `x</script><img ...>.py` (a directory `x<` and a file `script><img ...>.py`)."""
    monkeypatch.chdir(tmp_path)
    odd_tree(tmp_path)
    write_tree(tmp_path, {"x</script><img src=y onerror=alert(2)>.py": (tmp_path / "app" / ODD_NAMES[0]).read_text()})
    assert invoke("coverage", "--no-cache", "--format", "html", "-o", "report.html", ".").exit_code == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "x&lt;/script&gt;&lt;img src=y onerror=alert(2)&gt;.py" in page
    assert "&lt;b&gt;ok&lt;/b&gt; &quot;q&quot;" in page  # a suppression reason from the scanned code
    dom = _Tags()
    dom.feed(page)
    assert "script" not in dom.tags and "img" not in dom.tags
    assert not {"onerror", "src"} & set(dom.attributes)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlinks_planted_in_the_cache_directory_are_not_written_through(tmp_path, monkeypatch, invoke, test_rules):
    """A repository can ship `.copguard_cache/` with links in it; the cache must not write through them."""
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = write_tree(tmp_path / "repo", {"a.py": "print(user.name)\n"})
    cache = tree / ".copguard_cache"
    cache.mkdir()
    os.symlink(outside, cache / "v1")
    os.symlink(outside / "planted-tag", cache / "CACHEDIR.TAG")
    os.symlink(outside / "planted-ignore", cache / ".gitignore")
    monkeypatch.chdir(tree)
    monkeypatch.delenv("COPGUARD_CACHE_DIR", raising=False)
    for _ in range(2):
        result = invoke("check", ".")
        assert result.exit_code == 1 and "a.py:1:1: COP901 print() called" in result.stdout
    assert list(outside.iterdir()) == []


def test_text_output_shows_control_characters_in_names_as_escapes(tmp_path, monkeypatch, invoke):
    monkeypatch.chdir(tmp_path)
    odd_tree(tmp_path)
    result = invoke("check", "--no-cache", ".")
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\x01" not in result.stdout and "\t" not in result.stdout
    assert "app/ctl\\x01\\x1b[31mred.py:5:5: COP101" in result.stdout
    assert "app/tab\\x09and\\x0anewline.py:5:5: COP101" in result.stdout
    paths = {line.split(":")[0] for line in result.stdout.splitlines()[:-1]}
    assert len(paths) == len(expected_paths())  # one line per finding, none split by a newline in a name
