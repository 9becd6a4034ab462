"""`copguard check --diff REF`: findings on changed lines only, project rules over the whole tree.

Each test builds a real git repository in a temporary directory.
"""

from __future__ import annotations

import json
import shutil

import pytest
from ci_support import cli, git, write

from copguard_lint.changed import parse_diff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

BASE = {
    "app/a.py": "import os\n\nprint('a1')\n\n\ndef f():\n    return 1\n",
    "app/b.py": "print('b1')\n",
    "app/report.py": "class Report:\n    pass\n",
}


@pytest.fixture
def repo(in_tmp, test_rules):
    git(in_tmp, "init", "-q")
    write(in_tmp, BASE)
    git(in_tmp, "add", "-A")
    git(in_tmp, "commit", "-q", "-m", "base")
    return in_tmp


def reported(*args):
    result = cli("check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return [(f["path"], f["line"], f["rule"]) for f in json.loads(result.stdout)["findings"]]


def test_nothing_changed_reports_nothing(repo):
    result = cli("check", "--diff", "HEAD", ".")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == "No problems found in 3 files."
    assert reported(".") == [("app/a.py", 3, "COP901"), ("app/b.py", 1, "COP901")]


def test_only_added_and_changed_lines_are_reported(repo):
    write(repo, {"app/a.py": "import os\nprint('new top')\n\nprint('a1')\n\n\ndef f():\n    print('changed')\n"})
    assert reported("--diff", "HEAD", ".") == [("app/a.py", 2, "COP901"), ("app/a.py", 8, "COP901")]
    # Without --diff the untouched line 4 (the old line 3) and b.py are reported too.
    assert reported(".") == [("app/a.py", 2, "COP901"), ("app/a.py", 4, "COP901"), ("app/a.py", 8, "COP901"),
                             ("app/b.py", 1, "COP901")]


def test_staged_changes_count_too(repo):
    write(repo, {"app/b.py": "print('b1')\nprint('b2')\n"})
    git(repo, "add", "app/b.py")
    assert reported("--diff", "HEAD", ".") == [("app/b.py", 2, "COP901")]


def test_untracked_files_are_wholly_changed_and_ignored_files_are_not(repo):
    write(repo, {"app/new.py": "x = 1\nprint('n')\n", ".gitignore": "scratch/\n", "scratch/junk.py": "print(1)\n"})
    assert reported("--diff", "HEAD", ".") == [("app/new.py", 2, "COP901")]


def test_diff_against_an_older_commit(repo):
    write(repo, {"app/b.py": "print('b1')\nprint('b2')\n"})
    git(repo, "commit", "-q", "-am", "second")
    assert reported("--diff", "HEAD", ".") == []
    assert reported("--diff", "HEAD~1", ".") == [("app/b.py", 2, "COP901")]


def test_moved_file_reports_nothing(repo):
    git(repo, "mv", "app/b.py", "app/c.py")
    assert reported("--diff", "HEAD", ".") == []


def test_project_rules_still_see_the_whole_tree(repo):
    # An unchanged file defines Report: the new Message class is fine.
    write(repo, {"app/models.py": "class Message:\n    pass\n"})
    assert reported("--diff", "HEAD", ".") == []
    # Without the Report class anywhere, the project rule fires on the new file's line.
    (repo / "app" / "report.py").write_text("class Other:\n    pass\n", encoding="utf-8")
    assert ("app/models.py", 1, "COP902") in reported("--diff", "HEAD", ".")


def test_project_finding_on_an_unchanged_line_is_filtered(repo):
    write(repo, {"app/models.py": "class Message:\n    pass\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "message model")
    # Removing Report makes COP902 fire on models.py line 1, which did not change.
    (repo / "app" / "report.py").write_text("class Other:\n    pass\n", encoding="utf-8")
    assert ("app/models.py", 1, "COP902") in reported(".")
    assert reported("--diff", "HEAD", ".") == []


def test_unparsable_changed_file_is_reported_even_off_the_changed_lines(repo):
    write(repo, {"app/b.py": "print('b1'\n\n\nx = 1\n"})
    found = reported("--diff", "HEAD", ".")
    assert [(path, rule) for path, _, rule in found] == [("app/b.py", "COP001")]


def test_from_a_subdirectory(repo, monkeypatch):
    write(repo, {"app/b.py": "print('b1')\nprint('b2')\n"})
    monkeypatch.chdir(repo / "app")
    assert reported("--diff", "HEAD", ".") == [("b.py", 2, "COP901")]


def test_every_format_is_filtered(repo):
    write(repo, {"app/b.py": "print('b1')\nprint('b2')\n"})
    sarif = json.loads(cli("check", "--format", "sarif", "--diff", "HEAD", ".").stdout)
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]]
    assert lines == [2]
    github = cli("check", "--format", "github", "--diff", "HEAD", ".")
    assert github.exit_code == 1 and len(github.stdout.splitlines()) == 1
    assert "file=app/b.py,line=2," in github.stdout


def test_with_a_baseline_unchanged_baselined_findings_are_not_stale(repo):
    assert cli("baseline", "create", ".").exit_code == 0
    git(repo, "add", ".copguard-baseline.json")
    git(repo, "commit", "-q", "-m", "baseline")
    write(repo, {"app/b.py": "print('b1')\nprint('b2')\n"})
    result = cli("check", "--format", "json", "--baseline", ".copguard-baseline.json", "--diff", "HEAD", ".")
    payload = json.loads(result.stdout)
    assert [(f["path"], f["line"]) for f in payload["findings"]] == [("app/b.py", 2)]
    assert payload["baseline"] == {"file": ".copguard-baseline.json", "matched": 2, "stale": []}
    assert result.exit_code == 1


# -- errors ----------------------------------------------------------------------------------


def test_unknown_ref_is_an_error(repo):
    result = cli("check", "--diff", "no-such-branch", ".")
    assert result.exit_code == 2
    assert "unknown git revision" in result.stderr and "no-such-branch" in result.stderr
    assert result.stdout == ""


def test_option_like_ref_is_an_error(repo):
    result = cli("check", "--diff=--output=x", ".")
    assert result.exit_code == 2
    assert not (repo / "x").exists()


def test_not_a_git_repository_is_an_error(in_tmp, test_rules, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(in_tmp.parent))
    write(in_tmp, {"a.py": "print(1)\n"})
    result = cli("check", "--diff", "HEAD", ".")
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr


def test_repository_without_commits_has_no_head(in_tmp, test_rules):
    git(in_tmp, "init", "-q")
    write(in_tmp, {"a.py": "print(1)\n"})
    result = cli("check", "--diff", "HEAD", ".")
    assert result.exit_code == 2 and "unknown git revision" in result.stderr


# -- parsing git's output ----------------------------------------------------------------------


def test_parse_diff():
    text = "\n".join([
        "diff --git a/x.py b/x.py",
        "index 1..2 100644",
        "--- a/x.py",
        "+++ b/x.py",
        "@@ -3 +3 @@ def f():",
        "-old",
        "+new",
        "@@ -10,0 +11,2 @@",
        "+a",
        "+b",
        "@@ -20,3 +22,0 @@",
        "-gone",
        "diff --git a/gone.py b/gone.py",
        "--- a/gone.py",
        "+++ /dev/null",
        "@@ -1,2 +0,0 @@",
        'diff --git "a/caf\\303\\251 \\"q\\".py" "b/caf\\303\\251 \\"q\\".py"',
        '--- "a/caf\\303\\251 \\"q\\".py"',
        '+++ "b/caf\\303\\251 \\"q\\".py"',
        "@@ -1 +1,3 @@",
        "+x",
    ])
    assert parse_diff(text) == {"x.py": {3, 11, 12}, 'café "q".py': {1, 2, 3}}


def test_file_names_with_spaces_and_accents(repo):
    write(repo, {"app/données élève.py": "x = 1\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "accents")
    write(repo, {"app/données élève.py": "x = 1\nprint(x)\n"})
    assert reported("--diff", "HEAD", ".") == [("app/données élève.py", 2, "COP901")]
