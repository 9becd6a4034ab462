"""The engine: one parse and one traversal per file, facts, project rules, COP001, fingerprints."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import copguard_lint.engine as engine_module
from copguard_lint.config import Settings
from copguard_lint.findings import Fact, Finding, Severity
from copguard_lint.nesting import MAX_NESTING, nesting_problem
from copguard_lint.rule import Analysis, Rule
from copguard_lint.rules.engine_rules import UnanalysableFile
from helpers import (
    TEST_RULES,
    Crashes,
    InputCall,
    PrintCall,
    keys,
    lint_text,
    make_engine,
    write_tree,
)


def run_tree(root: Path, files, settings=None, rules=TEST_RULES, jobs=1):
    write_tree(root, files)
    names = sorted(files)
    return make_engine(settings, rules).run([(root / name, name) for name in names], jobs=jobs)


# -- per-file rules ---------------------------------------------------------------


def test_per_file_rule_reports_with_full_span():
    result = lint_text(
        """\
        def greet(name):
            print("hello",
                  name)
        """
    )
    (finding,) = result.findings
    assert (finding.rule, finding.line, finding.column, finding.end_line, finding.end_column) == (
        "COP901", 2, 5, 3, 16,
    )
    assert finding.severity is Severity.MEDIUM
    assert finding.message == "print() called"
    assert finding.clauses == ("TEST-1",)
    assert finding.path == "mod.py"


def test_report_can_override_severity():
    class Loud(Rule):
        code = "COP905"
        name = "loud"
        summary = "loud"

        def visit_Call(self, node):
            self.report(node, "loud call", severity=Severity.CRITICAL)

    (finding,) = lint_text("f()\n", rules=[Loud]).findings
    assert finding.severity is Severity.CRITICAL


def test_findings_are_frozen_plain_data():
    (finding,) = lint_text("print(1)\n").findings
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.line = 3  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert Finding.from_json(finding.to_json()) == finding
    assert Finding.from_json(finding.to_json()).fingerprint == finding.fingerprint


def test_output_sorted_by_path_line_column_rule(tmp_path):
    class EveryCall(Rule):
        code = "COP900"
        name = "every-call"
        summary = "every call"

        def visit_Call(self, node):
            self.report(node, "a call")

    source = "x = 1\nprint(input())\nprint(2)\n"
    result = run_tree(tmp_path, {"b.py": source, "a.py": source, "sub/a.py": source},
                      rules=[PrintCall, InputCall, EveryCall])
    assert keys(result) == sorted(keys(result))
    assert keys(result)[:5] == [
        ("a.py", 2, 1, "COP900"),
        ("a.py", 2, 1, "COP901"),
        ("a.py", 2, 7, "COP900"),
        ("a.py", 2, 7, "COP903"),
        ("a.py", 3, 1, "COP900"),
    ]
    assert [p for p, *_ in keys(result)] == ["a.py"] * 6 + ["b.py"] * 6 + ["sub/a.py"] * 6


def test_one_parse_and_one_traversal_per_file(tmp_path, monkeypatch):
    parses, walks = [], []
    real_parse, real_walk = engine_module.parse, engine_module.visit_all

    def counting_parse(text, **kwargs):
        parses.append(text)
        return real_parse(text, **kwargs)

    def counting_walk(module, visitors):
        walks.append(len(visitors))
        return real_walk(module, visitors)

    monkeypatch.setattr(engine_module, "parse", counting_parse)
    monkeypatch.setattr(engine_module, "visit_all", counting_walk)
    files = {f"m{i}.py": "class Message:\n    print(input())\n" for i in range(3)}
    result = run_tree(tmp_path, files)
    assert len(parses) == 3
    # One traversal per file, carrying the analysis and both per-file rules at once.
    assert walks == [3, 3, 3]
    assert {f.rule for f in result.findings} == {"COP901", "COP902", "COP903"}


def test_analysis_is_shared_and_runs_before_rules():
    order = []

    class Counter(Analysis):
        def __init__(self, ctx):
            super().__init__(ctx)
            self.calls = 0

        def visit_Call(self, node):
            self.calls += 1

        def finish(self):
            order.append("analysis")

    class UsesCounter(Rule):
        code = "COP906"
        name = "uses-counter"
        summary = "uses the counter"
        requires = (Counter,)

        def finish(self):
            order.append("rule")
            calls = self.ctx.analysis(Counter).calls
            self.report(self.ctx.module, f"{calls} calls")

    class AlsoUsesCounter(UsesCounter):
        code = "COP907"

    result = lint_text("f()\ng(h())\n", rules=[UsesCounter, AlsoUsesCounter])
    assert [f.message for f in result.findings] == ["3 calls", "3 calls"]
    assert order == ["analysis", "rule", "rule"]


# -- facts and project rules -----------------------------------------------------


def test_facts_are_plain_data_with_positions():
    engine = make_engine()
    file_result = engine.lint_source("m.py", "x = 1\n\nclass  Message:\n    pass\n")
    (fact,) = file_result.facts
    assert fact == Fact("class", "m.py", 3, 8, 3, 15, (("name", "Message"),))
    assert fact.get("name") == "Message"
    assert pickle.loads(pickle.dumps(file_result)) == file_result
    assert Fact.from_json(fact.to_json()) == fact


def test_project_rule_sees_facts_of_every_file(tmp_path):
    result = run_tree(tmp_path, {
        "models/a.py": "class Message:\n    pass\n",
        "models/b.py": "class Other:\n    pass\nclass Message:\n    pass\n",
    })
    assert keys(result) == [("models/a.py", 1, 7, "COP902"), ("models/b.py", 3, 7, "COP902")]
    assert result.findings[0].severity is Severity.HIGH
    assert result.findings[0].clauses == ("TEST-2",)


def test_project_rule_satisfied_by_a_class_in_another_file(tmp_path):
    result = run_tree(tmp_path, {
        "models/a.py": "class Message:\n    pass\n",
        "reports/z.py": "class Report:\n    pass\n",
    })
    assert result.findings == ()


def test_project_rule_with_no_facts_finds_nothing(tmp_path):
    assert run_tree(tmp_path, {"a.py": "x = 1\n"}).findings == ()


def test_project_rules_can_be_left_out():
    engine = make_engine()
    result = engine.finish_run([engine.lint_source("m.py", "class Message: pass\n")], project=False)
    assert result.findings == ()


def test_file_with_syntax_error_contributes_no_facts(tmp_path):
    result = run_tree(tmp_path, {
        "a.py": "class Message:\n    pass\n",
        "b.py": "class Report(:\n    pass\n",
    })
    # b.py could not be parsed, so its Report class is unknown: a.py's Message is reported.
    assert [(f.rule, f.path) for f in result.findings] == [("COP902", "a.py"), ("COP001", "b.py")]


# -- COP001: files that cannot be analysed -----------------------------------------


def test_syntax_error_is_cop001_with_cpythons_message_and_others_still_checked(tmp_path):
    result = run_tree(tmp_path, {
        "a.py": "print(1)\n",
        "b.py": "x = 1\ndef f(:\n    pass\n",
        "c.py": "print(3)\n",
    })
    assert keys(result) == [
        ("a.py", 1, 1, "COP901"),
        ("b.py", 2, 7, "COP001"),
        ("c.py", 1, 1, "COP901"),
    ]
    cop001 = result.findings[1]
    assert cop001.message == "not checked: syntax error: invalid syntax"
    assert cop001.severity is Severity.HIGH
    assert [(e.path, e.line) for e in result.errors] == [("b.py", 2)]
    assert result.files == ("a.py", "b.py", "c.py")


def test_unclosed_bracket_message():
    (finding,) = lint_text("x = foo(\n").findings
    assert finding.rule == "COP001"
    # CPython's own wording: 3.10+ names the bracket, 3.9 says unexpected EOF.
    assert "'(' was never closed" in finding.message or "unexpected EOF" in finding.message


def test_cop001_can_be_turned_off_but_the_error_stays_listed():
    result = lint_text("def f(:\n", settings=Settings(ignore=("COP001",)))
    assert result.findings == ()
    assert len(result.errors) == 1


def test_directory_passed_as_file(tmp_path):
    (tmp_path / "pkg.py").mkdir()
    result = make_engine().run([(tmp_path / "pkg.py", "pkg.py")])
    assert [(f.rule, f.message) for f in result.findings] == [
        ("COP001", "not checked: is a directory, not a Python file")
    ]


def test_file_that_vanished(tmp_path):
    result = make_engine().run([(tmp_path / "gone.py", "gone.py")])
    assert [f.rule for f in result.findings] == ["COP001"]
    assert "disappeared" in result.findings[0].message


def test_unreadable_file_is_cop001_and_others_still_checked(tmp_path, monkeypatch):
    write_tree(tmp_path, {"a.py": "print(1)\n", "secret.py": "print(2)\n"})
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = make_engine().run([(tmp_path / "a.py", "a.py"), (tmp_path / "secret.py", "secret.py")])
    assert [(f.rule, f.path, f.message) for f in result.findings] == [
        ("COP901", "a.py", "print() called"),
        ("COP001", "secret.py", "not checked: cannot be read: permission denied"),
    ]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root can read files whatever their mode")
def test_chmod_000_file(tmp_path):
    write_tree(tmp_path, {"locked.py": "print(1)\n"})
    (tmp_path / "locked.py").chmod(0)
    try:
        result = make_engine().run([(tmp_path / "locked.py", "locked.py")])
    finally:
        (tmp_path / "locked.py").chmod(0o644)
    assert [f.rule for f in result.findings] == ["COP001"]
    assert "permission denied" in result.findings[0].message


def test_rule_crash_is_cop001_for_that_file_only(tmp_path):
    result = run_tree(tmp_path, {"a.py": "boom()\n", "b.py": "print(1)\n"}, rules=[*TEST_RULES, Crashes])
    assert [(f.rule, f.path) for f in result.findings] == [("COP001", "a.py"), ("COP901", "b.py")]
    message = result.findings[0].message
    assert "internal error" in message and "ValueError" in message and "please report" in message


@pytest.mark.parametrize(
    "broken",
    [
        "x = 1\ndef f(:\n",
        "x = [1,\n(2\n]\n",  # CPython's message names a line number
    ],
)
def test_cop001_fingerprint_survives_lines_inserted_above(broken):
    first = lint_text(broken).findings[0]
    second = lint_text("# comment\n\n" + broken).findings[0]
    assert first.rule == second.rule == "COP001"
    assert first.line + 2 == second.line
    assert first.fingerprint == second.fingerprint


def test_cop001_fingerprint_of_undecodable_file_survives_lines_inserted_above():
    engine = make_engine()
    first = engine.lint_source("m.py", b"x = 1\ny = '\xff'\n").findings[0]
    second = engine.lint_source("m.py", b"import os\n\nx = 1\ny = '\xff'\n").findings[0]
    assert "offset" in first.message and first.message != second.message
    assert first.fingerprint == second.fingerprint


# -- very deep nesting: libcst crashes or hangs on it, CPython does not ------------


def test_nesting_guard_measures_depth():
    assert nesting_problem("x = " + " + ".join(["a"] * 50) + "\n") is None
    deep = "x = " + " + ".join(["a"] * (MAX_NESTING + 10)) + "\n"
    assert "too deeply nested" in nesting_problem(deep)
    deep_or = "x = " + " or ".join(["a"] * (MAX_NESTING + 10)) + "\n"
    assert "too deeply nested" in nesting_problem(deep_or)
    assert nesting_problem("x = [" + ", ".join(["a"] * 5000) + "]\n") is None  # long, but flat
    assert nesting_problem("def f(:\n" + "x = 1\n" * 500) is None  # syntax errors are libcst's to report


def test_deep_expression_is_cop001_and_does_not_take_the_run_down(tmp_path):
    # libcst's native parser segfaults on this (it would kill the whole run), so
    # it runs in a child process where a crash is a failed assertion.
    write_tree(tmp_path, {
        "deep.py": "x = " + "+".join(["1"] * 20000) + "\n",
        "trailers.py": "x = a" + ".b[0](1)" * 800 + "\n",
        "ok.py": "print(1)\n",
    })
    code = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, sys.argv[1])
        from pathlib import Path
        from helpers import make_engine
        root = Path(sys.argv[2])
        result = make_engine().run([(root / n, n) for n in ("deep.py", "ok.py", "trailers.py")])
        for f in result.findings:
            print(f.path, f.rule, f.message)
        """
    )
    tests_dir = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", code, tests_dir, str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"deep.py COP001 not checked: too deeply nested for the parser (expressions more than {MAX_NESTING} levels deep)",
        "ok.py COP901 print() called",
        f"trailers.py COP001 not checked: too deeply nested for the parser (expressions more than {MAX_NESTING} levels deep)",
    ]


def test_moderately_deep_expression_is_still_analysed():
    result = lint_text("x = " + "+".join(["1"] * 800) + "\nprint(x)\n")
    assert [(f.rule, f.line) for f in result.findings] == [("COP901", 2)]


# -- prefilter: skipping files no rule can use ----------------------------------------


class PrefilteredPrint(PrintCall):
    code = "COP908"
    prefilter = ("print",)


def test_prefilter_skips_parsing_but_not_syntax_errors(monkeypatch):
    parsed = []
    real_parse = engine_module.parse
    monkeypatch.setattr(engine_module, "parse", lambda text, **kw: parsed.append(text) or real_parse(text, **kw))
    engine = make_engine(rules=[UnanalysableFile, PrefilteredPrint])
    results = [
        engine.lint_source("clean.py", "x = 1\n"),
        engine.lint_source("broken.py", "x = (\n"),
        engine.lint_source("uses.py", "PRINT = 1\nprint(PRINT)\n"),
    ]
    result = engine.finish_run(results)
    assert [(f.path, f.rule) for f in result.findings] == [("broken.py", "COP001"), ("uses.py", "COP908")]
    assert "x = 1\n" not in parsed


# -- selection ----------------------------------------------------------------


@pytest.mark.parametrize(
    "select, ignore, expected",
    [
        (("COP",), (), {"COP001", "COP901", "COP902", "COP903"}),
        (("COP9",), (), {"COP901", "COP902", "COP903"}),
        (("COP9",), ("COP90",), set()),
        (("COP901",), ("COP9",), {"COP901"}),  # the longer prefix wins
        (("COP",), ("COP903", "COP001"), {"COP901", "COP902"}),
        (("ALL",), ("COP0",), {"COP901", "COP902", "COP903"}),
    ],
)
def test_select_and_ignore(select, ignore, expected):
    engine = make_engine(Settings(select=select, ignore=ignore))
    assert {rule.code for rule in engine.rules} == expected


# -- per-file-ignores -----------------------------------------------------------------


PFI_FILES = {
    "app/views.py": "print(input())\n",
    "app/legacy/old.py": "print(input())\n",
    "tests/test_views.py": "print(input())\n",
    "scripts/tool.py": "print(input())\n",
}


def pfi(tmp_path, table):
    settings = Settings(per_file_ignores=tuple(table), root=str(tmp_path))
    write_tree(tmp_path, PFI_FILES)
    files = [(tmp_path / name, name) for name in sorted(PFI_FILES)]
    return {(f.path, f.rule) for f in make_engine(settings).run(files).findings}


def test_per_file_ignores_by_glob_and_code(tmp_path):
    found = pfi(tmp_path, [("tests/*", ("COP901",)), ("app/legacy/**", ("ALL",)), ("tool.py", ("COP9",))])
    assert found == {
        ("app/views.py", "COP901"),
        ("app/views.py", "COP903"),
        ("tests/test_views.py", "COP903"),
    }


def test_per_file_ignores_by_prefix(tmp_path):
    found = pfi(tmp_path, [("app/**", ("COP90",))])
    assert ("app/views.py", "COP901") not in found
    assert ("app/legacy/old.py", "COP903") not in found
    assert ("scripts/tool.py", "COP901") in found


def test_per_file_ignores_cover_project_rules(tmp_path):
    write_tree(tmp_path, {"a/m.py": "class Message: pass\n", "b/m.py": "class Message: pass\n"})
    settings = Settings(per_file_ignores=(("a/*", ("COP902",)),), root=str(tmp_path))
    result = make_engine(settings).run([(tmp_path / "a/m.py", "a/m.py"), (tmp_path / "b/m.py", "b/m.py")])
    assert [(f.path, f.rule) for f in result.findings] == [("b/m.py", "COP902")]


# -- fingerprints -------------------------------------------------------------------


SOURCE = """\
import os

def show(user):
    print(user.name)
    print(user.name)
    print(user.email)
"""


def fingerprints(source, path="mod.py"):
    return [(f.line, f.fingerprint) for f in lint_text(source, path=path).findings]


def test_fingerprints_survive_lines_inserted_above():
    before = fingerprints(SOURCE)
    after = fingerprints("# a new header\nimport sys\n\n\n" + SOURCE.replace("import os\n", "import os\nimport re\n"))
    assert [line for line, _ in after] == [line + 5 for line, _ in before]
    assert [fp for _, fp in after] == [fp for _, fp in before]


def test_fingerprints_survive_reindentation():
    before = fingerprints(SOURCE)
    after = fingerprints(SOURCE.replace("    ", "  "))
    assert [fp for _, fp in after] == [fp for _, fp in before]


def test_identical_lines_get_distinct_fingerprints():
    prints = fingerprints(SOURCE)
    assert len({fp for _, fp in prints}) == 3


def test_editing_the_flagged_line_changes_its_fingerprint_only():
    before = fingerprints(SOURCE)
    after = fingerprints(SOURCE.replace("user.email", "user.phone"))
    assert before[:2] == after[:2]
    assert before[2][1] != after[2][1]


def test_fingerprint_depends_on_path():
    assert fingerprints(SOURCE, "a.py") != fingerprints(SOURCE, "b.py")


def test_project_rule_fingerprints_survive_lines_inserted_above(tmp_path):
    first = run_tree(tmp_path / "1", {"m.py": "class Message:\n    pass\n"})
    second = run_tree(tmp_path / "2", {"m.py": "import os\n\n\nclass Message:\n    pass\n"})
    assert first.findings[0].line == 1 and second.findings[0].line == 4
    assert first.findings[0].fingerprint == second.findings[0].fingerprint
    assert first.findings[0].fingerprint


# -- determinism ----------------------------------------------------------------------


def big_tree(root: Path) -> None:
    files = {}
    for i in range(24):
        body = "\n" * (i % 5) + f"def f{i}():\n" + "    print(input())\n" * (i % 3 + 1)
        if i % 7 == 0:
            body += "class Message:\n    pass\n"
        if i % 11 == 0:
            body += "print(1)  # copguard: ignore[COP901] -- test\n"
        files[f"pkg{i % 4}/mod_{i:02d}.py"] = body
    files["pkg1/broken.py"] = "def f(:\n"
    files["pkg2/latin.py"] = "# coding: latin-1\nname = 'Zo\xeb'\nprint(name)\n".encode("latin-1")
    write_tree(root, files)


def tree_files(root: Path):
    return sorted(((p, p.relative_to(root).as_posix()) for p in root.rglob("*.py")), key=lambda x: x[1])


def test_same_result_run_to_run(tmp_path):
    big_tree(tmp_path)
    files = tree_files(tmp_path)
    first = make_engine().run(files)
    second = make_engine().run(list(reversed(files)))
    assert first == second
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]


def test_one_worker_and_two_workers_agree(tmp_path):
    big_tree(tmp_path)
    files = tree_files(tmp_path)
    assert len(files) >= 20
    serial = make_engine().run(files, jobs=1)
    parallel = make_engine().run(files, jobs=2)
    assert serial == parallel
    assert [(f.fingerprint, f.message, f.severity) for f in serial.findings] == [
        (f.fingerprint, f.message, f.severity) for f in parallel.findings
    ]
    assert {f.rule for f in serial.findings} == {"COP001", "COP901", "COP902", "COP903"}
    assert len(serial.suppressed) == 3


def test_no_process_pool_available_falls_back_to_one_process(tmp_path, monkeypatch):
    import copguard_lint.parallel as parallel

    def no_pool(*args, **kwargs):
        raise OSError(38, "Function not implemented")

    big_tree(tmp_path)
    files = tree_files(tmp_path)
    expected = make_engine().run(files, jobs=1)
    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_pool)
    assert make_engine().run(files, jobs=4) == expected
