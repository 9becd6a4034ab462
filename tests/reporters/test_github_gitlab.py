"""`--format github` (workflow commands) and `--format gitlab` (Code Quality JSON)."""

from __future__ import annotations

import json
import re

import pytest
from ci_support import cli, write

from copguard_lint.engine import RunResult
from copguard_lint.findings import Finding, Severity, SuppressionComment
from copguard_lint.reporters import REPORTERS, github, gitlab
from copguard_lint.rules.engine_rules import UnanalysableFile

import helpers

ANNOTATION = re.compile(
    r"^::(?P<command>error|warning|notice) "
    r"file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=(?P<end_line>\d+),"
    r"endColumn=(?P<end_col>\d+),title=(?P<title>[^,:]+)::(?P<message>.+)$"
)


@pytest.fixture
def tree(in_tmp, test_rules):
    write(in_tmp, {
        "app/a.py": "print('x')\nvalue = input()\n",
        "app/b.py": "def f(:\n",
        "app/c.py": "print('y')\nprint('y')  # copguard: ignore[COP901] -- demo output\n",
    })
    return in_tmp


def finding(path="a.py", line=3, column=5, rule="COP901", severity=Severity.MEDIUM, message="print() called",
            fingerprint="ab" * 10, end_line=None, end_column=None):
    return Finding(path, line, column, rule, end_line or line, end_column or column + 7, severity, message, (),
                   fingerprint)


def run_of(*findings, suppressed=(), rules=helpers.TEST_RULES):
    return RunResult(tuple(sorted(findings)), tuple(suppressed), (), tuple(sorted({f.path for f in findings})),
                     tuple(rules))


# -- github ------------------------------------------------------------------------------


def test_registered():
    assert REPORTERS["github"] is github.render
    assert REPORTERS["gitlab"] is gitlab.render


def test_escaping_follows_the_actions_runner():
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github.escape_data("a:b,c") == "a:b,c"  # the message may keep : and ,
    assert github.escape_property("dir,x/a:b.py") == "dir%2Cx/a%3Ab.py"
    assert github.escape_property("50%\n") == "50%25%0A"
    # `%` first, so an escape sequence is never escaped twice.
    assert github.escape_property("%3A") == "%253A"


def test_one_annotation_line_with_every_property():
    text = github.render(run_of(finding(end_line=4, end_column=2)))
    assert text == (
        "::warning file=a.py,line=3,col=5,endLine=4,endColumn=2,title=COP901 print-call::print() called\n"
    )


def test_properties_and_message_are_escaped():
    odd = finding(path="we,ird:dir/a%b.py", message="50% of\nchildren: logged, twice")
    line = github.render(run_of(odd)).rstrip("\n")
    assert "\n" not in line
    assert line.startswith("::warning file=we%2Cird%3Adir/a%25b.py,line=3,")
    assert line.endswith("::50%25 of%0Achildren: logged, twice")


def test_level_follows_severity():
    lines = github.render(run_of(
        finding(line=1, severity=Severity.LOW),
        finding(line=2, severity=Severity.MEDIUM),
        finding(line=3, severity=Severity.HIGH),
        finding(line=4, severity=Severity.CRITICAL),
    )).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::notice", "::warning", "::error", "::error"]


def test_empty_run_prints_nothing():
    assert github.render(run_of()) == ""


def test_cli_github_format(tree):
    result = cli("check", "--format", "github", ".")
    assert result.exit_code == 1
    payload = json.loads(cli("check", "--format", "json", ".").stdout)
    lines = result.stdout.splitlines()
    assert len(lines) == len(payload["findings"]) == 4
    for line, item in zip(lines, payload["findings"]):
        match = ANNOTATION.match(line)
        assert match, line
        assert match["file"] == item["path"]
        assert (int(match["line"]), int(match["col"])) == (item["line"], item["column"])
        assert (int(match["end_line"]), int(match["end_col"])) == (item["end_line"], item["end_column"])
        assert match["title"].split(" ")[0] == item["rule"]
        assert match["message"] == github.escape_data(item["message"])
    assert lines[0].startswith("::warning file=app/a.py,line=1,col=1,")
    assert any(line.startswith("::error file=app/b.py,") and "title=COP001 unanalysable-file" in line
               for line in lines)
    # The suppressed print in c.py is not annotated.
    assert [line for line in lines if "app/c.py" in line] == [lines[-1]]
    assert "line=1," in lines[-1]


# -- gitlab ------------------------------------------------------------------------------


def test_gitlab_issue_fields():
    issues = json.loads(gitlab.render(run_of(finding(end_line=4))))
    assert issues == [
        {
            "description": "COP901: print() called",
            "check_name": "COP901",
            "fingerprint": "ab" * 10,
            "severity": "major",
            "categories": ["Security"],
            "location": {"path": "a.py", "lines": {"begin": 3, "end": 4}},
        }
    ]


def test_gitlab_severity_mapping():
    issues = json.loads(gitlab.render(run_of(
        finding(line=1, severity=Severity.LOW, fingerprint="1" * 20),
        finding(line=2, severity=Severity.MEDIUM, fingerprint="2" * 20),
        finding(line=3, severity=Severity.HIGH, fingerprint="3" * 20),
        finding(line=4, severity=Severity.CRITICAL, fingerprint="4" * 20),
    )))
    assert [issue["severity"] for issue in issues] == ["minor", "major", "critical", "blocker"]


def test_gitlab_empty_run_is_an_empty_array():
    assert json.loads(gitlab.render(run_of())) == []


def test_cli_gitlab_format(tree):
    result = cli("check", "--format", "gitlab", ".")
    assert result.exit_code == 1
    issues = json.loads(result.stdout)
    assert isinstance(issues, list) and len(issues) == 4
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
        assert not issue["location"]["path"].startswith("/")
        assert issue["description"].startswith(issue["check_name"] + ": ")
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    by_rule = {(issue["check_name"], issue["location"]["path"]): issue for issue in issues}
    assert by_rule[("COP001", "app/b.py")]["severity"] == "critical"
    assert by_rule[("COP903", "app/a.py")]["severity"] == "minor"


def test_gitlab_fingerprints_tell_identical_lines_apart(in_tmp, test_rules):
    write(in_tmp, {"a.py": "print('x')\nprint('x')\nprint('x')\n"})
    issues = json.loads(cli("check", "--format", "gitlab", ".").stdout)
    assert len(issues) == 3
    assert len({issue["fingerprint"] for issue in issues}) == 3


def test_gitlab_to_a_file(tree):
    result = cli("check", "--format", "gitlab", "--output", "gl-code-quality.json", ".")
    assert result.exit_code == 1 and result.stdout == ""
    issues = json.loads((tree / "gl-code-quality.json").read_text(encoding="utf-8"))
    assert len(issues) == 4
    assert "Found 4 problems" in result.stderr


# -- options shared by every format ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab"])
def test_statistics_go_to_stderr_for_machine_formats(tree, fmt):
    plain = cli("check", "--format", fmt, ".")
    result = cli("check", "--format", fmt, "--statistics", ".")
    assert result.exit_code == 1
    assert result.stdout == plain.stdout  # the machine output is unchanged
    stats = [line.split() for line in result.stderr.splitlines()]
    assert ["1", "COP001", "unanalysable-file"] in stats
    assert ["2", "COP901", "print-call"] in stats
    assert ["1", "COP903", "input-call"] in stats


def test_statistics_stay_in_the_text_report(tree):
    result = cli("check", "--statistics", ".")
    assert "     2  COP901  print-call" in result.stdout.splitlines()
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab"])
def test_quiet_does_not_change_machine_output(tree, fmt):
    assert cli("check", "--format", fmt, "--quiet", ".").stdout == cli("check", "--format", fmt, ".").stdout


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab"])
def test_exit_zero_and_fail_on_work_with_every_format(tree, fmt):
    assert cli("check", "--format", fmt, ".").exit_code == 1
    assert cli("check", "--format", fmt, "--exit-zero", ".").exit_code == 0
    # COP001 is high: --fail-on critical leaves nothing failing.
    assert cli("check", "--format", fmt, "--fail-on", "critical", ".").exit_code == 0
    assert cli("check", "--format", fmt, "--fail-on", "high", ".").exit_code == 1
    # A usage error is still 2 with --exit-zero.
    assert cli("check", "--format", fmt, "--exit-zero", "missing-dir").exit_code == 2


def test_machine_formats_are_not_offered_by_rules_command():
    assert cli("rules", "--format", "sarif").exit_code == 2


def test_formats_listed_in_help():
    text = cli("check", "--help").stdout
    for fmt in ("text", "json", "sarif", "github", "gitlab"):
        assert fmt in text


def test_unanalysable_rule_is_in_the_test_rules():
    # The format tests above rely on COP001 being reported with the test rules.
    assert UnanalysableFile in helpers.TEST_RULES


def test_suppressed_findings_are_not_reported_by_machine_formats():
    kept = finding(line=1)
    hidden = finding(line=2)
    comment = SuppressionComment("a.py", 2, "copguard", ("COP901",), "demo", (2,))
    run = run_of(kept, suppressed=[(hidden, comment)])
    assert len(github.render(run).splitlines()) == 1
    assert len(json.loads(gitlab.render(run))) == 1
