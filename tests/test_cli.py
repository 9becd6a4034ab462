"""The `copguard` command: formats, exit codes, options; in-process and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from copguard_lint import __version__
from copguard_lint import cli as cli_module
from helpers import run_process, write_tree

FINDING_KEYS = {"rule", "path", "line", "column", "end_line", "end_column", "severity", "message", "clauses",
                "fingerprint"}

TREE = {
    "app/views.py": "def show(user):\n    print(user.name)\n",
    "app/forms.py": "name = input()\n",
    "app/models.py": "class Message:\n    pass\n",
    "app/broken.py": "def f(:\n",
    "clean.py": "x = 1\n",
}


@pytest.fixture
def tree(in_tmp, test_rules):
    write_tree(in_tmp, TREE)
    return in_tmp


def payload_of(result) -> dict:
    return json.loads(result.stdout)


# -- text format ---------------------------------------------------------------------------


def test_text_format(tree, invoke):
    result = invoke("check", ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "app/broken.py:1:7: COP001 not checked: syntax error: invalid syntax",
        "app/forms.py:1:8: COP903 input() called",
        "app/models.py:1:7: COP902 class Message but no class Report in the project",
        "app/views.py:2:5: COP901 print() called",
        "Found 4 problems in 5 files (1 not analysable).",
    ]


def test_summary_line_for_a_clean_run(tree, invoke):
    result = invoke("check", "clean.py")
    assert result.exit_code == 0
    assert result.stdout == "No problems found in 1 file.\n"


def test_bare_copguard_checks_the_current_directory(tree, invoke):
    bare = invoke()
    assert bare.exit_code == 1
    assert bare.stdout == invoke("check", ".").stdout
    assert "Found 4 problems in 5 files" in bare.stdout


def test_paths_without_the_check_command(tree, invoke):
    assert invoke("app/views.py").stdout == invoke("check", "app/views.py").stdout
    assert invoke("app/views.py").exit_code == 1


def test_quiet_prints_only_the_summary(tree, invoke):
    result = invoke("check", "-q", ".")
    assert result.stdout == "Found 4 problems in 5 files (1 not analysable).\n"


def test_statistics(tree, invoke):
    result = invoke("check", "--statistics", ".")
    assert "     1  COP901  print-call" in result.stdout
    assert "     1  COP903  input-call" in result.stdout


# -- json format ---------------------------------------------------------------------------


def test_json_is_exactly_one_object_with_the_documented_shape(tree, invoke):
    result = invoke("check", "--format", "json", ".")
    assert result.exit_code == 1
    payload = payload_of(result)  # fails unless stdout is one JSON document
    assert {"version", "findings", "errors", "summary"} <= set(payload)
    assert payload["version"] == __version__
    for finding in payload["findings"]:
        assert set(finding) == FINDING_KEYS
    assert [(f["rule"], f["path"], f["line"], f["column"]) for f in payload["findings"]] == [
        ("COP001", "app/broken.py", 1, 7),
        ("COP903", "app/forms.py", 1, 8),
        ("COP902", "app/models.py", 1, 7),
        ("COP901", "app/views.py", 2, 5),
    ]
    views = payload["findings"][3]
    assert views == {
        "rule": "COP901", "path": "app/views.py", "line": 2, "column": 5, "end_line": 2, "end_column": 21,
        "severity": "medium", "message": "print() called", "clauses": ["TEST-1"],
        "fingerprint": views["fingerprint"],
    }
    assert len(views["fingerprint"]) >= 16
    assert payload["errors"] == [
        {"path": "app/broken.py", "reason": "syntax error: invalid syntax", "line": 1, "column": 7}
    ]
    assert payload["summary"]["files"] == 5
    assert payload["summary"]["findings"] == 4
    assert payload["summary"]["errors"] == 1


def test_json_stdout_stays_clean_when_there_are_notes_and_errors(tree, invoke):
    if hasattr(os, "symlink"):
        (tree / "dangling.py").symlink_to(tree / "nowhere.py")
    result = invoke("check", "--format", "json", ".", "missing_dir")
    assert result.exit_code == 2
    payload = payload_of(result)
    assert "missing_dir: no such file or directory" in result.stderr
    # The report says it too, for CI steps that read only the JSON.
    assert ("missing_dir", "no such file or directory (given on the command line)") in [
        (e["path"], e["reason"]) for e in payload["errors"]
    ]


def test_json_of_a_clean_run(tree, invoke):
    payload = payload_of(invoke("check", "--format", "json", "clean.py"))
    assert payload["findings"] == [] and payload["errors"] == []
    assert payload["summary"]["findings"] == 0


# -- exit codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, code",
    [
        (["clean.py"], 0),
        (["app/views.py"], 1),                                # medium >= low (default)
        (["app/forms.py"], 1),                                # low >= low
        (["--fail-on", "medium", "app/forms.py"], 0),
        (["--fail-on", "medium", "app/views.py"], 1),
        (["--fail-on", "high", "app/views.py", "app/forms.py"], 0),
        (["--fail-on", "high", "app/broken.py"], 1),          # COP001 is high
        (["--fail-on", "critical", "."], 0),
        (["--exit-zero", "."], 0),
        (["--exit-zero", ".", "nope.py"], 2),                 # --exit-zero never hides a 2
        (["--fail-on", "severe", "."], 2),
        (["--no-such-option", "."], 2),
        (["--select", "COP777", "."], 2),
    ],
)
def test_exit_codes(tree, invoke, args, code):
    result = invoke("check", *args)
    assert result.exit_code == code, result.output


def test_fail_on_from_config(tree, invoke):
    (tree / "pyproject.toml").write_text("[tool.copguard]\nfail-on = 'high'\n")
    assert invoke("check", "app/views.py").exit_code == 0
    assert invoke("check", "--fail-on", "low", "app/views.py").exit_code == 1


def test_config_error_with_exit_zero_still_exits_2(tree, invoke):
    (tree / "pyproject.toml").write_text("[tool.copguard]\nfail-on = 'never'\n")
    result = invoke("check", "--exit-zero", ".")
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.copguard] fail-on must be one of low, medium, high, critical" in result.stderr


def test_suppressed_findings_do_not_fail_the_run(tree, invoke):
    write_tree(tree, {"app/views.py": "def show(user):\n    print(user.name)  # noqa: COP901\n"})
    result = invoke("check", "app/views.py")
    assert result.exit_code == 0
    assert result.stdout == "No problems found in 1 file (1 suppressed).\n"


# -- --output -------------------------------------------------------------------------------


def test_output_file_text(tree, invoke):
    result = invoke("check", "--output", "report.txt", ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    report = (tree / "report.txt").read_text()
    assert report.endswith("Found 4 problems in 5 files (1 not analysable).\n")


def test_output_file_json_puts_the_summary_on_stderr(tree, invoke):
    (tree / "out").mkdir()
    result = invoke("check", "--format", "json", "-o", "out/report.json", ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads((tree / "out" / "report.json").read_text())["summary"]["findings"] == 4
    assert "Found 4 problems" in result.stderr


def test_output_to_a_missing_directory_is_a_clear_error(tree, invoke):
    result = invoke("check", "--format", "json", "--output", "no/such/dir/report.json", ".")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "copguard: error: cannot write no/such/dir/report.json: directory no/such/dir does not exist\n"
    assert not (tree / "no").exists()


def test_output_to_a_directory_is_a_usage_error(tree, invoke):
    (tree / "reports").mkdir()
    result = invoke("check", "--output", "reports", ".")
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


# -- stdin -------------------------------------------------------------------------------


def test_stdin(tree, invoke):
    result = invoke("check", "-", input="x = 1\nprint(x)\n")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["<stdin>:2:1: COP901 print() called", "Found 1 problem in 1 file."]


def test_stdin_filename_names_the_findings_and_selects_per_file_ignores(tree, invoke):
    (tree / "pyproject.toml").write_text("[tool.copguard.per-file-ignores]\n'scripts/*' = ['COP901']\n")
    named = invoke("check", "--stdin-filename", "app/new.py", "-", input="print(1)\n")
    assert named.stdout.splitlines()[0] == "app/new.py:1:1: COP901 print() called"
    ignored = invoke("check", "--stdin-filename", "scripts/new.py", "-", input="print(1)\n")
    assert ignored.exit_code == 0


def test_stdin_with_undecodable_bytes(tree, invoke):
    result = invoke("check", "--format", "json", "-", input=b"x = '\xff'\n")
    assert result.exit_code == 1
    assert [f["rule"] for f in payload_of(result)["findings"]] == ["COP001"]


# -- other commands and options ------------------------------------------------------------


def test_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"copguard, version {__version__}\n"


def test_rules_lists_the_registered_rules(test_rules, invoke):
    text = invoke("rules").stdout
    assert [line.split()[0] for line in text.splitlines()] == ["COP001", "COP901", "COP902", "COP903"]
    listing = json.loads(invoke("rules", "--format", "json").stdout)
    assert [(r["code"], r["scope"]) for r in listing] == [
        ("COP001", "file"), ("COP901", "file"), ("COP902", "project"), ("COP903", "file"),
    ]


def test_internal_error_is_a_message_and_exit_2(tree, monkeypatch, capsys):
    def explode(*args, **kwargs):
        raise RuntimeError("engine on fire")

    monkeypatch.setattr(cli_module, "Engine", explode)
    monkeypatch.delenv("COPGUARD_DEBUG", raising=False)
    with pytest.raises(SystemExit) as info:
        cli_module.main(["check", "."])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "copguard: internal error: RuntimeError: engine on fire" in err
    assert "Traceback" not in err
    monkeypatch.setenv("COPGUARD_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli_module.main(["check", "."])


def test_jobs_do_not_change_the_output(in_tmp, test_rules, invoke):
    files = {f"pkg{i % 3}/m{i:02d}.py": "print(1)\n" * (i % 4) + ("class Message: pass\n" if i % 5 == 0 else "")
             for i in range(24)}
    write_tree(in_tmp, files)
    one = invoke("check", "--format", "json", "--jobs", "1", ".")
    two = invoke("check", "--format", "json", "--jobs", "2", ".")
    assert one.exit_code == two.exit_code == 1
    assert one.stdout == two.stdout
    assert payload_of(one)["summary"]["files"] == 24


# -- as real processes ----------------------------------------------------------------------


def script() -> str:
    name = "copguard.exe" if os.name == "nt" else "copguard"
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.skip("the copguard script is not installed next to this interpreter")
    return str(path)


def test_module_and_script_versions(tmp_path):
    module = run_process(["--version"], tmp_path)
    assert module.returncode == 0
    assert module.stdout.decode() == f"copguard, version {__version__}\n"
    scripted = subprocess.run([script(), "--version"], cwd=str(tmp_path), capture_output=True, timeout=60)
    assert scripted.returncode == 0
    assert scripted.stdout == module.stdout


def test_module_and_script_give_the_same_report(tmp_path):
    write_tree(tmp_path, {"ok.py": "x = 1\n", "bad.py": "x = (\n", "worse.py": b"x = '\xff'\n"})
    module = run_process(["check", "--select", "COP001", "--format", "json", "."], tmp_path)
    scripted = subprocess.run([script(), "--select", "COP001", "--format", "json", "."], cwd=str(tmp_path),
                              capture_output=True, timeout=60)
    assert module.returncode == scripted.returncode == 1
    assert module.stdout == scripted.stdout
    payload = json.loads(module.stdout)
    assert [(f["rule"], f["path"]) for f in payload["findings"]] == [("COP001", "bad.py"), ("COP001", "worse.py")]
    assert payload["summary"]["files"] == 3


def test_process_json_is_identical_run_to_run_and_across_jobs(tmp_path):
    files = {f"pkg{i % 4}/mod_{i:02d}.py": "\n" * (i % 3) + "print(input())\n" * (i % 3 + 1) for i in range(22)}
    files["pkg0/models.py"] = "class Message:\n    pass\n"
    files["pkg1/broken.py"] = "def f(:\n"
    write_tree(tmp_path, files)
    args = ["check", "--format", "json", "."]
    first = run_process([*args, "--jobs", "1"], tmp_path, test_rules=True)
    second = run_process([*args, "--jobs", "1"], tmp_path, test_rules=True)
    parallel = run_process([*args, "--jobs", "2"], tmp_path, test_rules=True)
    assert first.returncode == 1, first.stderr
    assert first.stdout == second.stdout == parallel.stdout
    assert json.loads(first.stdout)["summary"]["files"] == 24


def test_process_no_traceback_for_usage_errors(tmp_path):
    done = run_process(["check", "--format", "yaml", "."], tmp_path)
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert b"Invalid value for '--format'" in done.stderr


def test_json_with_statistics_keeps_stdout_one_document(tree, invoke):
    result = invoke("check", "--format", "json", "--statistics", ".")
    assert payload_of(result)["summary"]["by_rule"] == {"COP001": 1, "COP901": 1, "COP902": 1, "COP903": 1}
    assert "COP901" in result.stderr
