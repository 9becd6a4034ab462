"""The rule docs in rules/: one page per registered rule, in shape, mapped to real clauses,
generated parts up to date, and examples that really do (and do not) trigger their rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

import pytest

from copguard_lint import registry
from copguard_lint.catalog import load_catalog
from copguard_lint.rule_docs import (
    SECTIONS,
    check_docs,
    example_blocks,
    generate_docs,
    generated_blocks,
    page_filename,
    parse_sections,
    run_example,
    split_example_files,
    update_page,
    write_docs,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = REPO_ROOT / "rules"
RULES = sorted(registry.all_rules(), key=lambda rule: rule.code)
CODES = [rule.code for rule in RULES]
BY_CODE = {rule.code: rule for rule in RULES}
CLAUSE_ITEM = re.compile(r"^- `(?P<id>[^`]+)`", re.MULTILINE)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(RULES_DIR / "clauses.toml")


def page(code: str) -> str:
    path = RULES_DIR / page_filename(code)
    assert path.is_file(), f"rules/{path.name} is missing: run `python tools/gen_rule_docs.py` and fill it in"
    return path.read_text(encoding="utf-8")


# -- every rule has a page, in shape --------------------------------------------------


def test_the_registry_has_the_rules_documented_today():
    assert {"COP001", "COP101", "COP102", "COP103", "COP104", "COP105"} <= set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_page_exists_and_starts_with_heading_and_metadata(code):
    text = page(code)
    rule = BY_CODE[code]
    lines = text.split("\n")
    assert lines[0] == f"# {code}: {rule.name}"
    meta = generated_blocks(text)["meta"].strip()
    assert "\n" not in meta
    assert f"**Severity:** {rule.severity.label}" in meta
    assert f"**Confidence:** {rule.confidence.label}" in meta
    assert re.search(r"\*\*Scope:\*\* (file|project)", meta)


@pytest.mark.parametrize("code", CODES)
def test_page_sections_present_and_in_order(code):
    titles = [title for title, _ in parse_sections(page(code))]
    assert titles == list(SECTIONS)


@pytest.mark.parametrize("code", CODES)
def test_page_has_no_placeholder_left(code):
    text = page(code)
    assert "TODO" not in text
    for title, body in parse_sections(text):
        assert body.strip(), f"{code}: section {title!r} is empty"


def test_no_page_for_an_unknown_rule():
    pages = {path.stem for path in RULES_DIR.glob("COP*.md")}
    assert pages == set(CODES)


# -- clauses ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_rule_clause_ids_exist_in_catalog(code, catalog):
    for clause_id in BY_CODE[code].clauses:
        assert clause_id in catalog.clauses, f"{code} maps to unknown clause {clause_id}"


@pytest.mark.parametrize("code", CODES)
def test_clause_section_lists_exactly_the_rules_clauses(code, catalog):
    body = dict(parse_sections(page(code)))["Guideline clauses"]
    assert "<!-- generated: clauses -->" in body and "<!-- end generated -->" in body
    listed = CLAUSE_ITEM.findall(body)
    assert listed == list(BY_CODE[code].clauses)
    for clause_id in listed:
        assert catalog.clause(clause_id).title in body
    if any(catalog.is_derived(c) for c in listed):
        assert "numbering is derived by copguard" in body
        assert "No public text" in body


def test_kh_cop_note_on_every_page_with_a_kh_cop_clause():
    with_kh = [code for code in CODES if any(c.startswith("KH-COP") for c in BY_CODE[code].clauses)]
    assert with_kh
    for code in with_kh:
        assert "KH-COP numbering is derived by copguard" in page(code)


# -- the generator ---------------------------------------------------------------------


def test_generated_parts_are_up_to_date(catalog):
    problems = check_docs(RULES_DIR, RULES, catalog)
    assert not problems, "\n".join(str(p) for p in problems)


def test_index_lists_every_rule():
    index = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    table = generated_blocks(index)["index"]
    for rule in RULES:
        row = next(line for line in table.splitlines() if line.startswith(f"| [{rule.code}]"))
        assert rule.name in row and rule.severity.label in row and rule.summary in row
        for clause_id in rule.clauses:
            assert clause_id in row


def test_check_reports_stale_parts_with_a_diff_and_write_fixes_them(tmp_path, catalog):
    for path in RULES_DIR.glob("*.md"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    stale = (tmp_path / "COP101.md").read_text(encoding="utf-8").replace("`UK-AADC-8`", "`UK-AADC-99`")
    (tmp_path / "COP101.md").write_text(stale, encoding="utf-8")
    problems = check_docs(tmp_path, RULES, catalog)
    assert [p.path for p in problems] == ["rules/COP101.md"]
    assert "-- `UK-AADC-99`" in problems[0].diff and "+- `UK-AADC-8`" in problems[0].diff
    assert write_docs(tmp_path, RULES, catalog) == [tmp_path / "COP101.md"]
    assert check_docs(tmp_path, RULES, catalog) == []
    # Prose is left alone: the regenerated page equals the committed one.
    assert (tmp_path / "COP101.md").read_text(encoding="utf-8") == page("COP101")


def test_missing_page_is_reported_and_gets_a_skeleton(tmp_path, catalog):
    for path in RULES_DIR.glob("*.md"):
        if path.name != "COP102.md":
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    problems = check_docs(tmp_path, RULES, catalog)
    assert [p.path for p in problems] == ["rules/COP102.md"]
    assert "missing" in problems[0].message
    write_docs(tmp_path, RULES, catalog)
    skeleton = (tmp_path / "COP102.md").read_text(encoding="utf-8")
    assert [t for t, _ in parse_sections(skeleton)] == list(SECTIONS)
    assert "TODO" in skeleton  # the page tests fail until it is written
    assert CLAUSE_ITEM.findall(skeleton) == list(BY_CODE["COP102"].clauses)


def test_page_of_unregistered_rule_is_reported(tmp_path, catalog):
    for path in RULES_DIR.glob("*.md"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "COP999.md").write_text("# COP999: gone\n", encoding="utf-8")
    problems = check_docs(tmp_path, RULES, catalog)
    assert [p.path for p in problems] == ["rules/COP999.md"]


def test_update_page_inserts_missing_markers(catalog):
    rule = BY_CODE["COP101"]
    bare = "# old heading\n\n## What it does\n\nText.\n\n## Guideline clauses\n\n## References\n\n- x\n"
    updated = update_page(bare, rule, catalog)
    assert updated.startswith("# COP101: child-data-in-logs\n\n<!-- generated: meta -->\n")
    assert CLAUSE_ITEM.findall(dict(parse_sections(updated))["Guideline clauses"]) == list(rule.clauses)
    assert update_page(updated, rule, catalog) == updated


def test_generator_script_check_mode_passes():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "gen_rule_docs.py"), "--check"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_generate_docs_is_deterministic(catalog):
    first = {p: wanted for p, (_, wanted) in generate_docs(RULES_DIR, RULES, catalog).items()}
    second = {p: wanted for p, (_, wanted) in generate_docs(RULES_DIR, RULES, catalog).items()}
    assert first == second


# -- examples --------------------------------------------------------------------------


def _examples(code: str) -> Dict[str, list]:
    text = page(code)
    return {"Example": example_blocks(text, "Example"), "Use instead": example_blocks(text, "Use instead")}


@pytest.mark.parametrize("code", CODES)
def test_example_triggers_the_rule(code, tmp_path):
    blocks = _examples(code)["Example"]
    assert blocks, f"{code}: no ```python block under ## Example"
    for number, block in enumerate(blocks):
        result = run_example(block, code, tmp_path / f"example{number}")
        codes = [finding.rule for finding in result.findings]
        assert code in codes, f"{code}: the Example does not trigger the rule (found {codes})"


@pytest.mark.parametrize("code", CODES)
def test_use_instead_does_not_trigger_the_rule(code, tmp_path):
    blocks = _examples(code)["Use instead"]
    assert blocks, f"{code}: no ```python block under ## Use instead"
    for number, block in enumerate(blocks):
        result = run_example(block, code, tmp_path / f"instead{number}")
        found = [(f.rule, f.line, f.message) for f in result.findings]
        assert found == [], f"{code}: the Use instead code triggers {found}"


# -- the example runner itself -----------------------------------------------------------


def test_split_example_files():
    assert split_example_files("import os\n") is None
    files = split_example_files("# file: app/models.py\nclass A: pass\n\n# file: app/views.py\nimport x\n")
    assert files == [("app/models.py", "class A: pass\n"), ("app/views.py", "import x\n")]
    with pytest.raises(ValueError):
        split_example_files("import os\n# file: a.py\nx = 1\n")
    with pytest.raises(ValueError):
        split_example_files("# file: ../escape.py\nx = 1\n")


def test_multi_file_example_runs_as_a_project(tmp_path):
    code = (
        "# file: app/__init__.py\n"
        "# file: app/broken.py\n"
        "def f(:\n"
        "# file: app/ok.py\n"
        "x = 1\n"
    )
    result = run_example(code, "COP001", tmp_path)
    assert [(f.rule, f.path) for f in result.findings] == [("COP001", "app/broken.py")]
    assert sorted(result.files) == ["app/__init__.py", "app/broken.py", "app/ok.py"]
