"""COP002-COP004: suppressions without a reason, with an unknown code, or suppressing nothing."""

from __future__ import annotations

import json
import textwrap

import pytest
from ci_support import cli, write

import helpers
from copguard_lint import registry
from copguard_lint.config import Settings
from copguard_lint.engine import Engine
from copguard_lint.registry import split_rules
from copguard_lint.rules import ALL_RULES
from copguard_lint.rules.engine_rules import (
    SUPPRESSION_RULES,
    SuppressionWithoutReason,
    UnknownSuppressionCode,
    UnusedSuppression,
)

RULES = (*helpers.TEST_RULES, *SUPPRESSION_RULES)


def run(source, *, select=("COP",), path="mod.py", honour_noqa=True, project=True, **settings):
    engine = Engine(Settings(select=tuple(select), **settings), rules=list(RULES))
    result = engine.finish_run(
        [engine.lint_source(path, textwrap.dedent(source))], honour_noqa=honour_noqa, project=project
    )
    return result


def found(result, *codes):
    return [(f.rule, f.line) for f in result.findings if not codes or f.rule in codes]


AUDIT = ("COP002", "COP003", "COP004")


# -- registration -------------------------------------------------------------------------


def test_registered_as_engine_rules():
    codes = [rule.code for rule in ALL_RULES]
    assert codes[:4] == ["COP001", "COP002", "COP003", "COP004"]
    assert registry.validate(ALL_RULES) == ()
    file_rules, project_rules = split_rules(ALL_RULES)
    assert not set(SUPPRESSION_RULES) & set(file_rules + project_rules)  # no visitor work
    assert SuppressionWithoutReason.code == "COP002"
    assert UnknownSuppressionCode.code == "COP003"
    assert UnusedSuppression.code == "COP004"


# -- COP002 ------------------------------------------------------------------------------------


def test_copguard_suppression_without_reason():
    result = run("""\
        x = 1
        print(x)  # copguard: ignore[COP901]
    """)
    assert found(result, *AUDIT) == [("COP002", 2)]
    assert found(result, "COP901") == []  # the suppression itself still works
    finding = next(f for f in result.findings if f.rule == "COP002")
    assert "`# copguard: ignore[COP901]` gives no reason" in finding.message
    assert finding.column == 1 and finding.fingerprint


@pytest.mark.parametrize("comment", [
    "# copguard: ignore[COP901] -- demo output",
    "# copguard: ignore[COP901]: demo output",
    "# copguard: ignore[COP901] — demo output",
])
def test_reasons_in_every_accepted_form(comment):
    assert found(run(f"print(1)  {comment}\n"), *AUDIT) == []


def test_empty_reason_after_the_separator_is_no_reason():
    assert found(run("print(1)  # copguard: ignore[COP901] --   \n"), *AUDIT) == [("COP002", 1)]


def test_noqa_needs_no_reason():
    result = run("print(1)  # noqa: COP901\n")
    assert found(result) == []
    assert len(result.suppressed) == 1 and result.suppressed[0][1].kind == "noqa"


def test_comment_above_the_statement_is_reported_on_the_comment_line():
    result = run("""\
        # copguard: ignore[COP901]
        print(1)
    """)
    assert found(result) == [("COP002", 1)]


def test_cop002_cannot_be_suppressed_by_the_comment_it_reports():
    result = run("print(1)  # copguard: ignore[COP901, COP002]\n")
    assert ("COP002", 1) in found(result)
    assert found(result, "COP901") == []
    unused = [f for f in result.findings if f.rule == "COP004"]
    assert len(unused) == 1 and "COP002 suppresses nothing" in unused[0].message
    assert "cannot be suppressed inline" in unused[0].message


def test_cop002_can_be_turned_off_per_file():
    result = run("print(1)  # copguard: ignore[COP901]\n", per_file_ignores=(("mod.py", ("COP002",)),))
    assert found(result) == []


# -- COP003 ------------------------------------------------------------------------------------


def test_unknown_code_in_copguard_comment():
    result = run("x = 1  # copguard: ignore[COP999] -- typo\n")
    assert found(result, *AUDIT) == [("COP003", 1)]
    message = next(f.message for f in result.findings if f.rule == "COP003")
    assert "COP999 is not a copguard rule code" in message


def test_unknown_code_gets_a_suggestion():
    result = run("print(1)  # copguard: ignore[COP910] -- typo for COP901\n")
    message = next(f.message for f in result.findings if f.rule == "COP003")
    assert "did you mean" in message and "COP901" in message
    assert found(result, "COP901") == [("COP901", 1)]  # nothing was suppressed


def test_prefix_of_a_real_code_is_known():
    assert found(run("print(1)  # copguard: ignore[COP9] -- test rules\n"), *AUDIT) == []


def test_foreign_code_in_copguard_comment_is_unknown():
    result = run("x = 1  # copguard: ignore[E501] -- long line\n")
    assert found(result, *AUDIT) == [("COP003", 1)]


def test_copguard_ignore_without_codes():
    result = run("x = 1  # copguard: ignore -- whatever\n")
    assert found(result, *AUDIT) == [("COP003", 1)]
    assert "names no rule code" in result.findings[0].message


def test_noqa_codes_of_other_tools_are_not_checked():
    assert found(run("x = 1  # noqa: E501, W291\n")) == []
    assert found(run("x = 1  # noqa\n")) == []


def test_unknown_cop_code_in_noqa():
    result = run("x = 1  # noqa: E501, COP999\n")
    assert found(result) == [("COP003", 1)]
    assert "`# noqa: E501, COP999`: COP999 is not" in result.findings[0].message


def test_several_unknown_codes_in_one_finding():
    result = run("x = 1  # copguard: ignore[COP998, COP999] -- x\n")
    assert found(result) == [("COP003", 1)]
    assert "COP998, COP999 are not copguard rule codes" in result.findings[0].message


# -- COP004 ------------------------------------------------------------------------------------


def test_unused_copguard_suppression():
    result = run("x = 1  # copguard: ignore[COP901] -- was a print\n")
    assert found(result) == [("COP004", 1)]
    assert "suppresses nothing: no COP901 finding" in result.findings[0].message


def test_used_suppression_is_not_reported():
    assert found(run("print(1)  # copguard: ignore[COP901] -- demo\n")) == []


def test_unused_noqa_is_counted_the_same_way():
    assert found(run("x = 1  # noqa: COP901\n")) == [("COP004", 1)]
    assert found(run("print(1)  # noqa: COP901\n")) == []


def test_noqa_of_other_tools_is_never_unused():
    assert found(run("x = 1  # noqa: E501\n")) == []


def test_only_the_unused_code_of_a_comment():
    result = run("print(1)  # copguard: ignore[COP901, COP903] -- demo\n")
    assert found(result) == [("COP004", 1)]
    assert "COP903 suppresses nothing here; remove it from the comment" in result.findings[0].message


def test_not_reported_when_the_suppressed_rule_did_not_run():
    source = "x = 1  # copguard: ignore[COP901] -- was a print\n"
    assert found(run(source, select=("COP004",))) == []
    assert found(run(source, select=("COP004", "COP901"))) == [("COP004", 1)]


def test_not_reported_when_per_file_ignores_turn_the_rule_off():
    source = "x = 1  # copguard: ignore[COP901] -- was a print\n"
    assert found(run(source, per_file_ignores=(("mod.py", ("COP901",)),))) == []
    assert found(run(source, per_file_ignores=(("other.py", ("COP901",)),))) == [("COP004", 1)]


def test_prefix_is_unused_only_when_every_rule_it_names_ran():
    source = "x = 1  # copguard: ignore[COP90] -- test rules\n"
    assert found(run(source)) == [("COP004", 1)]
    assert found(run(source, select=("COP901", "COP902", "COP004"))) == []  # COP903 did not run


def test_not_reported_in_a_file_that_could_not_be_parsed():
    result = run("print(1)  # copguard: ignore[COP901] -- demo\ndef f(:\n")
    assert found(result) == [("COP001", 2)]


def test_flake8_mode_leaves_noqa_and_project_rules_alone():
    # flake8 owns noqa; project rules do not run there, so their suppressions are not known to be unused.
    assert found(run("x = 1  # noqa: COP901\n", honour_noqa=False)) == []
    assert found(run("class Report: pass  # copguard: ignore[COP902] -- x\n", project=False)) == []
    assert found(run("class Report: pass  # copguard: ignore[COP902] -- x\n")) == [("COP004", 1)]


def test_project_rule_suppression_is_used():
    # COP902's finding on the Message class is suppressed, so the comment was used.
    source = "class Message:  # copguard: ignore[COP902] -- legacy model\n    pass\n"
    result = run(source)
    assert found(result) == []
    assert [pair[0].rule for pair in result.suppressed] == ["COP902"]


def test_closest_code_is_one_typo_away():
    from copguard_lint.suppression_audit import closest_code

    known = ["COP001", "COP101", "COP102", "COP901", "COP903"]
    assert closest_code("COP110", known) == "COP101"  # swapped
    assert closest_code("COP10", known) == "COP101"  # missing (first of the equally close)
    assert closest_code("COP1011", known) == "COP101"  # extra
    assert closest_code("COP555", known) == ""


def test_audit_rules_can_be_deselected():
    source = "x = 1  # copguard: ignore[COP999]\n"
    assert found(run(source, select=("COP9",))) == []
    assert sorted(found(run(source))) == [("COP002", 1), ("COP003", 1)]


def test_fingerprints_survive_code_moving_down():
    source = "x = 1  # copguard: ignore[COP901]\n"
    first = run(source).findings
    moved = run("import os\nimport sys\n\n" + source).findings
    assert [f.line for f in moved] == [4, 4]
    assert [f.fingerprint for f in moved] == [f.fingerprint for f in first]


# -- through the CLI -------------------------------------------------------------------------


def test_json_lists_every_suppression_with_its_reason_and_use(in_tmp, test_rules):
    write(in_tmp, {"a.py": textwrap.dedent("""\
        print(1)  # copguard: ignore[COP901] -- demo output
        x = 1  # copguard: ignore[COP901]
        print(2)  # noqa: COP901
        y = input()  # noqa: E501
    """)})
    result = cli("check", "--format", "json", ".")
    payload = json.loads(result.stdout)
    assert payload["suppressions"] == [
        {"path": "a.py", "line": 1, "kind": "copguard", "codes": ["COP901"], "reason": "demo output", "used": True},
        {"path": "a.py", "line": 2, "kind": "copguard", "codes": ["COP901"], "reason": "", "used": False},
        {"path": "a.py", "line": 3, "kind": "noqa", "codes": ["COP901"], "reason": "", "used": True},
        {"path": "a.py", "line": 4, "kind": "noqa", "codes": ["E501"], "reason": "", "used": False},
    ]
    assert [(s["line"], s["kind"]) for s in payload["suppressed"]] == [(1, "copguard"), (3, "noqa")]
    assert payload["summary"]["suppressed"] == 2


def test_shipped_rules_report_suppression_problems_through_the_cli(in_tmp):
    write(in_tmp, {"app.py": textwrap.dedent("""\
        import logging

        logger = logging.getLogger(__name__)


        def register(child):
            logger.info("new child %s", child.email)  # copguard: ignore[COP101]
            logger.info("ok")  # copguard: ignore[COP101] -- left over
            logger.info("ok")  # noqa: COP110
    """)})
    result = cli("check", "--select", "COP0,COP1", ".")  # the rules this test is about, whatever else ships
    assert result.exit_code == 1
    reported = [line.split(" ")[:2] for line in result.stdout.splitlines()[:-1]]
    assert reported == [
        ["app.py:7:1:", "COP002"],
        ["app.py:8:1:", "COP004"],
        ["app.py:9:1:", "COP003"],
    ]
    assert "COP110 -> COP101?" in result.stdout.splitlines()[2]
