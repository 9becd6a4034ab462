"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning wants it.

Structure and GitHub's required fields, every enabled rule described with its
doc page, GitHub's primaryLocationLineHash (test vectors), relative URIs under
%SRCROOT%, 1-based columns, notifications for unparsable files, suppressed
findings left out, and the SARIF Multitool validator when it is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from ci_support import cli

from copguard_lint import __version__, registry
from copguard_lint.engine import RunResult
from copguard_lint.findings import Confidence, Finding, Severity, SuppressionComment
from copguard_lint.links import RULE_DOCS_BASE_URL
from copguard_lint.reporters import REPORTERS
from copguard_lint.reporters import sarif
from copguard_lint.reporters.line_hash import file_line_hashes, line_hashes
from copguard_lint.rule import Rule

REPO_ROOT = Path(__file__).resolve().parents[2]

VIEWS = """\
import logging

logger = logging.getLogger(__name__)


def register(child):
    logger.info("new child %s", child.email)
    logger.info("again %s", child.email)  # copguard: ignore[COP101] -- test account only
"""
LOGGED_LINE = 7
SUPPRESSED_LINE = 8


@pytest.fixture
def invoke():
    """The CLI with stdout and stderr apart (see ci_support.cli)."""
    return cli


@pytest.fixture
def project(in_tmp):
    (in_tmp / "app").mkdir()
    (in_tmp / "app" / "views.py").write_text(VIEWS, encoding="utf-8")
    (in_tmp / "app" / "broken.py").write_text("def f(:\n    pass\n", encoding="utf-8")
    (in_tmp / "app" / "clean.py").write_text("x = 1\n", encoding="utf-8")
    return in_tmp


def sarif_of(invoke, *args):
    result = invoke("check", "--format", "sarif", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout), result


def run_of(log):
    assert len(log["runs"]) == 1
    return log["runs"][0]


# -- the log and the run ----------------------------------------------------------------


def test_registered_as_a_check_format():
    assert REPORTERS["sarif"] is sarif.render


def test_log_has_githubs_required_top_level_fields(project, invoke):
    log, result = sarif_of(invoke, ".")
    assert result.exit_code == 1
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    run = run_of(log)
    driver = run["tool"]["driver"]
    assert driver["name"] == "copguard-lint"
    assert driver["semanticVersion"] == __version__
    assert driver["informationUri"].startswith("https://")
    assert run["columnKind"] == "unicodeCodePoints"
    assert isinstance(run["results"], list)


def test_every_enabled_rule_is_described_not_only_those_that_fired(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert ids == sorted(rule.code for rule in registry.all_rules())
    fired = {result["ruleId"] for result in run["results"]}
    assert fired < set(ids)


def test_only_enabled_rules_are_described(project, invoke):
    run = run_of(sarif_of(invoke, "--select", "COP101", ".")[0])
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["COP101"]
    assert {result["ruleId"] for result in run["results"]} == {"COP101"}
    assert all(result["ruleIndex"] == 0 for result in run["results"])


def test_rule_descriptors_have_githubs_fields(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    by_code = registry.by_code()
    for descriptor in run["tool"]["driver"]["rules"]:
        rule = by_code[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        full = descriptor["fullDescription"]["text"]
        assert full and len(full) <= 1024
        assert descriptor["help"]["text"].strip()
        assert descriptor["help"]["markdown"].strip()
        assert descriptor["helpUri"] == f"{RULE_DOCS_BASE_URL}{rule.code}.md"
        assert descriptor["helpUri"].endswith(f"/rules/{rule.code}.md")
        assert descriptor["defaultConfiguration"]["level"] in ("note", "warning", "error")
        properties = descriptor["properties"]
        assert properties["precision"] == {Confidence.LOW: "low", Confidence.MEDIUM: "medium",
                                           Confidence.HIGH: "high"}[rule.confidence]
        score = float(properties["security-severity"])
        assert isinstance(properties["security-severity"], str) and 0.1 <= score <= 10.0
        band = {Severity.LOW: (0.1, 3.9), Severity.MEDIUM: (4.0, 6.9), Severity.HIGH: (7.0, 8.9),
                Severity.CRITICAL: (9.0, 10.0)}[rule.severity]
        assert band[0] <= score <= band[1], (rule.code, score)
        tags = properties["tags"]
        assert "security" in tags and len(tags) <= 20 and len(set(tags)) == len(tags)
        for clause_id in rule.clauses:
            assert clause_id in tags


def test_help_is_the_rules_doc_page(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    cop101 = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "COP101")
    page = (REPO_ROOT / "rules" / "COP101.md").read_text(encoding="utf-8")
    markdown = cop101["help"]["markdown"]
    assert markdown.startswith("# COP101: child-data-in-logs\n")
    assert "## Why it matters for children" in markdown and "## Example" in markdown
    assert "<!-- generated" not in markdown and "<!-- end generated" not in markdown
    assert markdown.split("## What it does")[1].split("##")[0].strip() in page
    text = cop101["help"]["text"]
    assert not text.startswith("#") and "**" not in text
    # The full description is the first paragraph of `What it does`, on one line.
    first = page.split("## What it does")[1].strip().split("\n\n")[0]
    assert cop101["fullDescription"]["text"] == " ".join(line.strip() for line in first.splitlines())[:1024]


def test_framework_tags_from_the_clause_catalog(project, invoke):
    from copguard_lint.catalog import load_catalog

    catalog = load_catalog()
    run = run_of(sarif_of(invoke, ".")[0])
    cop101 = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "COP101")
    clauses = registry.by_code()["COP101"].clauses
    frameworks = {catalog.clause(clause_id).framework for clause_id in clauses}
    assert clauses and frameworks
    assert {"privacy", "children", *clauses, *frameworks} <= set(cop101["properties"]["tags"])


def test_tags_are_capped_at_twenty():
    class ManyClauses(Rule):
        code = "COP990"
        name = "many-clauses"
        summary = "test rule with many clauses"
        clauses = tuple(f"X-{number}" for number in range(40))

    tags = sarif.rule_tags(ManyClauses)
    assert len(tags) == 20
    assert tags[:4] == ["security", "privacy", "children", "X-0"]


def test_descriptions_are_clipped_to_1024_characters():
    text = "word " * 400
    clipped = sarif._clip(text)
    assert len(clipped) <= 1024 and clipped.endswith("…")
    assert sarif._clip("short") == "short"


# -- results ----------------------------------------------------------------------------


def _findings_json(invoke, *args):
    result = invoke("check", "--format", "json", *args)
    return json.loads(result.stdout)["findings"]


def test_results_match_the_findings_with_1_based_positions(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    findings = _findings_json(invoke, ".")
    assert len(run["results"]) == len(findings)
    rules = run["tool"]["driver"]["rules"]
    for result, finding in zip(run["results"], findings):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == finding["rule"]
        assert result["message"]["text"] == finding["message"]
        assert result["level"] in ("note", "warning", "error")
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (finding["line"], finding["column"])
        assert (region["endLine"], region["endColumn"]) == (finding["end_line"], finding["end_column"])
    logged = next(r for r in run["results"] if r["ruleId"] == "COP101")
    region = logged["locations"][0]["physicalLocation"]["region"]
    source_line = VIEWS.splitlines()[LOGGED_LINE - 1]
    # 1-based: the call starts after four spaces of indentation, at column 5.
    assert region["startLine"] == LOGGED_LINE
    assert region["startColumn"] == source_line.index("logger") + 1 == 5
    assert region["endColumn"] == len(source_line) + 1


def test_uris_are_relative_to_srcroot(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == project.resolve().as_uri() + "/"
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert not location["uri"].startswith(("/", "file:")) and "\\" not in location["uri"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert {"app/views.py", "app/broken.py"} <= uris


def test_uris_are_percent_encoded(in_tmp, invoke):
    folder = in_tmp / "my app"
    folder.mkdir()
    (folder / "données élève.py").write_text(VIEWS, encoding="utf-8")
    run = run_of(sarif_of(invoke, "--select", "COP101", ".")[0])
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["my%20app/donn%C3%A9es%20%C3%A9l%C3%A8ve.py"]


def test_absolute_paths_outside_the_working_directory_become_file_uris(tmp_path):
    location = sarif.artifact_location((tmp_path / "x.py").as_posix())
    assert location == {"uri": (tmp_path / "x.py").resolve().as_uri()}
    assert sarif.artifact_location("a/b.py") == {"uri": "a/b.py", "uriBaseId": "%SRCROOT%"}


def test_every_result_has_both_fingerprints(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    findings = _findings_json(invoke, ".")
    for result, finding in zip(run["results"], findings):
        prints = result["partialFingerprints"]
        assert prints["copguard/v1"] == finding["fingerprint"]
        path = project / finding["path"]
        assert prints["primaryLocationLineHash"] == file_line_hashes(path.read_bytes())[finding["line"]]


def test_fingerprints_survive_code_moving_down(project, invoke):
    before = run_of(sarif_of(invoke, ".")[0])["results"]
    views = project / "app" / "views.py"
    views.write_text('"""Registration views."""\n\n# more lines above\n' + VIEWS, encoding="utf-8")
    after = run_of(sarif_of(invoke, ".")[0])["results"]
    moved = [r for r in after if r["ruleId"] == "COP101"]
    original = [r for r in before if r["ruleId"] == "COP101"]
    assert moved[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == LOGGED_LINE + 3
    assert moved[0]["partialFingerprints"] == original[0]["partialFingerprints"]


def test_unparsable_files_are_notifications_and_cop001_results(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notifications = invocation["toolExecutionNotifications"]
    assert len(notifications) == 1
    note = notifications[0]
    assert note["level"] == "error"
    assert "app/broken.py" in note["message"]["text"] and "syntax error" in note["message"]["text"]
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/broken.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 1
    rules = run["tool"]["driver"]["rules"]
    assert rules[note["associatedRule"]["index"]]["id"] == note["associatedRule"]["id"] == "COP001"
    cop001 = [r for r in run["results"] if r["ruleId"] == "COP001"]
    assert len(cop001) == 1
    assert cop001[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/broken.py"


def test_notifications_even_when_cop001_is_not_selected(project, invoke):
    run = run_of(sarif_of(invoke, "--select", "COP101", ".")[0])
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "associatedRule" not in notes[0]
    assert not [r for r in run["results"] if r["ruleId"] == "COP001"]


def test_clean_run_has_empty_results_and_notifications(in_tmp, invoke):
    (in_tmp / "ok.py").write_text("x = 1\n", encoding="utf-8")
    log, result = sarif_of(invoke, ".")
    assert result.exit_code == 0
    run = run_of(log)
    assert run["results"] == []
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_suppressed_findings_are_left_out(project, invoke):
    run = run_of(sarif_of(invoke, ".")[0])
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]
             if r["ruleId"] == "COP101"]
    assert lines == [LOGGED_LINE]
    assert all("suppressions" not in r for r in run["results"])


def test_suppressed_findings_with_include_suppressed_carry_the_justification(tmp_path):
    finding = Finding("a.py", 2, 1, "COP901", 2, 5, Severity.MEDIUM, "print() called", (), "f" * 20)
    hidden = Finding("a.py", 3, 1, "COP901", 3, 5, Severity.MEDIUM, "print() called", (), "e" * 20)
    comment = SuppressionComment("a.py", 3, "copguard", ("COP901",), "debug helper", (3,))
    result = RunResult((finding,), ((hidden, comment),), (), ("a.py",))
    default = sarif.build_log(result, root=tmp_path)
    assert len(default["runs"][0]["results"]) == 1
    audit = sarif.build_log(result, root=tmp_path, include_suppressed=True)
    results = audit["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [2, 3]
    assert results[1]["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": "debug helper"}]


def test_unreadable_source_still_gets_a_line_hash(tmp_path):
    finding = Finding("<stdin>", 1, 1, "COP901", 1, 5, Severity.MEDIUM, "print() called", (), "0123456789abcdef0123")
    log = sarif.build_log(RunResult((finding,), (), (), ("<stdin>",)), root=tmp_path)
    assert log["runs"][0]["results"][0]["partialFingerprints"]["primaryLocationLineHash"] == "0123456789abcdef:1"


def test_output_file_gets_the_same_log_and_summary_goes_to_stderr(project, invoke):
    stdout_log = sarif_of(invoke, "--select", "COP0,COP1", ".")[0]
    result = invoke("check", "--format", "sarif", "--select", "COP0,COP1", "--output", "report.sarif", ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads((project / "report.sarif").read_text(encoding="utf-8")) == stdout_log
    assert result.stderr == "Found 2 problems in 3 files (1 not analysable, 1 suppressed).\n"


def test_sarif_output_is_deterministic(project, invoke):
    assert sarif_of(invoke, ".")[0] == sarif_of(invoke, ".")[0]


# -- GitHub's primaryLocationLineHash -----------------------------------------------------

# Reference values published with GitHub's implementation (codeql-action, src/fingerprints.test.ts).
GITHUB_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
         "b86d3392aea1be30:1", "e6ceba753e1a442:1"],
    ),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    ),
    (
        " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    ),
    (
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    ),
    (
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    ),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"],
    ),
]


@pytest.mark.parametrize("text, expected", GITHUB_VECTORS, ids=[f"vector{n}" for n in range(len(GITHUB_VECTORS))])
def test_line_hash_matches_githubs_reference_values(text, expected):
    assert line_hashes(text) == {number: value for number, value in enumerate(expected, start=1)}


def test_line_hash_of_bytes_with_bom_non_bmp_crlf_and_a_bad_byte():
    # Computed with GitHub's algorithm under Node.js (UTF-8 read, UTF-16 code units, BOM kept,
    # the invalid byte read as U+FFFD).
    data = (
        b'\xef\xbb\xbfname = "\xf0\x9f\xa7\x92 child"  # \xe5\xad\x90\r\n'
        b"log.info(name)\n"
        b"\xff bad byte\n"
    )
    assert file_line_hashes(data) == {
        1: "d6b616f12b0fdb8b:1",
        2: "e8d8274d71e4f395:1",
        3: "2b01e70c07b79ee1:1",
        4: "c129715d7a2bc9a3:1",
    }


def test_line_hash_depends_on_the_next_hundred_characters_only():
    tail = "x = 1\n" * 40
    first = line_hashes("print(child.email)\n" + tail)
    moved = line_hashes("import os\n\n\nprint(child.email)\n" + tail)
    assert first[1] == moved[4]
    changed = line_hashes("print(child.email)\n" + "y = 2\n" + tail)
    assert changed[1] != first[1]


# -- the SARIF Multitool validator ------------------------------------------------------------


def _multitool():
    """The SARIF Multitool command, or None (SARIF_MULTITOOL, PATH, or an npx-installed package)."""
    configured = os.environ.get("SARIF_MULTITOOL")
    if configured:
        return [configured]
    found = shutil.which("sarif-multitool")
    if found:
        return [found]
    npx = shutil.which("npx")
    if npx is None:
        return None
    command = [npx, "--no-install", "@microsoft/sarif-multitool"]
    try:
        probe = subprocess.run([*command, "--version"], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return command if probe.returncode == 0 else None


def test_sarif_multitool_validator_reports_no_errors(project, invoke, tmp_path_factory):
    command = _multitool()
    if command is None:
        pytest.skip(
            "SARIF Multitool not installed: `npm install --prefix DIR @microsoft/sarif-multitool` and put "
            "DIR/node_modules/.bin on PATH (or set SARIF_MULTITOOL to the executable)"
        )
    # Findings, a suppression, a syntax error and an odd file name: every part of the log in use.
    (project / "app" / "odd name ü.py").write_text(VIEWS, encoding="utf-8")
    result = invoke("check", "--format", "sarif", "--output", "copguard.sarif", ".")
    assert result.exit_code == 1, result.output
    out_dir = tmp_path_factory.mktemp("validator")
    report = out_dir / "validation.sarif"
    done = subprocess.run(
        [*command, "validate", str(project / "copguard.sarif"), "--output", str(report)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert report.is_file(), done.stdout + done.stderr
    validation = json.loads(report.read_text(encoding="utf-8-sig"))
    problems = [r for run in validation["runs"] for r in run.get("results", [])]
    errors = [r for r in problems if r.get("level", "warning") == "error"]
    assert errors == [], json.dumps(errors, indent=2)
    assert " error " not in done.stdout, done.stdout
