"""Baselines: `copguard baseline create|prune` and `copguard check --baseline FILE`."""

from __future__ import annotations

import json

import pytest
from ci_support import cli, write

from copguard_lint import __version__
from copguard_lint.baseline import (
    DEFAULT_BASELINE,
    SCHEMA_VERSION,
    Baseline,
    BaselineEntry,
    BaselineError,
    in_scope,
    load_baseline,
    parse_baseline,
)

APP = "import os\n\nprint('hello')\nvalue = input()\n"
LIB = "def helper():\n    print('from lib')\n"


@pytest.fixture
def project(in_tmp, test_rules):
    write(in_tmp, {"app/main.py": APP, "lib/util.py": LIB})
    return in_tmp


def findings(*args):
    result = cli("check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def create(*args):
    result = cli("baseline", "create", *args)
    assert result.exit_code == 0, result.stderr
    return result


# -- create ------------------------------------------------------------------------------


def test_create_writes_every_finding(project):
    before = findings(".")["findings"]
    result = create(".")
    assert "wrote 3 entries to .copguard-baseline.json (2 files scanned)" in result.stderr
    data = json.loads((project / DEFAULT_BASELINE).read_text(encoding="utf-8"))
    assert data["tool"] == "copguard-lint"
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["version"] == __version__
    entries = data["entries"]
    assert sorted(e["fingerprint"] for e in entries) == sorted(f["fingerprint"] for f in before)
    by_print = {e["fingerprint"]: e for e in entries}
    for item in before:
        entry = by_print[item["fingerprint"]]
        assert (entry["rule"], entry["path"], entry["message"]) == (item["rule"], item["path"], item["message"])
    assert set(entries[0]) == {"fingerprint", "rule", "path", "message"}
    # Written atomically: no temporary file left next to it.
    assert sorted(p.name for p in project.iterdir() if p.is_file()) == [DEFAULT_BASELINE]


def test_create_to_a_named_file_and_default_path(project):
    (project / "ci").mkdir()
    create("--baseline", "ci/known.json", ".")
    assert load_baseline(project / "ci" / "known.json").entries
    create()  # default: "." and .copguard-baseline.json
    assert len(load_baseline(project / DEFAULT_BASELINE).entries) == 3


def test_create_is_deterministic(project):
    create(".")
    first = (project / DEFAULT_BASELINE).read_bytes()
    create(".")
    assert (project / DEFAULT_BASELINE).read_bytes() == first


def test_create_with_missing_path_writes_nothing(project):
    result = cli("baseline", "create", "nope")
    assert result.exit_code == 2
    assert not (project / DEFAULT_BASELINE).exists()


# -- check --baseline ---------------------------------------------------------------------


def test_check_with_baseline_reports_nothing_known(project):
    create(".")
    result = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "No problems found in 2 files."
    assert "3 known findings left out, 0 stale entries" in result.stderr
    payload = findings("--baseline", DEFAULT_BASELINE, ".")
    assert payload["findings"] == []
    assert payload["baseline"] == {"file": DEFAULT_BASELINE, "matched": 3, "stale": []}


def test_code_moved_down_by_inserted_lines_keeps_matching(project):
    create(".")
    write(project, {"app/main.py": '"""Main module."""\n\nimport sys\n\n\n' + APP})
    moved = findings(".")["findings"]
    assert [f["line"] for f in moved if f["path"] == "app/main.py"] == [8, 9]
    result = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert result.exit_code == 0, result.stdout
    assert findings("--baseline", DEFAULT_BASELINE, ".")["baseline"]["stale"] == []


def test_new_findings_are_reported_and_fail(project):
    create(".")
    write(project, {"app/main.py": APP + "print('new')\n"})
    result = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "app/main.py:5:1: COP901 print() called"
    assert "Found 1 problem in 2 files." in result.stdout


def test_a_second_identical_line_is_new(project):
    create(".")
    write(project, {"lib/util.py": LIB + "    print('from lib')\n"})
    payload = findings("--baseline", DEFAULT_BASELINE, ".")
    assert [(f["path"], f["line"]) for f in payload["findings"]] == [("lib/util.py", 3)]


def test_editing_the_flagged_line_makes_it_new_and_the_old_entry_stale(project):
    create(".")
    write(project, {"lib/util.py": "def helper():\n    print('from the library')\n"})
    result = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert result.exit_code == 1
    assert "lib/util.py:2:5: COP901" in result.stdout
    payload = findings("--baseline", DEFAULT_BASELINE, ".")
    assert payload["baseline"]["matched"] == 2
    assert [(e["path"], e["rule"]) for e in payload["baseline"]["stale"]] == [("lib/util.py", "COP901")]


def test_fixed_findings_are_stale_on_stderr_and_in_json(project):
    create(".")
    write(project, {"lib/util.py": "def helper():\n    return 'from lib'\n"})
    result = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "baseline" in line]
    assert len(lines) == 1
    assert "2 known findings left out, 1 stale entry" in lines[0]
    assert "copguard baseline prune" in lines[0]
    stale = findings("--baseline", DEFAULT_BASELINE, ".")["baseline"]["stale"]
    assert stale == [
        {"fingerprint": stale[0]["fingerprint"], "rule": "COP901", "path": "lib/util.py", "message": "print() called"}
    ]


def test_baselined_findings_do_not_count_for_the_exit_code_in_any_format(project):
    create(".")
    for fmt in ("text", "json", "sarif", "github", "gitlab"):
        result = cli("check", "--format", fmt, "--baseline", DEFAULT_BASELINE, ".")
        assert result.exit_code == 0, (fmt, result.stdout)
    assert json.loads(cli("check", "--format", "sarif", "--baseline", DEFAULT_BASELINE, ".").stdout)[
        "runs"][0]["results"] == []
    assert json.loads(cli("check", "--format", "gitlab", "--baseline", DEFAULT_BASELINE, ".").stdout) == []


def test_entries_outside_the_scanned_paths_are_not_stale(project):
    create(".")
    payload = findings("--baseline", DEFAULT_BASELINE, "app")
    assert payload["baseline"] == {"file": DEFAULT_BASELINE, "matched": 2, "stale": []}
    assert findings("--baseline", DEFAULT_BASELINE, "app/main.py")["baseline"]["stale"] == []


def test_entries_of_rules_not_run_are_not_stale(project):
    create(".")
    payload = findings("--baseline", DEFAULT_BASELINE, "--select", "COP903", ".")
    assert payload["baseline"] == {"file": DEFAULT_BASELINE, "matched": 1, "stale": []}


def test_entries_of_deleted_files_are_stale(project):
    create(".")
    (project / "lib" / "util.py").unlink()
    stale = findings("--baseline", DEFAULT_BASELINE, ".")["baseline"]["stale"]
    assert [e["path"] for e in stale] == ["lib/util.py"]


def test_baseline_works_with_stdin(project):
    create(".")
    result = cli("check", "--format", "json", "--baseline", DEFAULT_BASELINE, "--stdin-filename", "app/main.py", "-",
                 input=APP)
    payload = json.loads(result.stdout)
    assert result.exit_code == 0 and payload["findings"] == []
    assert payload["baseline"]["matched"] == 2 and payload["baseline"]["stale"] == []


# -- prune -----------------------------------------------------------------------------------


def test_prune_removes_stale_entries_only(project):
    create(".")
    write(project, {"lib/util.py": "def helper():\n    return 'from lib'\n"})
    result = cli("baseline", "prune")
    assert result.exit_code == 0, result.stderr
    assert "removed 1 stale entry from .copguard-baseline.json (2 entries left)" in result.stderr
    baseline = load_baseline(project / DEFAULT_BASELINE)
    assert sorted(e.path for e in baseline.entries) == ["app/main.py", "app/main.py"]
    after = cli("check", "--baseline", DEFAULT_BASELINE, ".")
    assert after.exit_code == 0 and "0 stale entries" in after.stderr


def test_prune_of_a_subset_keeps_entries_outside_it(project):
    create(".")
    write(project, {"lib/util.py": "def helper():\n    return 'from lib'\n",
                    "app/main.py": "import os\n\nvalue = input()\n"})
    result = cli("baseline", "prune", "--baseline", DEFAULT_BASELINE, "app")
    assert result.exit_code == 0
    assert "removed 1 stale entry" in result.stderr
    paths = sorted(e.path for e in load_baseline(project / DEFAULT_BASELINE).entries)
    assert paths == ["app/main.py", "lib/util.py"]


def test_prune_with_nothing_stale_leaves_the_file_alone(project):
    create(".")
    before = (project / DEFAULT_BASELINE).read_bytes()
    result = cli("baseline", "prune", ".")
    assert result.exit_code == 0 and "removed 0 stale entries" in result.stderr
    assert (project / DEFAULT_BASELINE).read_bytes() == before


# -- a bad baseline file is an error, never an empty baseline -----------------------------------


BAD_FILES = {
    "not-json": "{not json",
    "empty": "",
    "a-list": "[]",
    "foreign-tool": json.dumps({"tool": "bandit", "schema_version": 1, "entries": []}),
    "no-tool": json.dumps({"schema_version": 1, "entries": []}),
    "wrong-schema": json.dumps({"tool": "copguard-lint", "schema_version": 2, "entries": []}),
    "entries-not-a-list": json.dumps({"tool": "copguard-lint", "schema_version": 1, "entries": {}}),
    "entry-not-an-object": json.dumps({"tool": "copguard-lint", "schema_version": 1, "entries": ["abc"]}),
    "entry-missing-fingerprint": json.dumps(
        {"tool": "copguard-lint", "schema_version": 1, "entries": [{"rule": "COP901", "path": "a.py", "message": ""}]}
    ),
    "fingerprint-not-a-string": json.dumps({"tool": "copguard-lint", "schema_version": 1, "entries": [
        {"fingerprint": 12, "rule": "COP901", "path": "a.py", "message": "m"}]}),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_corrupt_or_foreign_baseline_is_an_error(project, name):
    (project / "bad.json").write_text(BAD_FILES[name], encoding="utf-8")
    for args in (("check", "--baseline", "bad.json", "."), ("baseline", "prune", "--baseline", "bad.json")):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.stdout)
        assert result.stderr.startswith("copguard: error: ")
        assert "bad.json" in result.stderr
        assert result.stdout == ""
    assert (project / "bad.json").read_text(encoding="utf-8") == BAD_FILES[name]


def test_missing_baseline_is_an_error_that_says_how_to_create_one(project):
    result = cli("check", "--baseline", "nope.json", ".")
    assert result.exit_code == 2
    assert "nope.json does not exist" in result.stderr and "copguard baseline create" in result.stderr


def test_invalid_json_message_points_at_the_problem(tmp_path):
    path = tmp_path / "b.json"
    path.write_text('{"tool": "copguard-lint",\n  "entries": [,]}', encoding="utf-8")
    with pytest.raises(BaselineError, match=r"not valid JSON \(line 2"):
        load_baseline(path)


def test_parse_and_round_trip():
    baseline = Baseline((BaselineEntry("a.py", "COP901", "print() called", "f" * 20),), "0.0.1")
    data = json.loads(baseline.render())
    assert parse_baseline(data, "x") == baseline
    assert data["about"]


def test_in_scope():
    assert in_scope("a/b.py", [], ["."])
    assert in_scope("a/b.py", [], ["a"])
    assert in_scope("a/b.py", [], ["a/"])
    assert not in_scope("ab/c.py", [], ["a"])
    assert in_scope("x.py", ["x.py"], [])
    assert not in_scope("y.py", ["x.py"], ["x.py"])
