"""The clause catalog (rules/clauses.toml), its loader and its build tool."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from copguard_lint import catalog as catalog_mod
from copguard_lint import resources
from copguard_lint.catalog import CatalogError, load_catalog, parse_catalog, tomllib

REPO_ROOT = Path(__file__).resolve().parents[1]
RULES_FILE = REPO_ROOT / "rules" / "clauses.toml"
BUILD_TOOL = REPO_ROOT / "tools" / "build_catalog.py"
SHARED_SOURCE = REPO_ROOT / ".." / "shared" / "guidelines" / "clauses.toml"
needs_shared = pytest.mark.skipif(
    not SHARED_SOURCE.is_file(), reason="shared guidelines catalog (../shared/guidelines) not present"
)


@pytest.fixture(scope="module")
def build_tool():
    spec = importlib.util.spec_from_file_location("build_catalog", BUILD_TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cat():
    return load_catalog(RULES_FILE)


# -- the real catalog ----------------------------------------------------------------


def test_real_catalog_counts_match_declared_counts(cat):
    declared = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))["counts"]
    assert declared == {"frameworks": 7, "clauses": 107, "signals": 23}
    assert len(cat.frameworks) == declared["frameworks"]
    assert len(cat.clauses) == declared["clauses"]
    assert len(cat.signals) == declared["signals"]


def test_real_catalog_versions(cat):
    assert cat.version == "2026.11.0"
    assert cat.schema_version == "1"


def test_real_catalog_frameworks_and_fields(cat):
    assert list(cat.frameworks) == ["KH-COP", "ITU-COP", "UK-AADC", "COPPA", "GDPR", "CA-AADC", "DSA"]
    kh = cat.frameworks["KH-COP"]
    assert kh.structure_provenance == "derived"
    assert kh.derived_numbering is True
    assert "No public copy" in kh.notes
    assert [f.id for f in cat.frameworks.values() if f.derived_numbering] == ["KH-COP"]
    clause = cat.clause("UK-AADC-10")
    assert clause.framework == "UK-AADC"
    assert clause.checkable in ("yes", "partly", "no")
    assert clause.provenance == "sourced"
    assert clause.signals and all(isinstance(s, str) for s in clause.signals)
    assert "SIG-GEO-DEFAULT-ON" in clause.signal_ids
    # The CA-AADC litigation status is kept: it decides whether a clause is enforceable.
    assert cat.clause("CA-AADC-B1").status.startswith("Enjoined")


def test_real_catalog_cross_references_resolve(cat):
    for clause in cat.clauses.values():
        assert clause.framework in cat.frameworks
        assert all(r in cat.clauses for r in clause.related)
        assert all(s in cat.signals for s in clause.signal_ids)
    for signal in cat.signals.values():
        for cid in signal.clauses:
            assert signal.id in cat.clause(cid).signal_ids


def test_catalog_is_read_only(cat):
    with pytest.raises(TypeError):
        cat.clauses["X"] = cat.clause("KH-COP-0")  # type: ignore[index]
    with pytest.raises(AttributeError):
        cat.clause("KH-COP-0").title = "changed"  # type: ignore[misc]


def test_helpers(cat):
    kh = cat.clauses_of("KH-COP")
    assert len(kh) == 17
    assert kh[0].id == "KH-COP-0"
    assert all(c.framework == "KH-COP" for c in kh)
    assert sum(len(cat.clauses_of(f)) for f in cat.frameworks) == len(cat.clauses)
    checkable = cat.checkable_clauses()
    assert checkable and all(c.checkable in ("yes", "partly") for c in checkable)
    assert all(c.checkable == "yes" for c in cat.checkable_clauses(include_partly=False))
    assert len(checkable) + sum(c.checkable == "no" for c in cat.clauses.values()) == len(cat.clauses)
    assert cat.framework_of("COPPA-312.5").id == "COPPA"
    assert cat.signal("SIG-PI-LOGGING").clauses == ("KH-COP-4.1", "COPPA-312.8")
    with pytest.raises(KeyError, match="did you mean KH-COP-4.1"):
        cat.clause("KH-COP-4.11")
    with pytest.raises(KeyError):
        cat.clauses_of("NOPE")


def test_kh_cop_clauses_are_derived_and_described_so(cat):
    kh = cat.clauses_of("KH-COP")
    assert kh and all(cat.is_derived(c.id) for c in kh)
    assert cat.describe("KH-COP-4.1") == (
        "KH-COP-4.1 Confidentiality of children's data (numbering derived by copguard; no public text)"
    )
    for clause in kh:
        assert cat.describe(clause.id).endswith("(numbering derived by copguard; no public text)")


def test_sourced_clauses_are_not_marked_derived(cat):
    assert not cat.is_derived("UK-AADC-10")
    assert cat.describe("UK-AADC-10") == "UK-AADC-10 Geolocation"
    assert "derived" not in cat.describe("COPPA-312.5")
    for clause in cat.clauses.values():
        if clause.framework != "KH-COP":
            assert not cat.is_derived(clause.id)


def test_digest_is_sha256_of_file(cat):
    assert cat.digest() == hashlib.sha256(RULES_FILE.read_bytes()).hexdigest()


def test_default_catalog_is_cached_and_is_the_rules_file():
    catalog_mod.clear_catalog_cache()
    first = load_catalog()
    assert load_catalog() is first
    assert first.digest() == hashlib.sha256(resources.catalog_path().read_bytes()).hexdigest()
    assert load_catalog(RULES_FILE) is not first  # explicit paths are not cached


# -- resources ------------------------------------------------------------------------


def test_rules_dir_finds_clauses_toml():
    found = resources.rules_dir()
    assert (found / "clauses.toml").is_file()
    assert resources.catalog_path() == found / "clauses.toml"


def test_rules_dir_prefers_packaged_rules(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "lib" / "copguard_lint"
    (pkg / "_rules").mkdir(parents=True)
    (pkg / "_rules" / "clauses.toml").write_text("", encoding="utf-8")
    monkeypatch.setattr(resources, "__file__", str(pkg / "resources.py"))
    assert resources.rules_dir() == (pkg / "_rules").resolve()


def test_rules_dir_falls_back_to_checkout(tmp_path, monkeypatch):
    pkg = tmp_path / "checkout" / "src" / "copguard_lint"
    pkg.mkdir(parents=True)
    (tmp_path / "checkout" / "rules").mkdir()
    (tmp_path / "checkout" / "rules" / "clauses.toml").write_text("", encoding="utf-8")
    monkeypatch.setattr(resources, "__file__", str(pkg / "resources.py"))
    assert resources.rules_dir() == (tmp_path / "checkout" / "rules").resolve()


def test_rules_dir_raises_when_missing(tmp_path, monkeypatch):
    pkg = tmp_path / "a" / "b" / "copguard_lint"
    pkg.mkdir(parents=True)
    (tmp_path / "a" / "rules").mkdir()  # a rules/ folder without clauses.toml does not count
    monkeypatch.setattr(resources, "__file__", str(pkg / "resources.py"))
    with pytest.raises(RuntimeError, match="cannot find its rule data"):
        resources.rules_dir()


# -- validation -----------------------------------------------------------------------

VALID = '''\
catalog_version = "t"
schema_version = "1"
counts = { frameworks = 2, clauses = 3, signals = 1 }

[[framework]]
id = "KH-COP"
title = "Cambodia"
publisher = "MPTC"
year = 2023
url = "https://example.org/kh"
binding = "non-binding"
structure_provenance = "derived"
notes = "ours"

[[framework]]
id = "UK-AADC"
title = "Children's code"
publisher = "ICO"
year = 2020
url = "https://example.org/uk"
binding = "statutory"
structure_provenance = "sourced"
notes = ""

[[clause]]
id = "KH-COP-4"
framework = "KH-COP"
title = "Area 4"
citation = "c"
provenance = "derived"
summary = "s"
checkable = "yes"
signals = ["Umbrella"]
signal_ids = []
related = []
url = "https://example.org/kh"

[[clause]]
id = "KH-COP-4.1"
framework = "KH-COP"
parent = "KH-COP-4"
title = "Confidentiality of children's data"
citation = "c"
provenance = "derived"
summary = "s"
checkable = "yes"
signals = ["logs"]
signal_ids = ["SIG-PI-LOGGING"]
related = ["UK-AADC-9"]
url = "https://example.org/kh"

[[clause]]
id = "UK-AADC-9"
framework = "UK-AADC"
title = "Data sharing"
citation = "Standard 9"
provenance = "sourced"
summary = "s"
checkable = "partly"
signals = []
signal_ids = []
related = []
url = "https://example.org/uk"

[[signal]]
id = "SIG-PI-LOGGING"
title = "PI in logs"
detect = "logging calls"
clauses = ["KH-COP-4.1"]
'''

UK9 = 'id = "UK-AADC-9"\nframework = "UK-AADC"'
KH41 = 'id = "KH-COP-4.1"\nframework = "KH-COP"'

BROKEN = {
    # name: (old, new, expected message regex)
    "duplicate clause id": (
        UK9,
        'id = "KH-COP-4"\nframework = "KH-COP"',
        r"duplicate clause id 'KH-COP-4'",
    ),
    "duplicate framework id": (
        'id = "UK-AADC"\ntitle',
        'id = "KH-COP"\ntitle',
        r"duplicate framework id 'KH-COP'",
    ),
    "duplicate signal id": (
        'clauses = ["KH-COP-4.1"]\n',
        'clauses = ["KH-COP-4.1"]\n\n[[signal]]\nid = "SIG-PI-LOGGING"\ntitle = "t"\ndetect = "d"\nclauses = []\n',
        r"duplicate signal id 'SIG-PI-LOGGING'",
    ),
    "clause framework missing": (
        UK9,
        'id = "UK-AADC-9"\nframework = "UK-ADC"',
        r"clause 'UK-AADC-9': framework 'UK-ADC' is not a declared framework",
    ),
    "clause id without framework prefix": (
        UK9,
        'id = "AADC-9"\nframework = "UK-AADC"',
        r"clause 'AADC-9': id does not start with its framework prefix 'UK-AADC-'",
    ),
    "signal clause missing": (
        'clauses = ["KH-COP-4.1"]',
        'clauses = ["KH-COP-4.1", "KH-COP-9"]',
        r"signal 'SIG-PI-LOGGING': clause 'KH-COP-9' is not a declared clause",
    ),
    "checkable bad": (
        'checkable = "partly"',
        'checkable = "maybe"',
        r"clause 'UK-AADC-9': checkable = 'maybe', expected one of yes, partly, no",
    ),
    "provenance bad": (
        '\nprovenance = "sourced"',
        '\nprovenance = "hearsay"',
        r"clause 'UK-AADC-9': provenance = 'hearsay'",
    ),
    "related dangling": (
        'related = ["UK-AADC-9"]',
        'related = ["UK-AADC-99"]',
        r"clause 'KH-COP-4.1': related 'UK-AADC-99' is not a declared clause",
    ),
    "related self": (
        'related = ["UK-AADC-9"]',
        'related = ["KH-COP-4.1"]',
        r"clause 'KH-COP-4.1': related lists the clause itself",
    ),
    "signal_ids dangling": (
        'signal_ids = ["SIG-PI-LOGGING"]',
        'signal_ids = ["SIG-PI-LOGGING", "SIG-NOPE"]',
        r"clause 'KH-COP-4.1': signal_ids entry 'SIG-NOPE' is not a declared signal",
    ),
    "signal_ids not mirrored": (
        'signal_ids = []\nrelated = []\nurl = "https://example.org/uk"',
        'signal_ids = ["SIG-PI-LOGGING"]\nrelated = []\nurl = "https://example.org/uk"',
        r"clause 'UK-AADC-9': lists signal 'SIG-PI-LOGGING', but that signal does not list the clause",
    ),
    "signal clauses not mirrored": (
        'clauses = ["KH-COP-4.1"]',
        'clauses = ["KH-COP-4.1", "UK-AADC-9"]',
        r"signal 'SIG-PI-LOGGING': lists clause 'UK-AADC-9', but that clause's signal_ids do not list it",
    ),
    "parent dangling": (
        'parent = "KH-COP-4"',
        'parent = "KH-COP-5"',
        r"clause 'KH-COP-4.1': parent 'KH-COP-5' is not a declared clause",
    ),
    "unknown schema_version": (
        'schema_version = "1"',
        'schema_version = "2"',
        r"unknown schema_version '2'",
    ),
    "missing schema_version": (
        'schema_version = "1"\n',
        "",
        r"top level: missing required key 'schema_version'",
    ),
    "missing catalog_version": (
        'catalog_version = "t"\n',
        "",
        r"top level: missing required key 'catalog_version'",
    ),
    "missing clause field": (
        'summary = "s"\ncheckable = "partly"',
        'checkable = "partly"',
        r"clause 'UK-AADC-9': missing required key 'summary'",
    ),
    "wrong type": ("year = 2020", 'year = "2020"', r"framework 'UK-AADC': year must be an integer"),
    "list of non-strings": (
        'related = ["UK-AADC-9"]',
        "related = [9]",
        r"clause 'KH-COP-4.1': related must be a list of strings",
    ),
    "unknown key": (KH41, KH41 + '\nsigals = ["x"]', r"clause 'KH-COP-4.1': unknown key 'sigals'"),
    "repeated list entry": (
        'related = ["UK-AADC-9"]',
        'related = ["UK-AADC-9", "UK-AADC-9"]',
        r"clause 'KH-COP-4.1': related repeats 'UK-AADC-9'",
    ),
    "declared count wrong": (
        "clauses = 3,",
        "clauses = 4,",
        r"counts.clauses = 4, but the file has 3 clauses",
    ),
    "invalid toml": ('title = "PI in logs"', 'title = "PI in logs', r"invalid TOML"),
    "clause table not an array": ("[[signal]]", "[signal]", r"'signal' must be an array of tables"),
}


def test_valid_fixture_loads(tmp_path):
    path = tmp_path / "clauses.toml"
    path.write_text(VALID, encoding="utf-8")
    cat = load_catalog(path)
    assert list(cat.clauses) == ["KH-COP-4", "KH-COP-4.1", "UK-AADC-9"]
    assert cat.clause("KH-COP-4.1").parent == "KH-COP-4"
    assert cat.is_derived("KH-COP-4.1") and not cat.is_derived("UK-AADC-9")
    assert cat.describe("KH-COP-4.1") == (
        "KH-COP-4.1 Confidentiality of children's data (numbering derived by copguard; no public text)"
    )
    assert [c.id for c in cat.checkable_clauses()] == ["KH-COP-4", "KH-COP-4.1", "UK-AADC-9"]
    assert cat.digest() == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validation_errors(tmp_path, case):
    old, new, expected = BROKEN[case]
    assert VALID.count(old) == 1, f"fixture edit for {case!r} must match exactly once"
    path = tmp_path / "clauses.toml"
    path.write_text(VALID.replace(old, new), encoding="utf-8")
    with pytest.raises(CatalogError, match=expected) as info:
        load_catalog(path)
    assert str(path) in str(info.value)


def test_all_problems_are_reported_together():
    text = VALID.replace('checkable = "partly"', 'checkable = "maybe"').replace(
        'related = ["UK-AADC-9"]', 'related = ["UK-AADC-99"]'
    )
    with pytest.raises(CatalogError) as info:
        parse_catalog(text, source="fixture")
    assert len(info.value.problems) == 2
    assert "2 problems" in str(info.value)


def test_missing_file_is_a_catalog_error(tmp_path):
    with pytest.raises(CatalogError, match="cannot read clause catalog"):
        load_catalog(tmp_path / "absent.toml")


# -- build tool -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ['plain', 'quote " and backslash \\ ', "tab\tnewline\nreturn\r", "ctl \x00\x01\x1f\x7f", "ខ្មែរ ünïcode", ""],
)
def test_toml_string_round_trips(build_tool, value):
    text = f"k = {build_tool.toml_string(value)}\n"
    assert tomllib.loads(text) == {"k": value}
    assert "\n" not in text[:-1]


def test_toml_assignment_types(build_tool):
    lines = [
        build_tool.toml_assignment("n", 7),
        build_tool.toml_assignment("b", False),
        build_tool.toml_assignment("empty", []),
        build_tool.toml_assignment("short", ["a", 'b"c']),
        build_tool.toml_assignment("long", ["x" * 60, "y" * 60]),
        build_tool.toml_assignment("t", {"frameworks": 1, "clauses": 2}),
        build_tool.toml_assignment("odd key", "v"),
    ]
    assert tomllib.loads("\n".join(lines) + "\n") == {
        "n": 7,
        "b": False,
        "empty": [],
        "short": ["a", 'b"c'],
        "long": ["x" * 60, "y" * 60],
        "t": {"frameworks": 1, "clauses": 2},
        "odd key": "v",
    }
    assert lines[4].count("\n") == 3  # split one item per line
    with pytest.raises(TypeError):
        build_tool.toml_scalar(1.5)


def _run_tool(*args):
    return subprocess.run(
        [sys.executable, str(BUILD_TOOL), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=str(REPO_ROOT),
    )


@needs_shared
def test_build_check_passes_on_committed_file():
    result = _run_tool("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


@needs_shared
def test_build_is_deterministic_and_faithful(build_tool):
    text = build_tool.build_text(SHARED_SOURCE, build_tool.DEFAULT_SOURCE)
    assert text == build_tool.build_text(SHARED_SOURCE, build_tool.DEFAULT_SOURCE)
    assert text.encode("utf-8") == RULES_FILE.read_bytes()
    built, shared = tomllib.loads(text), tomllib.loads(SHARED_SOURCE.read_text(encoding="utf-8"))
    for table in ("framework", "clause", "signal"):
        assert built[table] == shared[table]  # nothing dropped or altered
    assert built["counts"] == shared["counts"]


def test_build_check_detects_drift(tmp_path):
    source = tmp_path / "shared.toml"
    shared_text = VALID.replace('catalog_version = "t"\n', "").replace("counts =", 'generated = "x"\ncounts =')
    source.write_text(shared_text, encoding="utf-8")
    output = tmp_path / "out" / "clauses.toml"
    assert _run_tool(source, "--output", output, "--check").returncode == 1  # not built yet
    built = _run_tool(source, "--output", output)
    assert built.returncode == 0, built.stderr
    assert str(tmp_path) not in output.read_text(encoding="utf-8")  # no absolute paths written
    assert load_catalog(output).version == "2026.11.0"
    assert _run_tool(source, "--output", output, "--check").returncode == 0
    output.write_text(output.read_text(encoding="utf-8").replace("Data sharing", "Data shared"), encoding="utf-8")
    stale = _run_tool(source, "--output", output, "--check")
    assert stale.returncode == 1
    assert "out of date" in stale.stderr


def test_build_rejects_inconsistent_source(tmp_path):
    source = tmp_path / "shared.toml"
    source.write_text(
        VALID.replace('catalog_version = "t"\n', "").replace('related = ["UK-AADC-9"]', 'related = ["UK-AADC-99"]'),
        encoding="utf-8",
    )
    output = tmp_path / "clauses.toml"
    result = _run_tool(source, "--output", output)
    assert result.returncode == 2
    assert "UK-AADC-99" in result.stderr
    assert not output.exists()


def test_build_check_without_shared_source_is_a_no_op(tmp_path):
    result = _run_tool(tmp_path / "missing.toml", "--check")
    assert result.returncode == 0
    assert "not found" in result.stdout
    assert _run_tool(tmp_path / "missing.toml").returncode == 2
