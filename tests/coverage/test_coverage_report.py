"""The coverage report: model, statuses, Markdown/JSON/HTML renderings, git evidence, and a
real headless browser showing that nothing from the scanned code runs as HTML.

Most tests use two small test rules mapped to real catalog clauses, so they do not depend on
how the shipped COP1xx rules word their messages; the browser test scans with the shipped rules too.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import libcst as cst
import pytest

from copguard_lint import registry
from copguard_lint.catalog import load_catalog
from copguard_lint.config import Settings
from copguard_lint.coverage import build_report, git_state, render
from copguard_lint.coverage.model import (
    STATUS_CHECKED,
    STATUS_MANUAL,
    STATUS_NO_RULE,
    STATUS_RULES_DISABLED,
    STATUS_VIOLATIONS,
    GitState,
)
from copguard_lint.engine import Engine
from copguard_lint.findings import Severity
from copguard_lint.rule import Rule

FIXED = dt.datetime(2026, 11, 29, 12, 30, 5, tzinfo=dt.timezone.utc)
GIT = GitState("0123456789abcdef0123456789abcdef01234567", False, "clean")


def _first_string(node: cst.Call) -> str:
    if node.args and isinstance(node.args[0].value, cst.SimpleString):
        return str(node.args[0].value.evaluated_value)
    return "?"


class PrintsText(Rule):
    """Test rule: every print() call, its first string in the message (odd text on purpose)."""

    code = "COP191"
    name = "test-print"
    summary = "print() call (test rule)"
    severity = Severity.HIGH
    clauses = ("KH-COP-4.1", "COPPA-312.8")
    family = "log"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, f"{_first_string(node)} reaches a log via print: test advice")


class PostsToPartner(Rule):
    """Test rule: every `.post(...)` call."""

    code = "COP192"
    name = "test-post"
    summary = "HTTP post (test rule)"
    severity = Severity.MEDIUM
    clauses = ("UK-AADC-9", "CA-AADC-B3")
    family = "http"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "post":
            self.report(node, "data reaches an HTTP request via requests.post: test advice")


TEST_RULES = (*[r for r in registry.all_rules() if r.code == "COP001"], PrintsText, PostsToPartner)

PROJECT = {
    "app/views.py": """\
        import requests


        def signup(child):
            print("new child | <b>signed</b> up")
            # copguard: ignore[COP192] -- partner under DPA-2026-04 <contract & annex>
            requests.post("https://partner.example", json={"id": child.id})
            return child.id
    """,
    "app/more.py": """\
        def debug(child):
            print("second")
            print("third")
    """,
    "app/broken.py": "def broken(:\n    pass\n",
}


def write_project(root: Path, files: Dict[str, str] = PROJECT) -> List:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return sorted((p, p.relative_to(root).as_posix()) for p in root.rglob("*.py"))


def make_report(root: Path, settings: Optional[Settings] = None, frameworks=(), clock=lambda: FIXED, git=GIT):
    settings = settings or Settings(select=("COP",))
    engine = Engine(settings, rules=TEST_RULES)
    result = engine.run(write_project(root))
    return build_report(
        result, load_catalog(), TEST_RULES, settings, frameworks=frameworks, scanned_paths=(".",),
        git=git, clock=clock,
    )


@pytest.fixture
def report(tmp_path):
    return make_report(tmp_path)


def clause(report, clause_id):
    return next(c for c in report.clauses() if c.id == clause_id)


# -- the model --------------------------------------------------------------------------


def test_evidence_header(report):
    ev = report.evidence
    catalog = load_catalog()
    assert ev.tool_version and ev.catalog_version == catalog.version
    assert ev.catalog_digest == catalog.digest() and len(ev.catalog_digest) == 64
    assert ev.config_digest == Settings(select=("COP",)).digest()
    assert ev.generated_at == "2026-11-29T12:30:05Z"
    assert ev.files_scanned == 3
    assert [(f.path, f.line) for f in ev.not_analysable] == [("app/broken.py", 1)]
    assert ev.git.commit == GIT.commit
    assert ev.rules_enabled == ("COP001", "COP191", "COP192")


def test_statuses(report):
    violated = clause(report, "KH-COP-4.1")
    assert violated.status == STATUS_VIOLATIONS and violated.findings == 3
    assert [(loc.path, loc.line) for loc in violated.locations] == [
        ("app/more.py", 2), ("app/more.py", 3), ("app/views.py", 5),
    ]
    assert violated.status_text == "violations found (3 findings)"

    # Only a suppressed finding: checked and clean, the suppression listed with its reason.
    sharing = clause(report, "UK-AADC-9")
    assert sharing.status == STATUS_CHECKED
    assert sharing.status_text == "checked by 1 rule, none found"
    assert [(s.rule, s.line, s.reason) for s in sharing.suppressed] == [
        ("COP192", 7, "partner under DPA-2026-04 <contract & annex>")
    ]

    nothing = clause(report, "KH-COP-3.1")  # checkable yes, no rule
    assert nothing.status == STATUS_NO_RULE and nothing.status_text == "checkable, no rule yet"
    assert nothing.checklist and "verify by hand" in nothing.checklist
    assert nothing.hints  # the catalog's code signals tell the auditor what to look for

    manual = clause(report, "KH-COP-1.1")  # checkable no
    assert manual.status == STATUS_MANUAL
    catalog = load_catalog()
    assert manual.checklist == "Verify by hand: " + catalog.clause("KH-COP-1.1").summary


def test_umbrella_clause_is_covered_through_its_subclauses(report):
    umbrella = clause(report, "KH-COP-4")
    assert umbrella.status == STATUS_VIOLATIONS
    assert {(r.code, r.via) for r in umbrella.rules} == {("COP191", "KH-COP-4.1")}
    assert "through sub-clauses (1 of 2 checkable have rules)" in umbrella.status_text


def test_rules_disabled_by_configuration(tmp_path):
    report = make_report(tmp_path, Settings(select=("COP",), ignore=("COP192",)))
    assert clause(report, "CA-AADC-B3").status == STATUS_RULES_DISABLED
    assert "COP192" in clause(report, "CA-AADC-B3").status_text
    assert [c.id for c in report.uncovered_checkable() if c.id in ("CA-AADC-B3", "UK-AADC-9")] == [
        "UK-AADC-9", "CA-AADC-B3",
    ]


def test_every_checkable_clause_is_reported_honestly(report):
    catalog = load_catalog()
    assert len(list(report.clauses())) == len(catalog.clauses)
    mapped = {c for rule in TEST_RULES for c in rule.clauses}
    for item in report.clauses():
        if item.checkable == "no":
            assert item.status in (STATUS_MANUAL, STATUS_VIOLATIONS)
        elif not item.rules:
            assert item.status == STATUS_NO_RULE, item.id
            assert item.id not in mapped
        if item.status != STATUS_CHECKED or item.checkable == "partly":
            assert item.checklist or item.status == STATUS_VIOLATIONS


def test_framework_filter(tmp_path):
    report = make_report(tmp_path, frameworks=("COPPA", "KH-COP"))
    assert [f.id for f in report.frameworks] == ["KH-COP", "COPPA"]  # catalog order
    assert report.evidence.frameworks == ("KH-COP", "COPPA")
    with pytest.raises(KeyError):
        make_report(tmp_path / "x", frameworks=("NOPE",))


def test_fail_predicates(report):
    assert "KH-COP-4.1" in [c.id for c in report.violated_checkable()]
    assert "UK-AADC-9" not in [c.id for c in report.violated_checkable()]
    uncovered = [c.id for c in report.uncovered_checkable()]
    assert "KH-COP-3.1" in uncovered and "KH-COP-4.1" not in uncovered and "KH-COP-1.1" not in uncovered


def test_inventory_by_family(report):
    rows = [(i.family, i.rule, i.path, i.line, i.sink, i.suppressed) for i in report.inventory]
    assert rows == [
        ("http", "COP192", "app/views.py", 7, "an HTTP request via requests.post", True),
        ("log", "COP191", "app/more.py", 2, "a log via print", False),
        ("log", "COP191", "app/more.py", 3, "a log via print", False),
        ("log", "COP191", "app/views.py", 5, "a log via print", False),
    ]
    assert report.inventory[0].reason.startswith("partner under DPA")


# -- renderings -------------------------------------------------------------------------


def test_markdown(report):
    text = render(report, "md")
    assert text.startswith("# copguard coverage report\n")
    for needle in (
        "2026-11-29T12:30:05Z", GIT.commit, report.evidence.catalog_digest, report.evidence.config_digest,
        "| Files scanned | 3 |", "| Files not analysable | 1 |", "checkable, no rule yet",
        "not checkable in code: manual check", "checked by 1 rule, none found", "violations found (3 findings)",
        "KH-COP clause numbering is derived by copguard", "## Child-data inventory", "- [ ] Verify by hand:",
    ):
        assert needle in text, needle
    # Reasons and messages from the scanned code are escaped, never raw HTML or table breakers.
    assert "partner under DPA-2026-04 \\<contract \\& annex>" in text
    assert "new child \\| \\<b>signed\\</b>" in text
    assert not re.search(r"(?<!\\)<", text)  # no unescaped "<" anywhere: no HTML can start
    # Every KH-COP clause row carries the derived-numbering note.
    kh_rows = [line for line in text.splitlines() if line.startswith("| KH-COP-")]
    assert len(kh_rows) == 17 and all("numbering derived by copguard; no public text" in r for r in kh_rows)


def test_json_shape_and_determinism(tmp_path):
    first = render(make_report(tmp_path / "a"), "json")
    second = render(make_report(tmp_path / "b"), "json")
    assert first == second
    later = render(make_report(tmp_path / "c", clock=lambda: FIXED + dt.timedelta(hours=5)), "json")
    one, two = json.loads(first), json.loads(later)
    assert one["evidence"].pop("generated_at") != two["evidence"].pop("generated_at")
    assert one == two
    data = json.loads(first)
    assert data["report"] == "copguard-coverage" and data["schema_version"] == 1
    assert data["evidence"]["git"] == {"commit": GIT.commit, "dirty": False, "note": "clean"}
    kh = next(f for f in data["frameworks"] if f["id"] == "KH-COP")
    assert kh["derived_numbering"] is True and "derived by copguard" in kh["note"]
    c41 = next(c for c in kh["clauses"] if c["id"] == "KH-COP-4.1")
    assert c41["status"] == "violations" and c41["status_label"] == "violations found" and c41["findings"] == 3
    uk9 = next(c for f in data["frameworks"] for c in f["clauses"] if c["id"] == "UK-AADC-9")
    assert uk9["suppressed"][0]["reason"] == "partner under DPA-2026-04 <contract & annex>"
    assert sum(data["counts"].values()) == len(load_catalog().clauses)


def test_html_is_self_contained_and_escaped(report):
    text = render(report, "html")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower()
    assert 'src="' not in text and "href=\"http" not in text and "url(" not in text
    assert "<b>signed</b>" not in text
    assert "new child | &lt;b&gt;signed&lt;/b&gt; up" in text
    assert "&lt;contract &amp; annex&gt;" in text
    assert '<h1 id="report-title">copguard coverage report</h1>' in text


# -- git evidence -----------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_git_state(tmp_path):
    assert git_state(tmp_path).note == "not a git repository"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True, text=True)

    git("init", "-q")
    assert git_state(tmp_path).note == "git repository without commits"
    (tmp_path / "app.py").write_text("x = 1\n")
    git("add", "app.py")
    git("commit", "-q", "-m", "first")
    head = git("rev-parse", "HEAD").stdout.strip()
    assert git_state(tmp_path) == GitState(head, False, "clean")
    (tmp_path / "app.py").write_text("x = 2\n")
    assert git_state(tmp_path) == GitState(head, True, "uncommitted changes")
    (tmp_path / "other").mkdir()
    assert git_state(tmp_path, ["other"]) == GitState(head, False, "clean")


# -- a real browser ---------------------------------------------------------------------

ODD_NAME = "<img src=x onerror=alert(1)>.py"


def _chromium() -> Optional[str]:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class _DomScan(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attributes: List[str] = []
        self.tags: List[str] = []
        self.title = ""
        self.text: List[str] = []
        self.h1: List[str] = []
        self._in: List[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)
        if "title" in self._in:
            self.title += data
        if "h1" in self._in:
            self.h1.append(data)


def test_html_in_headless_chromium(tmp_path, monkeypatch):
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary found (Debian: apt-get install -y chromium)")
    project = tmp_path / "project"
    project.mkdir()
    source = textwrap.dedent("""\
        import logging

        BANNER = "</script><script>document.title='pwned'</script>"


        def register(child):
            logging.info("registered %s", child.email)
            print("</script><script>document.title='pwned'</script>")
    """)
    try:
        (project / ODD_NAME).write_text(source, encoding="utf-8")
        odd_path = ODD_NAME
    except OSError:  # pragma: no cover - a filesystem that refuses the name
        (project / "<img src=x onerror=alert(1)>").mkdir()
        (project / "<img src=x onerror=alert(1)>" / "views.py").write_text(source, encoding="utf-8")
        odd_path = "<img src=x onerror=alert(1)>/views.py"

    from copguard_lint.cli import cli
    from click.testing import CliRunner

    rules = (*registry.all_rules(), PrintsText)
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["coverage", ".", "--format", "html", "-o", "report.html"], prog_name="copguard")
    assert result.exit_code == 0, result.output
    page = (project / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page and "</script><script>" not in page

    profile = tmp_path / "chromium-profile"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--dump-dom", (project / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = _DomScan()
    dom.feed(done.stdout)
    assert dom.title == "copguard coverage report" and dom.title != "pwned"
    assert "onerror" not in dom.attributes
    assert "img" not in dom.tags and "script" not in dom.tags
    assert any("copguard coverage report" in text for text in dom.h1)
    shown = "".join(dom.text)
    assert odd_path in shown  # the odd name is shown as text, not run as markup
    assert "</script><script>document.title='pwned'</script>" in shown


def test_skipped_files_are_listed_and_escaped(tmp_path):
    settings = Settings(select=("COP",))
    result = Engine(settings, rules=TEST_RULES).run(write_project(tmp_path))
    report = build_report(
        result, load_catalog(), TEST_RULES, settings, skipped=[("link<x>.py", "symlink to outside the tree")],
        git=GIT, clock=lambda: FIXED,
    )
    assert report.evidence.skipped == (("link<x>.py", "symlink to outside the tree"),)
    assert "- `link<x>.py`: symlink to outside the tree" in render(report, "md")
    assert "<code>link&lt;x&gt;.py</code>: symlink to outside the tree" in render(report, "html")


def test_shipped_rules_on_clean_code_show_exactly_the_mapped_clauses_as_checked(tmp_path):
    """The issue's goal, as the report states it: a checkable clause is "checked" only when an
    enabled rule maps to it (or to one of its sub-clauses); every other one says "no rule yet"."""
    catalog = load_catalog()
    shipped = registry.all_rules()
    (tmp_path / "ok.py").write_text("def ok():\n    return 1\n", encoding="utf-8")
    settings = Settings()
    result = Engine(settings).run([(tmp_path / "ok.py", "ok.py")])
    report = build_report(result, catalog, shipped, settings, git=GIT, clock=lambda: FIXED)
    direct = {clause_id for rule in shipped for clause_id in rule.clauses}
    for item in report.clauses():
        mapped = item.id in direct or any(sub in direct for sub in item.subclauses)
        if item.checkable == "no":
            assert item.status == STATUS_MANUAL, item.id
        elif mapped:
            assert item.status == STATUS_CHECKED, item.id
        else:
            assert item.status == STATUS_NO_RULE, item.id
