"""`copguard explain CODE` and `copguard coverage`, through click's CliRunner."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from copguard_lint import registry
from copguard_lint.findings import Severity
from copguard_lint.rule import Rule

SHIPPED = registry.all_rules()


class PrintCall(Rule):
    """Test rule mapped to real clauses: every print() call."""

    code = "COP193"
    name = "test-print-call"
    summary = "print() call (test rule)"
    severity = Severity.HIGH
    clauses = ("KH-COP-4.1", "COPPA-312.8")

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, "something reaches a log via print: test advice")


class CoversGdpr(Rule):
    """Test rule mapped to every checkable GDPR sub-clause; never reports."""

    code = "COP194"
    name = "test-gdpr"
    summary = "GDPR coverage (test rule)"
    clauses = ("GDPR-8.1", "GDPR-8.2")


TEST_RULES = (*[r for r in SHIPPED if r.code == "COP001"], PrintCall, CoversGdpr)


@pytest.fixture
def rules(monkeypatch):
    monkeypatch.setattr(registry, "all_rules", lambda: TEST_RULES)
    return TEST_RULES


@pytest.fixture
def project(in_tmp: Path) -> Path:
    (in_tmp / "app").mkdir()
    (in_tmp / "app" / "views.py").write_text(textwrap.dedent("""\
        def signup(child):
            print("signed up")
            return child.id
    """), encoding="utf-8")
    (in_tmp / "app" / "clean.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    return in_tmp


# -- explain --------------------------------------------------------------------------


@pytest.mark.parametrize("code", [rule.code for rule in SHIPPED])
def test_explain_every_registered_rule(invoke, code):
    result = invoke("explain", code)
    assert result.exit_code == 0, result.output
    rule = registry.by_code(SHIPPED)[code]
    assert result.output.startswith(f"# {code}: {rule.name}\n")
    assert "## Guideline clauses" in result.output and "## Example" in result.output
    assert "<!--" not in result.output
    for clause_id in rule.clauses:
        assert f"`{clause_id}`" in result.output


def test_explain_shows_generated_clause_section_with_kh_note(invoke):
    result = invoke("explain", "COP101")
    assert result.exit_code == 0
    assert "KH-COP-4.1" in result.output
    assert "numbering derived by copguard; no public text" in result.output
    assert "**Severity:** high" in result.output


def test_explain_accepts_lowercase_code_and_rule_name(invoke):
    assert invoke("explain", "cop101").output == invoke("explain", "COP101").output
    assert invoke("explain", "child-data-in-logs").output == invoke("explain", "COP101").output


def test_explain_unknown_code(invoke):
    result = invoke("explain", "COP999")
    assert result.exit_code == 2
    assert "unknown rule 'COP999'" in result.output
    assert "copguard rules" in result.output


# -- coverage -------------------------------------------------------------------------


def test_coverage_markdown_to_stdout(invoke, rules, project):
    result = invoke("coverage", "app")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("# copguard coverage report")
    assert "| Files scanned | 2 |" in out
    assert "violations found (1 finding)" in out
    assert "checkable, no rule yet" in out
    assert "not checkable in code: manual check" in out
    assert "not a git repository" in out or "commit" in out.lower()


def test_coverage_json_and_framework_filter(invoke, rules, project):
    result = invoke("coverage", "app", "--format", "json", "--framework", "GDPR", "--framework", "KH-COP")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [f["id"] for f in data["frameworks"]] == ["KH-COP", "GDPR"]
    assert data["evidence"]["frameworks"] == ["KH-COP", "GDPR"]
    gdpr = {c["id"]: c for c in data["frameworks"][1]["clauses"]}
    assert gdpr["GDPR-8.1"]["status"] == "checked"
    assert gdpr["GDPR-8"]["status"] == "checked"  # umbrella, through its sub-clauses
    assert gdpr["GDPR-8.3"]["status"] == "manual"


def test_coverage_unknown_framework(invoke, rules, project):
    result = invoke("coverage", "app", "--framework", "kh-cop")
    assert result.exit_code == 2
    assert "unknown framework 'kh-cop'" in result.output and "KH-COP" in result.output


def test_coverage_missing_path(invoke, rules, project):
    result = invoke("coverage", "nope")
    assert result.exit_code == 2
    assert "nope: no such file or directory" in result.output


def test_coverage_output_file_html(invoke, rules, project):
    result = invoke("coverage", "app", "--format", "html", "-o", "report.html")
    assert result.exit_code == 0, result.output
    text = (project / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "copguard coverage report" in text
    assert "coverage report written to report.html" in result.output
    assert not list(project.glob(".report.html.*"))  # the atomic write left no temporary file


def test_fail_on_violations(invoke, rules, project):
    result = invoke("coverage", "app", "--fail-on-violations", "--format", "json")
    assert result.exit_code == 1
    assert "checkable clause(s) with violations: KH-COP-4, KH-COP-4.1" in result.output
    clean = invoke("coverage", "app/clean.py", "--fail-on-violations", "--format", "json")
    assert clean.exit_code == 0, clean.output
    # A framework without violations passes.
    gdpr = invoke("coverage", "app", "--fail-on-violations", "--framework", "GDPR")
    assert gdpr.exit_code == 0, gdpr.output


def test_require_coverage(invoke, rules, project):
    result = invoke("coverage", "app", "--require-coverage", "--framework", "KH-COP")
    assert result.exit_code == 1
    assert "mapped to no enabled rule" in result.output and "KH-COP-3.1" in result.output
    covered = invoke("coverage", "app", "--require-coverage", "--framework", "GDPR")
    assert covered.exit_code == 0, covered.output
    disabled = invoke("coverage", "app", "--require-coverage", "--framework", "GDPR", "--ignore", "COP194")
    assert disabled.exit_code == 1


def test_coverage_is_deterministic_with_source_date_epoch(invoke, rules, project, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    first = invoke("coverage", "app", "--format", "json")
    second = invoke("coverage", "app", "--format", "json")
    assert first.exit_code == 0 and first.output == second.output
    assert json.loads(first.output)["evidence"]["generated_at"] == "2027-01-15T08:00:00Z"


def test_coverage_with_shipped_rules_runs(invoke, project):
    result = invoke("coverage", "app", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["evidence"]["rules_enabled"] == sorted(rule.code for rule in SHIPPED)
