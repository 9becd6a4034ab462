"""The prefilter may skip a file only when no result can depend on it.

A file without any word an analysis needs locally can still matter to a
project rule through code other files share with it (a wrapper they call, a
helper on their path). Analyses name that code in facts (`Analysis.links`) and
the engine lints the skipped files that mention such a name after all
(`Engine.lint_linked`). These tests use a small analysis of their own: calls
that reach `audit_sink()` directly or through wrappers in other files.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from copguard_lint.cache import ResultCache
from copguard_lint.config import Settings
from copguard_lint.engine import Engine
from copguard_lint.prefilter import Prefilter, linked_names
from copguard_lint.findings import Fact
from copguard_lint.rule import Analysis, ProjectFinding, ProjectRule
from helpers import write_tree

SINK = "audit_sink"


class SinkCalls(Analysis):
    """Records each function's direct calls; only files naming the sink have anything of their own."""

    prefilter = (SINK,)
    links = {"test.calls": ("function", "callees")}

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.stack = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append((node, node.name.value, []))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        node, name, callees = self.stack.pop()
        if callees:
            self.ctx.record("test.calls", node.name, function=name, callees=sorted(set(callees)))

    def visit_Call(self, node: cst.Call) -> None:
        if self.stack and isinstance(node.func, (cst.Name, cst.Attribute)):
            target = node.func.value if isinstance(node.func, cst.Name) else node.func.attr.value
            self.stack[-1][2].append(target)


class ReachesSink(ProjectRule):
    code = "COP999"
    name = "reaches-audit-sink"
    summary = "test rule: functions that reach audit_sink() through any chain of calls"
    requires = (SinkCalls,)

    def check(self, project):
        calls = {fact.get("function"): fact for fact in project.facts("test.calls")}
        reaching = {name for name, fact in calls.items() if SINK in fact.get("callees")}
        changed = True
        while changed:
            changed = False
            for name, fact in calls.items():
                if name not in reaching and reaching.intersection(fact.get("callees")):
                    reaching.add(name)
                    changed = True
        for name in sorted(reaching):
            yield ProjectFinding.at(calls[name], f"{name} reaches {SINK}")


TREE = {
    "sink.py": "def wrap(x):\n    audit_sink(x)\n",
    "middle.py": "from sink import wrap\n\ndef wrap2(y):\n    wrap(y)\n",
    "outer.py": "from middle import wrap2\n\ndef wrap3(z):\n    return wrap2(z)\n",
    "unrelated.py": "def other(a):\n    return print(a)\n",
    "broken.py": "def (:\n",
}


def _engine(cache=None) -> Engine:
    return Engine(Settings(), rules=[ReachesSink], cache=cache)


def _files(root: Path):
    write_tree(root, TREE)
    return [(root / name, name) for name in sorted(TREE)]


def _messages(run):
    return [(f.path, f.message) for f in run.findings if f.rule == "COP999"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_linked_files_are_linted_and_results_match_no_prefilter(tmp_path, jobs):
    files = _files(tmp_path)
    on = _engine()
    assert on.prefilter is not None
    assert on.links_by_analysis == {f"{SinkCalls.__module__}.SinkCalls": {"test.calls": ("callees", "function")}}
    off = _engine()
    off.prefilter = None
    with_filter = on.run(files, jobs=jobs)
    without_filter = off.run(files, jobs=jobs)
    assert _messages(with_filter) == _messages(without_filter) == [
        ("middle.py", "wrap2 reaches audit_sink"),
        ("outer.py", "wrap3 reaches audit_sink"),
        ("sink.py", "wrap reaches audit_sink"),
    ]
    assert with_filter.errors == without_filter.errors  # broken.py is reported either way


def test_a_file_that_mentions_no_linked_name_stays_unparsed(tmp_path):
    files = _files(tmp_path)
    engine = _engine()
    first = engine.lint_many(files)
    assert [r.path for r in first if r.parsed] == ["sink.py"]
    linked = {r.path: r for r in engine.lint_linked(files, list(first))}
    assert linked["middle.py"].parsed and linked["outer.py"].parsed  # outer only through middle's facts
    assert not linked["unrelated.py"].parsed
    assert linked["broken.py"].error is not None


def test_without_the_chain_nothing_extra_is_linted(tmp_path):
    write_tree(tmp_path, {"a.py": "def f():\n    audit_sink(1)\n", "b.py": "def g():\n    h()\n"})
    files = [(tmp_path / "a.py", "a.py"), (tmp_path / "b.py", "b.py")]
    results = {r.path: r for r in _engine().lint_linked(files, _engine().lint_many(files))}
    assert results["a.py"].parsed and not results["b.py"].parsed


def test_cache_keeps_skipped_and_linked_results_apart(tmp_path):
    files = _files(tmp_path / "tree")
    cache = ResultCache(tmp_path / "cache", "k")
    cold = _engine(cache).run(files)
    warm_cache = ResultCache(tmp_path / "cache", "k")
    warm = _engine(warm_cache).run(files)
    assert _messages(warm) == _messages(cold)
    assert warm_cache.misses == 0


def test_linked_names_take_the_last_component_of_each_name():
    fact = Fact(
        kind="test.calls", path="x.py", line=1, column=1, end_line=1, end_column=1,
        data=(("callees", ("pkg.mod.audit", "*.save", "Helper.run()")), ("function", "outer.inner"), ("other", "nope")),
    )
    assert linked_names([fact], {"test.calls": ("callees", "function")}) == {"audit", "save", "run", "inner"}
    assert linked_names([fact], {"other.kind": ("callees",)}) == set()


def test_an_analysis_without_a_prefilter_turns_linking_off():
    class Everywhere(SinkCalls):
        prefilter = None

    class Rule2(ReachesSink):
        code = "COP998"
        requires = (Everywhere,)

    engine = Engine(Settings(), rules=[Rule2])
    assert engine.prefilter is None and engine.links_by_analysis == {}


# -- word-level triggers ------------------------------------------------------------


class WordAnalysis(SinkCalls):
    prefilter = None
    links = {}

    @classmethod
    def triggers(cls, settings):
        return [[{"ip"}], [{"name"}, {"child", "pupil"}]]


class WordRule(ReachesSink):
    code = "COP997"
    requires = (WordAnalysis,)


class SubstringAnalysis(SinkCalls):
    prefilter = ("geo",)
    links = {}


class SubstringRule(ReachesSink):
    code = "COP996"
    requires = (SubstringAnalysis,)


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("client_ip = request.remote_addr\n", True),
        ("clientIP = 1\n", True),
        ("def f(ip): pass\n", True),
        ("ip_адрес = 1\n", True),  # non-ASCII identifiers are split like any other
        ("zip_code = 1\nrecipient = 2\nskip = 3\n", False),  # a substring is not a word
        ("# nothing here\n", False),
        ("child_name = 1\n", True),  # a two-set trigger: a word of each set
        ("pupil = get()\nprint(pupil.name)\n", True),
        ("name = 1\n", False),  # a name word alone
        ("children = 1\n", False),  # a person word alone (and not the same word)
    ],
)
def test_trigger_words_match_identifier_words_not_substrings(text, wanted):
    engine = Engine(Settings(), rules=[WordRule])
    assert engine.prefilter is not None
    assert bool(engine.prefilter.search(text)) is wanted
    assert engine.lint_source("x.py", text).parsed is wanted


def test_substring_and_word_triggers_add_up():
    engine = Engine(Settings(), rules=[WordRule, SubstringRule])
    assert engine.prefilter.search("geolocation = 1\n")
    assert engine.prefilter.search("user_ip = 1\n")
    assert not engine.prefilter.search("zip = 1\n")


# -- the flow analysis's triggers --------------------------------------------------


def test_every_name_the_vocabulary_calls_personal_fires_the_flow_triggers():
    """Soundness of FlowAnalysis.triggers on the vocabulary itself: no personal name slips past."""
    from copguard_lint.analysis.flow import flow_triggers
    from copguard_lint.analysis.names import _plural_forms, default_vocabulary

    vocabulary = default_vocabulary()
    prefilter = Prefilter((), flow_triggers(Settings()))
    checked = 0
    for words in vocabulary.phrases:
        for last in _plural_forms(words[-1]):
            spelled = [*words[:-1], last]
            for name in ("_".join(spelled), "child_" + "_".join(spelled),
                         "child" + "".join(w.capitalize() for w in spelled)):
                if vocabulary.classify(name).is_personal:
                    checked += 1
                    assert prefilter.search(f"x = {name}\n"), name
            # A weak phrase counts with the person it is read from (`pupil.name`).
            text = f"pupil = get()\nvalue = pupil.{'_'.join(spelled)}\n"
            if vocabulary.classify("_".join(spelled), subject_hint="child").is_personal:
                assert prefilter.search(text), text
    assert checked > 500


@pytest.mark.parametrize(
    "text",
    [
        "def view(request):\n    log(request.POST)\n",
        "def view(req):\n    log(req.get_json())\n",
        "def save(form):\n    log(form.cleaned_data)\n",
        "def show(student):\n    log(vars(student))\n",
        "def show(self):\n    log(self.user.__dict__)\n",
    ],
)
def test_flow_triggers_fire_on_each_source_of_personal_data(text):
    from copguard_lint.analysis.flow import flow_triggers

    assert Prefilter((), flow_triggers(Settings())).search(text)


def test_flow_triggers_leave_code_without_personal_data_alone():
    from copguard_lint.analysis.flow import flow_triggers

    text = "import math\n\n\ndef area(radius):\n    return math.pi * radius ** 2\n"
    assert not Prefilter((), flow_triggers(Settings())).search(text)


# -- how a filter is evaluated: the same answers, faster ---------------------------


def test_substrings_on_ascii_and_non_ascii_text_match_case_insensitively():
    prefilter = Prefilter(["Geo", "user"], [])
    assert prefilter.search("GEOLOCATION = 1\n")
    assert prefilter.search("Current_User = 1\n")
    assert not prefilter.search("x = 1\n")
    # Non-ASCII text keeps the case-insensitive regex: `ſ` (long s) folds to `s` there,
    # which lower-casing would miss.
    assert prefilter.search("u\u017fer = 1  # caf\u00e9\n")
    assert not prefilter.search("caf\u00e9 = 1\n")


def test_triggers_sharing_all_sets_but_one_are_merged_without_changing_answers():
    triggers = [
        [{"name"}, {"child", "pupil"}],
        [{"email"}, {"child", "pupil"}],
        [{"address"}, {"child", "pupil"}, {"home"}],
        [{"phone"}, {"parent"}],
    ]
    prefilter = Prefilter((), triggers)
    assert len(prefilter.triggers) == 3  # name and email now share one trigger
    cases = {
        "child_name = 1\n": True, "pupil.email = 2\n": True, "email = 1\n": False,
        "child_address = 1\n": False, "home_address_of_pupil = 1\n": True,
        "parent_phone = 1\n": True, "child_phone = 1\n": False,
    }
    for text, wanted in cases.items():
        assert prefilter.search(text) is wanted, text
