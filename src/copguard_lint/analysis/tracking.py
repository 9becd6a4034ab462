"""Tracking calls, who they are about, and whether a consent or age check guards them.

Built on the flow analysis, which already matches every call against the sink
catalog (data/sinks.toml and data/sdks.toml) through imports and object
kinds. This analysis adds what COP302-COP304 need:

* Subject: who a tracking call is about, from the names its arguments are built
  from (`current_user`, `child`, `parent`, a local bound to `User.query...`),
  or which parameters of its function they come from (then the function is a
  tracking wrapper and its callers decide).
* Guards: whether a consent or minor/age check is on the path to the call: an
  `if` on such a test that the call is inside, or that returns, raises or
  aborts before it; `and`/`if ... else` around the call; a decorator; or a
  helper called in the test or before the call whose body makes the check.
  The words that make a test a consent or age check are data
  (data/sdks.toml `[guards]`). Configuration (`if settings.SEGMENT_KEY:`) is
  never a guard.
* Facts for the project pass: guard helpers, unguarded tracking wrappers,
  calls to them, and tracking calls whose guard is a helper in another file.
* COP303 ad-request flags and profiling defaults, and COP304 SDK settings,
  read from the same catalog.

Everything here is statement-level or looks only at the few calls and dicts
it is asked about, so files without tracking cost almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from ..literals import string_value
from ..findings import Span
from ..imports import dotted
from ..rule import Analysis
from ..walk import TypeTest
from .flow import FlowAnalysis, SinkCall, module_name

try:  # the shared age/consent guard analysis (issue 4); COP302 also asks it when it is there
    from .guards import GuardAnalysis
except ImportError:  # pragma: no cover - an older tree without it
    GuardAnalysis = None  # type: ignore[assignment,misc]
from .names import split_words
from .sinks import (
    SinkSpec,
    dict_keys,
    dict_literal,
    parse_url,
    sdk_catalog,
    url_argument,
    url_pattern,
)

TRACKING_FAMILIES = ("analytics", "ads")
FACT_GUARD = "tracking.guard"
FACT_WRAPPER = "tracking.wrapper"
FACT_CALL = "tracking.call"
FACT_PENDING = "tracking.pending"
_NOWHERE = Span(1, 1, 1, 1)
# Marks a helper (in `GuardState.helpers`) that guards only if it enforces the check itself
# (raises, aborts or returns early), as opposed to one whose result is tested.
ENFORCER = "!"
_MAX_DEPTH = 6


# -- the guard vocabulary -------------------------------------------------------


class GuardWords:
    """data/sdks.toml `[guards]`: the words that make a test a consent or age check."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.words = frozenset(w.lower() for w in data.get("words", ()))
        self.age_words = frozenset(w.lower() for w in data.get("age-words", ()))
        self.phrases = tuple(tuple(w.lower() for w in p) for p in data.get("phrases", ()))
        self.enforcer_verbs = frozenset(data.get("enforcer-verbs", ()))
        self.exits = frozenset(data.get("exits", ()))

    @lru_cache(maxsize=4096)
    def names_guard(self, name: str) -> bool:
        words = split_words(name)
        if self.words.intersection(words):
            return True
        return any(_contains_run(words, phrase) for phrase in self.phrases)

    def may_occur(self, source: str) -> bool:
        """Whether any guard word is in the text at all (split as identifiers are)."""
        found: Set[str] = set()
        for identifier in set(_IDENTIFIER.findall(source)):
            found.update(split_words(identifier))
        if found & (self.words | self.age_words):
            return True
        return any(found.issuperset(phrase) for phrase in self.phrases)

    def names_enforcer(self, name: str) -> bool:
        """`require_consent`, `ensure_age_verified`, `check_parental_consent`."""
        words = split_words(name)
        return bool(self.enforcer_verbs.intersection(words)) and self.names_guard(name)


_IDENTIFIER = __import__("re").compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _contains_run(words: Sequence[str], run: Sequence[str]) -> bool:
    n = len(run)
    return n > 0 and any(tuple(words[i : i + n]) == tuple(run) for i in range(len(words) - n + 1))


@lru_cache(maxsize=None)
def default_guard_words() -> GuardWords:
    return GuardWords(sdk_catalog().get("guards", {}))


def _is_config_name(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


# -- results ----------------------------------------------------------------------


@dataclass
class Subject:
    """Who a call is about: concrete subjects and the parameters the rest comes from."""

    subjects: Set[str] = field(default_factory=set)  # "child" | "person" | "adult"
    params: Set[int] = field(default_factory=set)
    param_subjects: Dict[int, Optional[str]] = field(default_factory=dict)

    def merge(self, other: "Subject") -> None:
        self.subjects |= other.subjects
        self.params |= other.params
        self.param_subjects.update(other.param_subjects)

    @property
    def concrete(self) -> Optional[str]:
        """The subject the call is about, when its own function says so."""
        if "child" in self.subjects:
            return "child"
        if "person" in self.subjects:
            return "person"
        return None


@dataclass
class GuardState:
    guarded: bool
    helpers: Tuple[str, ...] = ()  # helpers in other files that may make the check


@dataclass
class TrackingCall:
    call: SinkCall
    subject: Subject
    guard: GuardState


@dataclass
class Wrapper:
    """A function that tracks whoever its parameters are, with no check of its own."""

    qualname: str
    params: Tuple[str, ...]
    subject_params: Tuple[int, ...]
    param_subjects: Dict[int, Optional[str]]
    label: str
    callee: str  # the SDK call inside, as spelled
    family: str
    pending: Tuple[str, ...] = ()


@dataclass
class WrapperCall:
    """A same-file call of a wrapper, with who it is about."""

    node: cst.Call
    spelled: str
    wrapper: Wrapper
    subject: Subject
    function: str
    pending: Tuple[str, ...] = ()  # helpers in other files that may make the check


@dataclass
class Problem:
    """A COP303 or COP304 finding before the rule words it."""

    node: cst.CSTNode
    kind: str  # "ad-flags" | "ad-missing-flag" | "profiling-default" | "pii-setting"
    detail: Dict[str, Any]


# -- per-function context -----------------------------------------------------------


@dataclass
class FunctionNode:
    qualname: str
    node: Optional[cst.FunctionDef]  # None: the module body
    class_name: Optional[str]
    params: Tuple[str, ...]  # visible parameters (no self/cls), stars stripped
    body: Sequence[cst.CSTNode]
    _assignments: Optional[Dict[str, List[cst.BaseExpression]]] = None
    _parents: Optional[Dict[int, cst.CSTNode]] = None

    def assignments(self) -> Dict[str, List[cst.BaseExpression]]:
        if self._assignments is None:
            self._assignments = {}
            _collect_assignments(self.body, self._assignments)
        return self._assignments

    def parents(self) -> Dict[int, cst.CSTNode]:
        if self._parents is None:
            parents: Dict[int, cst.CSTNode] = {}
            root = self.node if self.node is not None else None
            stack: List[cst.CSTNode] = [root] if root is not None else list(self.body)
            if root is None:
                for statement in self.body:
                    parents[id(statement)] = _MODULE_MARK
            while stack:
                current = stack.pop()
                for child in _children(current):
                    parents[id(child)] = current
                    stack.append(child)
            self._parents = parents
        return self._parents


class _ModuleMark(cst.Pass):
    """Stands for the module as the parent of top-level statements."""


_MODULE_MARK = _ModuleMark()


def _collect_assignments(body: Sequence[cst.CSTNode], out: Dict[str, List[cst.BaseExpression]]) -> None:
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        for name in _target_names(target.target):
                            out.setdefault(name, []).append(small.value)
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)) and small.value is not None:
                    for name in _target_names(small.target):
                        out.setdefault(name, []).append(small.value)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        elif isinstance(statement, cst.For):
            for name in _target_names(statement.target):
                out.setdefault(name, []).append(statement.iter)
            _collect_assignments(_suite(statement.body), out)
            if statement.orelse is not None:
                _collect_assignments(_suite(statement.orelse.body), out)
        elif isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    for name in _target_names(item.asname.name):
                        out.setdefault(name, []).append(item.item)
            _collect_assignments(_suite(statement.body), out)
        elif isinstance(statement, cst.If):
            _collect_assignments(_suite(statement.body), out)
            if statement.orelse is not None:
                _collect_assignments([statement.orelse], out)
        elif isinstance(statement, cst.Else):
            _collect_assignments(_suite(statement.body), out)
        elif isinstance(statement, cst.While):
            _collect_assignments(_suite(statement.body), out)
        elif isinstance(statement, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            _collect_assignments(_suite(statement.body), out)
            for handler in statement.handlers:
                _collect_assignments(_suite(handler.body), out)
            if statement.orelse is not None:
                _collect_assignments(_suite(statement.orelse.body), out)
            if statement.finalbody is not None:
                _collect_assignments(_suite(statement.finalbody.body), out)


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)


def _suite(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)]
    return []


def _visible_params(node: cst.FunctionDef, in_class: bool) -> Tuple[str, ...]:
    params = node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append(params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append(params.star_kwarg.name.value)
    is_static = any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
    )
    if in_class and not is_static and names:
        names = names[1:]
    return tuple(names)


def _spelled_params(node: cst.FunctionDef, in_class: bool) -> Tuple[str, ...]:
    """Parameter names as the flow analysis spells them (`*args`, `**kwargs`), self dropped."""
    params = node.params
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if isinstance(params.star_arg, cst.Param):
        names.append("*" + params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append("**" + params.star_kwarg.name.value)
    is_static = any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
    )
    if in_class and not is_static and names:
        names = names[1:]
    return tuple(names)


def _decorator_name(decorator: cst.Decorator) -> Optional[cst.BaseExpression]:
    expr = decorator.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    return expr if isinstance(expr, (cst.Name, cst.Attribute)) else None


# -- the analysis ---------------------------------------------------------------------


class TrackingAnalysis(Analysis):
    """Tracking calls with their subjects and guards; wrappers; COP303/COP304 problems."""

    requires = (FlowAnalysis,) + ((GuardAnalysis,) if GuardAnalysis is not None else ())
    # Records guard helpers and wrappers any other file may call.
    prefilter = None

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.guard_words = default_guard_words()
        self.functions: Dict[str, FunctionNode] = {}
        self._scope: List[Tuple[str, str]] = []
        self.tracking: List[TrackingCall] = []
        self.wrappers: Dict[str, Wrapper] = {}
        self.wrapper_calls: List[WrapperCall] = []
        self.problems: List[Problem] = []
        self._guard_kinds_found: Optional[Dict[str, str]] = None
        self._class_statements: List[Tuple[str, cst.CSTNode]] = []

    # -- traversal (statement level only) ---------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.functions[""] = FunctionNode("", None, None, (), node.body)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(("class", node.name.value))
        for statement in _suite(node.body):
            if isinstance(statement, cst.SimpleStatementLine):
                self._class_statements.append((node.name.value, statement))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self._scope) and self._scope[-1][0] == "class"
        class_name = self._scope[-1][1] if in_class else None
        qualname = ".".join([name for _, name in self._scope] + [node.name.value])
        self.functions[qualname] = FunctionNode(
            qualname, node, class_name, _visible_params(node, in_class), _suite(node.body)
        )
        self._scope.append(("def", node.name.value))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()

    # -- after the traversal ---------------------------------------------------------
    def finish(self) -> None:
        self.flow = self.ctx.analysis(FlowAnalysis)
        self.module = module_name(self.ctx.path)
        self.is_package = self.ctx.path.replace("\\", "/").endswith("__init__.py")
        for sink_call in self.flow.sink_calls:
            if sink_call.spec.family not in TRACKING_FAMILIES:
                continue
            function = self.functions.get(sink_call.function)
            if function is None:
                continue
            subject = self.subject_of_call(sink_call.node, function)
            guard = self.guard_state(sink_call.node, function)
            self.tracking.append(TrackingCall(sink_call, subject, guard))
        self._find_wrappers()
        self._follow_wrappers()
        self._record_facts()
        self._find_problems()

    # -- guards ------------------------------------------------------------------------
    @property
    def _guard_kinds(self) -> Dict[str, str]:
        """Qualified name -> "predicate" | "enforcer", for this file's guard functions.

        Found on first use: a file without tracking calls, wrappers or links
        pointing at it never asks.
        """
        if self._guard_kinds_found is None:
            self._guard_kinds_found = {}
            self._find_guard_functions()  # fills the dict, reading it as it goes
        return self._guard_kinds_found

    def _find_guard_functions(self) -> None:
        """Functions of this file that make a consent or age check (predicates and enforcers)."""
        if not self.guard_words.may_occur(self.ctx.source):
            return
        for _ in range(2):  # helpers calling helpers
            for qualname, function in self.functions.items():
                if function.node is None:
                    continue
                kind = self._guard_kind(function)
                if kind:
                    self._guard_kinds_found[qualname] = kind  # type: ignore[index]

    def _guard_kind(self, function: FunctionNode) -> str:
        predicate = enforcer = False
        for statement in _walk_statements(function.body):
            if isinstance(statement, cst.If) and self.is_guard_test(statement.test, local_only=True):
                if _exits(_suite(statement.body), self) or (
                    statement.orelse is not None and _exits(_else_body(statement.orelse), self)
                ):
                    enforcer = True
                predicate = True
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Return) and small.value is not None and self.is_guard_test(
                        small.value, local_only=True
                    ):
                        predicate = True
                    elif isinstance(small, cst.Assert) and self.is_guard_test(small.test, local_only=True):
                        enforcer = True
        return "enforcer" if enforcer else ("predicate" if predicate else "")

    def is_guard_test(
        self, expr: cst.BaseExpression, local_only: bool = False, helpers: Optional[List[str]] = None
    ) -> bool:
        """Whether a test checks consent, opt-in/out, a minor flag or an age."""
        for name in _test_names(expr):
            if self.guard_words.names_guard(name):
                return True
        for comparison in _nodes_of(expr, cst.Comparison):
            if self._is_age_comparison(comparison):
                return True
        for call in _calls_in(expr):
            target = self._local_target(call.func)
            if target is not None:
                if target in self._guard_kinds:
                    return True
                continue
            if local_only:
                continue
            resolved = self._project_callee(call.func)
            if resolved is not None and helpers is not None:
                helpers.append(resolved)
        return False

    def _is_age_comparison(self, node: cst.Comparison) -> bool:
        """`age < 13`, `user.age >= CONSENT_AGE`, `get_age(dob) < MIN_AGE`: an age against a threshold."""
        sides = [node.left, *(target.comparator for target in node.comparisons)]
        if not any(
            isinstance(target.operator, (cst.LessThan, cst.LessThanEqual, cst.GreaterThan, cst.GreaterThanEqual))
            for target in node.comparisons
        ):
            return False
        ages = thresholds = 0
        for side in sides:
            if isinstance(side, cst.Integer):
                thresholds += 1
                continue
            spelled = dotted(side.func if isinstance(side, cst.Call) else side) or ""
            last = spelled.rsplit(".", 1)[-1]
            words = split_words(last)
            if not words or words[-1] not in self.guard_words.age_words:
                continue
            if _is_config_name(last):
                thresholds += 1
            else:
                ages += 1
        return ages >= 1 and thresholds >= 1

    def _local_target(self, func: cst.BaseExpression) -> Optional[str]:
        spelled = dotted(func)
        if spelled is None:
            return None
        if spelled in self.functions and spelled:
            return spelled
        if spelled.startswith(("self.", "cls.")):
            tail = spelled.split(".", 1)[1]
            matches = [q for q in self.functions if q.endswith("." + tail)]
            if len(matches) == 1:
                return matches[0]
        return None

    def _project_callee(self, func: cst.BaseExpression) -> Optional[str]:
        """The absolute dotted name of a call into another module (for the project pass)."""
        from .flow import absolute_callee

        spelled = dotted(func)
        if spelled is None or not self.may_be_project_callee(spelled, self.ctx.imports.resolve(func) or spelled):
            return None
        resolved = self.ctx.imports.resolve(func) or spelled
        return absolute_callee(resolved, self.module, self.is_package)

    def may_be_project_callee(self, spelled: str, callee: str) -> bool:
        """`helper(...)` or `module.helper(...)` imported from this project (relative, or the same package)."""
        if spelled.count(".") > 1 or "(" in callee:
            return False
        head = spelled.split(".", 1)[0]
        if not self.ctx.imports.is_imported(head):
            return False
        if callee.startswith("."):
            return True
        return callee.split(".", 1)[0] in set(self.module.split(".")[:-1] or self.module.split("."))

    def guard_state(self, target: cst.CSTNode, function: FunctionNode) -> GuardState:
        """Whether a consent or age check is on every path to `target` inside `function`."""
        helpers: List[str] = []
        if function.node is not None:
            for decorator in function.node.decorators:
                expr = _decorator_name(decorator)
                if expr is None:
                    continue
                name = dotted(expr) or ""
                if self.guard_words.names_guard(name.rsplit(".", 1)[-1]):
                    return GuardState(True)
                local = self._local_target(expr)
                if local is not None:
                    if any(q == local or q.startswith(local + ".") for q in self._guard_kinds):
                        return GuardState(True)
                    continue
                resolved = self._project_callee(expr)
                if resolved is not None:
                    helpers.append(ENFORCER + resolved)
        parents = function.parents()
        child: cst.CSTNode = target
        parent = parents.get(id(child))
        while parent is not None and parent is not function.node:
            if isinstance(parent, cst.If) and (child is parent.body or child is parent.orelse):
                if self.is_guard_test(parent.test, helpers=helpers):
                    return GuardState(True)
            elif isinstance(parent, cst.While) and child is parent.body:
                if self.is_guard_test(parent.test, helpers=helpers):
                    return GuardState(True)
            elif isinstance(parent, cst.BooleanOperation) and child is parent.right:
                if self.is_guard_test(parent.left, helpers=helpers):
                    return GuardState(True)
            elif isinstance(parent, cst.IfExp) and child is not parent.test:
                if self.is_guard_test(parent.test, helpers=helpers):
                    return GuardState(True)
            siblings = _statement_list(parent, function)
            if siblings is not None:
                for statement in siblings:
                    if statement is child:
                        break
                    if self._guards_what_follows(statement, helpers):
                        return GuardState(True)
            if parent is _MODULE_MARK:
                break
            child, parent = parent, parents.get(id(parent))
        if self._shared_guards_hold(target, function):
            return GuardState(True)
        return GuardState(False, tuple(dict.fromkeys(helpers)))

    def _shared_guards_hold(self, target: cst.CSTNode, function: FunctionNode) -> bool:
        """Whether the shared guard analysis (analysis/guards.py) sees an age, consent or opt-in check."""
        if GuardAnalysis is None or function.node is None:
            return False
        try:
            guards = self.ctx.analysis(GuardAnalysis)
        except KeyError:  # pragma: no cover - not scheduled
            return False
        return bool(guards.dominating(function.node, target))

    def _guards_what_follows(self, statement: cst.CSTNode, helpers: List[str]) -> bool:
        """`if not consent: return`, `require_consent(user)`, `assert user.is_adult`."""
        if isinstance(statement, cst.If):
            body_exits = _exits(_suite(statement.body), self)
            else_exits = statement.orelse is not None and _exits(_else_body(statement.orelse), self)
            if (body_exits or else_exits) and self.is_guard_test(statement.test, helpers=helpers):
                return True
            return False
        smalls: Sequence[cst.CSTNode] = ()
        if isinstance(statement, cst.SimpleStatementLine):
            smalls = statement.body
        elif isinstance(statement, cst.BaseSmallStatement):
            smalls = (statement,)
        if smalls:
            for small in smalls:
                if isinstance(small, cst.Assert) and self.is_guard_test(small.test, helpers=helpers):
                    return True
                value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.Call):
                    name = dotted(value.func) or ""
                    if self.guard_words.names_enforcer(name.rsplit(".", 1)[-1]):
                        return True
                    local = self._local_target(value.func)
                    if local is not None:
                        if self._guard_kinds.get(local) == "enforcer":
                            return True
                        continue
                    resolved = self._project_callee(value.func)
                    if resolved is not None:
                        helpers.append(ENFORCER + resolved)
        return False

    def exits_call(self, call: cst.Call) -> bool:
        name = dotted(call.func)
        if name is None:
            return False
        resolved = self.ctx.imports.resolve(call.func) or name
        return name in self.guard_words.exits or resolved in self.guard_words.exits

    # -- subjects ------------------------------------------------------------------------
    def subject_of_call(self, call: cst.Call, function: FunctionNode) -> Subject:
        subject = Subject()
        for arg in call.args:
            subject.merge(self.subject_of(arg.value, function))
        if isinstance(call.func, cst.Attribute):
            # `user.track(...)`-style receivers say whom the call is about too.
            receiver = call.func.value
            if not self.ctx.imports.is_imported((dotted(receiver) or "").split(".", 1)[0]):
                subject.merge(self.subject_of(receiver, function))
        return subject

    def subject_of(self, expr: cst.CSTNode, function: FunctionNode) -> Subject:
        subject = Subject()
        seen: Set[str] = set()
        vocabulary = self.flow.vocabulary

        def name_subject(name: str) -> Optional[str]:
            if name in ("self", "cls"):
                return vocabulary.subject_of(function.class_name) if function.class_name else None
            return vocabulary.subject_of(name)

        def visit_name(name: str, depth: int) -> None:
            if name in function.params:
                index = function.params.index(name)
                subject.params.add(index)
                subject.param_subjects[index] = name_subject(name)
                return
            values = function.assignments().get(name)
            if values and name not in seen and depth < _MAX_DEPTH:
                seen.add(name)
                for value in values:
                    visit(value, depth + 1)
                own = name_subject(name)
                if own:
                    subject.subjects.add(own)
                return
            own = name_subject(name)
            if own:
                subject.subjects.add(own)

        def visit(node: cst.CSTNode, depth: int) -> None:
            if depth > _MAX_DEPTH:
                return
            if isinstance(node, cst.Name):
                visit_name(node.value, depth)
                return
            if isinstance(node, cst.Attribute):
                spelled = dotted(node)
                if spelled is not None:
                    parts = spelled.split(".")
                    for part in reversed(parts[1:]):
                        own = name_subject(part)
                        if own:
                            subject.subjects.add(own)
                            return
                    visit_name(parts[0], depth)
                    return
                visit(node.value, depth + 1)
                return
            if isinstance(node, cst.Arg):
                visit(node.value, depth)
                return
            if isinstance(node, (cst.Lambda, cst.SimpleString, cst.Integer, cst.Float)):
                return
            for child in _children(node):
                visit(child, depth + 1)

        visit(expr, 0)
        return subject

    # -- wrappers ---------------------------------------------------------------------------
    def _find_wrappers(self) -> None:
        for tracked in self.tracking:
            if tracked.guard.guarded:
                continue
            subject = tracked.subject
            if subject.concrete is not None or not subject.params:
                continue
            function = self.functions.get(tracked.call.function)
            if function is None or function.node is None:
                continue
            self._add_wrapper(
                Wrapper(
                    tracked.call.function, function.params, tuple(sorted(subject.params)),
                    dict(subject.param_subjects), tracked.call.spec.label, tracked.call.callee,
                    tracked.call.spec.family, tracked.guard.helpers,
                )
            )

    def _add_wrapper(self, wrapper: Wrapper) -> bool:
        old = self.wrappers.get(wrapper.qualname)
        if old is None:
            self.wrappers[wrapper.qualname] = wrapper
            return True
        labels = _join_labels(old.label, wrapper.label)
        changed = labels != old.label
        old.label = labels
        old.pending = tuple(dict.fromkeys((*old.pending, *wrapper.pending)))
        params = tuple(sorted(set(old.subject_params) | set(wrapper.subject_params)))
        if params != old.subject_params:
            old.subject_params = params
            old.param_subjects.update(wrapper.param_subjects)
            changed = True
        return changed

    def _follow_wrappers(self) -> None:
        """Same-file calls of wrappers: findings for concrete subjects, new wrappers for parameters."""
        seen: Set[int] = set()
        for _ in range(3):
            changed = False
            for node, callee, spelled, caller in self.flow.other_calls:
                target = self._wrapper_for(callee)
                if target is None or target.qualname == caller:
                    continue
                function = self.functions.get(caller)
                if function is None:
                    continue
                subject = self.argument_subject(node, target, function)
                if not subject.subjects and not subject.params:
                    continue
                guard = self.guard_state(node, function)
                if guard.guarded:
                    continue
                if subject.concrete is not None:
                    if id(node) not in seen:
                        seen.add(id(node))
                        pending = tuple(dict.fromkeys((*target.pending, *guard.helpers)))
                        self.wrapper_calls.append(WrapperCall(node, spelled, target, subject, caller, pending))
                elif subject.params and function.node is not None:
                    changed |= self._add_wrapper(
                        Wrapper(
                            caller, function.params, tuple(sorted(subject.params)),
                            dict(subject.param_subjects), target.label, target.callee, target.family,
                            tuple(dict.fromkeys((*target.pending, *guard.helpers))),
                        )
                    )
            if not changed:
                break

    def _wrapper_for(self, callee: str) -> Optional[Wrapper]:
        if callee in self.wrappers:
            return self.wrappers[callee]
        if callee.startswith(("self.", "cls.")):
            tail = callee.split(".", 1)[1]
            matches = [w for q, w in self.wrappers.items() if q.endswith("." + tail)]
            if len(matches) == 1:
                return matches[0]
        return None

    def argument_subject(self, call: cst.Call, wrapper: Wrapper, function: FunctionNode) -> Subject:
        """Who the arguments bound to a wrapper's subject parameters are about."""
        from .flow import argument_matches

        subject = Subject()
        position = 0
        spelled = self._spelled_params(wrapper)
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            pos: Optional[int] = None
            if keyword is None and not arg.star:
                pos = position
                position += 1
            for index in wrapper.subject_params:
                name, kind = _param_kind(spelled[index] if index < len(spelled) else "")
                if argument_matches(pos, keyword, index, name, kind, spelled):
                    subject.merge(self.subject_of(arg.value, function))
                    break
        if not subject.subjects and not subject.params:
            # The wrapper's own parameter name may say whom it is about (`def track_child(child)`).
            for index in wrapper.subject_params:
                own = wrapper.param_subjects.get(index)
                if own:
                    subject.subjects.add(own)
        return subject

    def _spelled_params(self, wrapper: Wrapper) -> Tuple[str, ...]:
        function = self.functions.get(wrapper.qualname)
        if function is None or function.node is None:
            return wrapper.params
        return _spelled_params(function.node, function.class_name is not None)

    # -- facts ------------------------------------------------------------------------------
    def record_link_facts(self) -> None:
        """Guard helpers, and calls into other modules: what other files' facts may point at.

        Recorded by TrackingLinkFacts only where a link asks for them.
        """
        for qualname, kind in self._guard_kinds.items():
            self.ctx.record(FACT_GUARD, _NOWHERE, module=self.module, function=qualname, guard=kind)
        self._record_project_calls()

    def _record_facts(self) -> None:
        for wrapper in self.wrappers.values():
            function = self.functions.get(wrapper.qualname)
            spelled = (
                list(_spelled_params(function.node, function.class_name is not None))
                if function is not None and function.node is not None
                else list(wrapper.params)
            )
            self.ctx.record(
                FACT_WRAPPER, _NOWHERE, module=self.module, function=wrapper.qualname, params=spelled,
                subject_params=list(wrapper.subject_params),
                param_subjects=[[i, s or ""] for i, s in sorted(wrapper.param_subjects.items())],
                label=wrapper.label, callee=wrapper.callee, family=wrapper.family, pending=list(wrapper.pending),
            )
        for tracked in self.tracking:
            if tracked.guard.guarded or not tracked.guard.helpers or tracked.subject.concrete is None:
                continue
            self.ctx.record(
                FACT_PENDING, tracked.call.node, module=self.module, helpers=list(tracked.guard.helpers),
                label=tracked.call.spec.label, callee=tracked.call.callee, subject=tracked.subject.concrete,
                family=tracked.call.spec.family, via="",
            )
        for call in self.wrapper_calls:
            if not call.pending:
                continue
            self.ctx.record(
                FACT_PENDING, call.node, module=self.module, helpers=list(call.pending),
                label=call.wrapper.label, callee=call.wrapper.callee, subject=call.subject.concrete,
                family=call.wrapper.family, via=call.spelled,
            )

    def _record_project_calls(self) -> None:
        """Unguarded calls into other project modules whose arguments are about a user.

        Many calls qualify and few turn out to call a tracking wrapper, so these
        facts are located with Python's own parser (`_CallLocator`) rather than
        libcst's position metadata, which would cost several parses per file.
        """
        ordinals: Dict[Tuple[str, str], int] = {}
        locator: Optional[_CallLocator] = None
        for node, callee, spelled, caller in self.flow.other_calls:
            key = (caller, spelled)
            ordinal = ordinals.get(key, 0)
            ordinals[key] = ordinal + 1
            if not node.args or not self.may_be_project_callee(spelled, callee):
                continue
            if self.flow.local_function(callee) is not None:
                continue
            function = self.functions.get(caller)
            if function is None:
                continue
            args = []
            position = 0
            for arg in node.args:
                keyword = arg.keyword.value if arg.keyword is not None else None
                pos: Optional[int] = None
                if keyword is None and not arg.star:
                    pos = position
                    position += 1
                subject = self.subject_of(arg.value, function)
                if subject.subjects or subject.params:
                    args.append(
                        {
                            "position": pos, "keyword": keyword, "star": bool(arg.star),
                            "subjects": sorted(subject.subjects), "params": sorted(subject.params),
                            "param_subjects": [[i, s or ""] for i, s in sorted(subject.param_subjects.items())],
                        }
                    )
            if not args:
                continue
            guard = self.guard_state(node, function)
            if guard.guarded:
                continue
            if locator is None:
                locator = _CallLocator(self.ctx.source, self.ctx.python_tree)
            anchor = locator.span(caller, spelled, ordinal) or node
            self.ctx.record(
                FACT_CALL, anchor, module=self.module, package=self.is_package, callee=callee, spelled=spelled,
                function=caller, caller_params=list(
                    _spelled_params(function.node, function.class_name is not None) if function.node is not None else ()
                ),
                args=args, helpers=list(guard.helpers),
            )

    # -- COP303 / COP304 ------------------------------------------------------------------------
    def _find_problems(self) -> None:
        catalog = sdk_catalog()
        self._flags = [AdFlag(entry) for entry in catalog.get("ad-flag", [])]
        self._child = False
        text = self.ctx.source
        checked: Set[int] = set()
        # Ad requests made with a catalogued client or to a catalogued ad endpoint.
        for sink_call in self.flow.sink_calls:
            if sink_call.spec.ad_request:
                function = self.functions.get(sink_call.function)
                self._check_ad_request(sink_call, function, checked)
            elif sink_call.spec.family == "ads":
                self._child = self._about_child(sink_call.node, self.functions.get(sink_call.function))
                self._check_ad_call(sink_call.node)
        # OpenRTB bid requests built anywhere (sent by a client we cannot resolve, or returned).
        if ('"imp"' in text or "'imp'" in text) and ("site" in text or "app" in text):
            for node in _nodes_of(self.ctx.module, cst.Dict):
                if id(node) not in checked and _is_openrtb(node):
                    checked.add(id(node))
                    self._child = False
                    self._check_openrtb(node)
        self._find_profiling_defaults(catalog.get("profiling-defaults", {}))
        self._find_pii_settings(catalog.get("pii-setting", []), text)

    def _about_child(self, node: cst.CSTNode, function: Optional[FunctionNode]) -> bool:
        if function is None:
            return False
        subject = self.subject_of(node, function)
        return "child" in subject.subjects or "child" in subject.param_subjects.values()

    def _check_ad_request(self, sink_call: SinkCall, function: Optional[FunctionNode], checked: Set[int]) -> None:
        node = sink_call.node
        value_of = _value_lookup(function)
        self._child = self._about_child(node, function)
        for arg in node.args:
            body = dict_literal(arg.value, value_of)
            if body is not None and _is_openrtb(body):
                checked.add(id(body))
                self._check_openrtb(body)
                return
        # A URL ad request (Google Ad Manager style): flags in the query string or `params=`.
        url = parse_url(url_pattern(url_argument(node, _HTTP_URL), self.flow.module_strings(), value_of))
        found: Dict[str, Tuple[str, Any]] = {}
        if url is not None:
            for key, value in url.query_params().items():
                found[_norm(key)] = (key, value)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "params":
                params = dict_literal(arg.value, value_of)
                if params is not None:
                    for element in params.elements:
                        if isinstance(element, cst.DictElement):
                            key = _string(element.key)
                            literal = _literal(element.value)
                            if key is not None:
                                found[_norm(key)] = (key, literal)
        self._judge_flags(node, found, "url", sink_call.spec.label)

    def _check_ad_call(self, node: cst.Call) -> None:
        found: Dict[str, Tuple[str, Any]] = {}
        for arg in node.args:
            if arg.keyword is not None:
                found[_norm(arg.keyword.value)] = (arg.keyword.value, _literal(arg.value))
        unsafe = [(flag, key, value) for flag, key, value in self._flag_values(found) if flag.is_unsafe(value)]
        if unsafe:
            self.problems.append(
                Problem(node, "ad-flags", {
                    "unsafe": _describe_flags(unsafe), "request": "the ad call", "child": self._child,
                })
            )

    def _check_openrtb(self, body: cst.Dict) -> None:
        found: Dict[str, Tuple[str, Any]] = {}
        anchors: Dict[str, cst.CSTNode] = {}
        for path, key, value, element in _walk_dict(body):
            normalised = _norm(key)
            if normalised not in found:
                found[normalised] = (path, _literal(value))
                anchors[normalised] = element
        self._judge_flags(body, found, "openrtb", "an OpenRTB ad request", anchors)

    def _flag_values(self, found: Mapping[str, Tuple[str, Any]]) -> Iterator[Tuple["AdFlag", str, Any]]:
        for flag in self._flags:
            for key in flag.keys:
                if key in found:
                    spelled, value = found[key]
                    yield flag, spelled, value

    def _judge_flags(
        self, node: cst.CSTNode, found: Mapping[str, Tuple[str, Any]], kind: str, request: str,
        anchors: Optional[Mapping[str, cst.CSTNode]] = None,
    ) -> None:
        unsafe = []
        safe_required = False
        required_flags = [flag for flag in self._flags if kind in flag.required]
        for flag, key, value in self._flag_values(found):
            if flag.is_unsafe(value):
                unsafe.append((flag, key, value))
            elif flag.is_safe(value) and flag in required_flags:
                safe_required = True
        anchor = node
        if unsafe and anchors:
            first = _norm(unsafe[0][1].rsplit(".", 1)[-1])
            anchor = anchors.get(first, node)
        if unsafe:
            self.problems.append(
                Problem(anchor, "ad-flags", {
                    "unsafe": _describe_flags(unsafe), "request": request, "child": self._child,
                })
            )
        elif required_flags and not safe_required:
            self.problems.append(
                Problem(node, "ad-missing-flag", {
                    "request": request,
                    "wanted": " or ".join(sorted({flag.keys_spelled[0] for flag in required_flags})),
                    "child": self._child,
                })
            )

    def _find_profiling_defaults(self, data: Mapping[str, Any]) -> None:
        names = frozenset(tuple(split_words(n)) for n in data.get("names", ()))
        if not names:
            return
        lowered = self.ctx.source_lower
        if not any(word in lowered for word in _PROFILING_HINTS):
            return

        def wanted(name: str) -> bool:
            words = tuple(split_words(name))
            return words in names or tuple(w for w in words if w not in _FLAG_PREFIXES) in names

        statements: List[Tuple[Optional[str], cst.CSTNode]] = [(None, s) for s in self.ctx.module.body]
        statements += [(cls, s) for cls, s in self._class_statements]
        for owner, statement in statements:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                target = value = None
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                if not isinstance(target, cst.Name) or value is None or not wanted(target.value):
                    continue
                on = _default_on(value)
                if on is not None:
                    self.problems.append(
                        Problem(on, "profiling-default", {
                            "name": target.value, "owner": owner, "child": self._owner_is_child(owner),
                        })
                    )
        for function in self.functions.values():
            node = function.node
            if node is None:
                continue
            for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
                if param.default is not None and wanted(param.name.value) and _literal(param.default) in (True, 1):
                    self.problems.append(
                        Problem(param, "profiling-default", {
                            "name": param.name.value, "owner": function.class_name,
                            "child": self._owner_is_child(function.class_name),
                        })
                    )

    def _owner_is_child(self, owner: Optional[str]) -> bool:
        """`class ChildSettings`, `class StudentProfile`: settings that belong to a child."""
        return bool(owner) and any(self.flow.vocabulary.subject_of(w) == "child" for w in split_words(owner or ""))

    def _find_pii_settings(self, settings: Sequence[Mapping[str, Any]], text: str) -> None:
        if not settings:
            return
        by_call: Dict[str, List[Mapping[str, Any]]] = {}
        by_target: Dict[str, List[Mapping[str, Any]]] = {}
        by_name: Dict[str, List[Mapping[str, Any]]] = {}
        queries: List[Mapping[str, Any]] = []
        for entry in settings:
            for call in entry.get("calls", ()):
                by_call.setdefault(call, []).append(entry)
            for target in entry.get("targets", ()):
                by_target.setdefault(target, []).append(entry)
            for name in entry.get("names", ()):
                by_name.setdefault(name, []).append(entry)
            if entry.get("query"):
                queries.append(entry)
        constants = self.flow.module_strings()
        literals = _module_literals(self.ctx.module)
        # Walk the calls only where an option is spelled next to its SDK's name.
        if any(
            entry["keyword"] + "=" in text and any(call.split(".", 1)[0] in text for call in entry.get("calls", ()))
            for entries in by_call.values()
            for entry in entries
        ):
            for call in _nodes_of(self.ctx.module, cst.Call):
                resolved = self.ctx.imports.resolve(call.func)
                if resolved is None or resolved not in by_call:
                    continue
                if not self.flow.starts_at_import(resolved):
                    continue
                for arg in call.args:
                    if arg.keyword is None:
                        continue
                    for entry in by_call[resolved]:
                        if arg.keyword.value == entry["keyword"] and _value_in(
                            _literal(arg.value, literals), entry.get("values", ())
                        ):
                            shown = _show(_literal(arg.value, literals))
                            setting = f"{arg.keyword.value}={shown}"
                            self.problems.append(Problem(arg, "pii-setting", dict(entry, setting=setting)))
        for statement in self.ctx.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                value = _literal(small.value, literals)
                for target in targets:
                    if isinstance(target, cst.Name) and target.value in by_name:
                        for entry in by_name[target.value]:
                            if _value_in(value, entry.get("values", ())):
                                setting = f"{target.value} = {_show(value)}"
                                self.problems.append(Problem(small, "pii-setting", dict(entry, setting=setting)))
                    elif isinstance(target, cst.Attribute):
                        resolved = self.ctx.imports.resolve(target)
                        if resolved in by_target and self.flow.starts_at_import(resolved):
                            for entry in by_target[resolved]:
                                if _value_in(value, entry.get("values", ())):
                                    setting = f"{dotted(target)} = {_show(value)}"
                                    self.problems.append(Problem(small, "pii-setting", dict(entry, setting=setting)))
        if queries:
            for sink_call in self.flow.sink_calls:
                if sink_call.spec.family not in ("http", "analytics", "ads"):
                    continue
                url = parse_url(url_pattern(url_argument(sink_call.node, _HTTP_URL), constants))
                if url is None:
                    continue
                params = url.query_params()
                for entry in queries:
                    if url.host in entry.get("hosts", ()) and _value_in(
                        params.get(entry["query"]), entry.get("values", ())
                    ):
                        setting = f"{entry['query']}={params.get(entry['query'])}"
                        self.problems.append(Problem(sink_call.node, "pii-setting", dict(entry, setting=setting)))


class TrackingLinkFacts(Analysis):
    """The facts by which tracking calls in one file meet code in another (COP302's project pass).

    A file's guard helpers (`require_consent()`) matter only to tracking calls
    elsewhere that depend on them; its unguarded calls about a user into other
    modules matter only if the callee wraps a tracking call. Most files of a
    project have both, and finding them (a guard walk and a location per call)
    was most of the tracking analysis's cost, for facts no rule joined. So
    they are recorded only in files that mention a name those joins start
    from, through `links`: a tracking wrapper (and, in turn, each function that
    calls one with its own parameters), or a guard helper a tracking call or
    wrapper depends on. Nothing of a file's own calls for them: the empty
    prefilter never fires, and `Engine.lint_linked` brings the analysis in.
    """

    requires = (TrackingAnalysis,)
    prefilter = ()
    links = {
        FACT_WRAPPER: ("function", "pending"),
        FACT_PENDING: ("helpers",),
        FACT_CALL: ("function", "helpers"),
    }

    def finish(self) -> None:
        self.ctx.analysis(TrackingAnalysis).record_link_facts()


def _join_labels(*labels: str) -> str:
    """"Segment", "Mixpanel and PostHog" -> "Segment, Mixpanel and PostHog"."""
    seen: List[str] = []
    for label in labels:
        for part in label.replace(" and ", ", ").split(", "):
            if part and part not in seen:
                seen.append(part)
    return seen[0] if len(seen) == 1 else ", ".join(seen[:-1]) + " and " + seen[-1]


# -- ad flags ----------------------------------------------------------------------------


class AdFlag:
    def __init__(self, entry: Mapping[str, Any]) -> None:
        self.keys_spelled = tuple(entry.get("keys", ()))
        self.keys = frozenset(_norm(k) for k in self.keys_spelled)
        self.what = entry.get("what", self.keys_spelled[0] if self.keys_spelled else "")
        self.unsafe = tuple(entry.get("unsafe", ()))
        self.safe = tuple(entry.get("safe", ()))
        self.required = tuple(entry.get("required", ()))

    def is_unsafe(self, value: Any) -> bool:
        return _value_in(value, self.unsafe)

    def is_safe(self, value: Any) -> bool:
        return _value_in(value, self.safe)


_MISSING = object()
# Keyword arguments of field constructors that give the default value.
_DEFAULT_KEYWORDS = frozenset({"default", "server_default", "load_default", "initial", "dump_default"})
# Text without one of these cannot hold a profiling default.
_PROFILING_HINTS = ("personali", "profiling", "advertis", "targeted", "_ads", "ads_", "tracking")
# Methods whose string arguments are the keys a test reads (`request.cookies.get("analytics_consent")`).
_LOOKUP_METHODS = frozenset({"get", "getlist", "has_key", "exists", "filter", "filter_by"})
_FLAG_PREFIXES = frozenset({"is", "has", "use", "default", "should", "can"})


def _value_in(value: Any, values: Iterable[Any]) -> bool:
    """Whether a literal is one of `values` (True is not 1; strings compare case-insensitively)."""
    if value is _MISSING or value is None:
        return False
    for wanted in values:
        if type(wanted) is type(value) and wanted == value:
            return True
        if isinstance(value, str) and isinstance(wanted, str) and value.lower() == wanted.lower():
            return True
    return False


def _describe_flags(unsafe: Sequence[Tuple[AdFlag, str, Any]]) -> str:
    parts = []
    for flag, key, value in unsafe:
        shown = repr(value) if not isinstance(value, bool) else str(value)
        parts.append(f"{key} = {shown} ({flag.what})")
    return "; ".join(parts)


def _show(value: Any) -> str:
    return str(value) if isinstance(value, bool) else repr(value)


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_string = string_value



def _literal(node: Optional[cst.BaseExpression], names: Optional[Mapping[str, Any]] = None) -> Any:
    """The value of a literal (True, 0, "1"); a module constant's value; else _MISSING."""
    if node is None:
        return _MISSING
    if isinstance(node, cst.Name):
        if node.value == "True":
            return True
        if node.value == "False":
            return False
        if node.value == "None":
            return None
        if names is not None and node.value in names:
            return names[node.value]
        return _MISSING
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:  # pragma: no cover
            return _MISSING
    if isinstance(node, cst.SimpleString):
        text = _string(node)
        return text if text is not None else _MISSING
    return _MISSING


def _module_literals(module: cst.Module) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                ):
                    value = _literal(small.value)
                    if value is not _MISSING:
                        out[small.targets[0].target.value] = value
    return out


def _default_on(value: cst.BaseExpression) -> Optional[cst.CSTNode]:
    """The node that switches a field or setting on by default, if it does."""
    if _literal(value) in (True,) or (isinstance(value, cst.Integer) and _literal(value) == 1):
        return value
    if isinstance(value, cst.Call):
        for arg in value.args:
            if arg.keyword is not None and arg.keyword.value in _DEFAULT_KEYWORDS:
                literal = _literal(arg.value)
                if literal is True or literal == 1 or (
                    isinstance(literal, str) and literal.lower() in ("1", "true", "t")
                ):
                    return arg
                if isinstance(arg.value, cst.Call) and (dotted(arg.value.func) or "").endswith("true"):
                    return arg
    return None


def _is_openrtb(node: cst.Dict) -> bool:
    keys = set(k for k in dict_keys(node) if k is not None)
    return "imp" in keys and bool(keys & {"site", "app"})


def _walk_dict(
    node: cst.Dict, prefix: str = "", depth: int = 0
) -> Iterator[Tuple[str, str, cst.BaseExpression, cst.CSTNode]]:
    """(dotted path, key, value, element) for every string-keyed entry, nested dicts included."""
    if depth > 6:
        return
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            continue
        key = _string(element.key)
        if key is None:
            continue
        path = f"{prefix}.{key}" if prefix else key
        yield path, key, element.value, element
        if isinstance(element.value, cst.Dict):
            yield from _walk_dict(element.value, path, depth + 1)
        elif isinstance(element.value, (cst.List, cst.Tuple)):
            for item in element.value.elements:
                if isinstance(item.value, cst.Dict):
                    yield from _walk_dict(item.value, path, depth + 1)


def _value_lookup(function: Optional[FunctionNode]):
    if function is None:
        return lambda name: None
    assignments = function.assignments()

    def value_of(name: str) -> Optional[cst.BaseExpression]:
        values = assignments.get(name)
        return values[-1] if values else None

    return value_of


# A URL argument spec for HTTP clients (the same as data/sinks.toml's http-client).
_HTTP_URL = SinkSpec(
    id="http-url", family="http", label="", functions=frozenset(), receivers=(), receiver_words=frozenset(),
    methods=frozenset(), data="all", skip_keywords=frozenset(), url_argument=("url", 0),
)


class _CallLocator:
    """Spans of calls from Python's `ast`: the n-th call of `name(...)` in a function, in source order.

    The flow analysis lists a function's calls in the order it evaluates them,
    which for calls spelled alike is source order; functions are named as the
    flow analysis names them (`Class.method`, `outer.inner`, "" for the module).
    Code the flow analysis does not walk (decorators, defaults, lambdas, class
    bodies) is left out here too.
    """

    def __init__(self, source: str, tree: Any = None) -> None:
        self._calls: Optional[Dict[Tuple[str, str], List[Any]]] = None
        self._source = source
        self._tree = tree  # CPython's tree of `source`, if the engine already has one

    def span(self, function: str, spelled: str, ordinal: int) -> Optional[Span]:
        if self._calls is None:
            self._calls = {}
            tree = self._tree
            if tree is None:
                try:
                    import ast
                    import warnings

                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        tree = ast.parse(self._source)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return None
            self._collect(tree.body, [], "")
            for calls in self._calls.values():
                calls.sort(key=lambda c: (c.lineno, c.col_offset))
        calls = self._calls.get((function, spelled), [])
        if ordinal >= len(calls):
            return None
        call = calls[ordinal]
        end_line = getattr(call, "end_lineno", None) or call.lineno
        end_col = getattr(call, "end_col_offset", None)
        return Span(call.lineno, _column(self._source, call.lineno, call.col_offset), end_line,
                    _column(self._source, end_line, end_col if end_col is not None else call.col_offset))

    def _collect(self, body, scope: List[str], function: str) -> None:
        import ast

        for statement in body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [*scope, statement.name]
                self._collect(statement.body, inner, ".".join(inner))
                continue
            if isinstance(statement, ast.ClassDef):
                members = [
                    s for s in statement.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                ]
                self._collect(members, [*scope, statement.name], function)
                continue
            stack = [statement]
            while stack:
                node = stack.pop()
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not statement:
                    self._collect([node], scope, function)
                    continue
                if isinstance(node, ast.Lambda):
                    continue
                if isinstance(node, ast.Call):
                    name = _ast_dotted(node.func)
                    if name is not None:
                        self._calls.setdefault((function, name), []).append(node)
                for field_name in _ast_fields(type(node)):
                    value = getattr(node, field_name, None)
                    if isinstance(value, ast.AST):
                        stack.append(value)
                    elif isinstance(value, list):
                        stack.extend(v for v in value if isinstance(v, ast.AST))


_AST_FIELDS: Dict[type, Tuple[str, ...]] = {}
_AST_SKIPPED = frozenset({"decorator_list", "returns", "type_comment"})


def _ast_fields(kind: type) -> Tuple[str, ...]:
    """The fields of an `ast` class worth walking for calls (`ast.iter_fields` is a slow generator)."""
    fields = _AST_FIELDS.get(kind)
    if fields is None:
        fields = _AST_FIELDS[kind] = tuple(f for f in kind._fields if f not in _AST_SKIPPED)
    return fields


def _ast_dotted(node) -> Optional[str]:
    import ast

    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _ast_dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _column(source: str, line: int, byte_offset: int) -> int:
    """1-based character column of `ast`'s UTF-8 byte offset on a line."""
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return byte_offset + 1
    text = lines[line - 1]
    if text.isascii():
        return byte_offset + 1
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore")) + 1


# -- tree helpers ---------------------------------------------------------------------------

_FIELDS: Dict[type, Tuple[str, ...]] = {}
_IS_NODE = TypeTest((cst.CSTNode,))  # libcst's classes are ABCs: a failing isinstance is slow
_SYNTAX_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "equal", "dot", "star", "semicolon", "colon", "operator", "leading_lines",
        "lines_after_decorators", "header", "footer", "asynchronous", "lbrace", "rbrace", "lbracket",
        "rbracket", "whitespace", "newline", "trailing_whitespace", "encoding", "default_indent",
        "default_newline", "has_trailing_newline", "indent", "quote", "prefix", "start", "end", "string",
    }
)


def _children(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The child nodes of a libcst node, without whitespace and punctuation (`.children` is far slower)."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        import dataclasses

        fields = tuple(
            f.name for f in dataclasses.fields(node)
            if f.name not in _SYNTAX_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[type(node)] = fields
    out: List[cst.CSTNode] = []
    is_node = _IS_NODE
    for name in fields:
        value = getattr(node, name, None)
        if is_node[type(value)]:
            out.append(value)
        elif isinstance(value, (tuple, list)):
            out.extend(v for v in value if is_node[type(v)])
    return out


def _walk_statements(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Every statement in a body, nested blocks included, nested functions and classes included."""
    for statement in body:
        yield statement
        if isinstance(statement, cst.If):
            yield from _walk_statements(_suite(statement.body))
            if statement.orelse is not None:
                yield from _walk_statements([statement.orelse])
        elif isinstance(statement, cst.Else):
            yield from _walk_statements(_suite(statement.body))
        elif isinstance(statement, (cst.For, cst.While, cst.With, cst.FunctionDef, cst.ClassDef)):
            yield from _walk_statements(_suite(statement.body))
            orelse = getattr(statement, "orelse", None)
            if orelse is not None:
                yield from _walk_statements(_suite(orelse.body))
        elif isinstance(statement, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            yield from _walk_statements(_suite(statement.body))
            for handler in statement.handlers:
                yield from _walk_statements(_suite(handler.body))
            if statement.orelse is not None:
                yield from _walk_statements(_suite(statement.orelse.body))
            if statement.finalbody is not None:
                yield from _walk_statements(_suite(statement.finalbody.body))


def _else_body(orelse: cst.CSTNode) -> Sequence[cst.CSTNode]:
    if isinstance(orelse, cst.Else):
        return _suite(orelse.body)
    return [orelse]  # elif: exits only if every branch exits (approximated by its own body)


def _exits(body: Sequence[cst.CSTNode], analysis: TrackingAnalysis) -> bool:
    """Whether a block always leaves: return, raise, continue, break, abort()."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        for small in last.body:
            if isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and analysis.exits_call(small.value):
                return True
        return False
    if isinstance(last, cst.If) and last.orelse is not None:
        return _exits(_suite(last.body), analysis) and _exits(_else_body(last.orelse), analysis)
    return False


def _statement_list(parent: cst.CSTNode, function: FunctionNode) -> Optional[Sequence[cst.CSTNode]]:
    if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return parent.body
    if parent is _MODULE_MARK:
        return function.body
    return None


def _test_names(expr: cst.BaseExpression) -> Iterator[str]:
    """Identifiers and string keys a test reads; configuration (ALL_CAPS) names are skipped."""
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            if not _is_config_name(node.value):
                yield node.value
            continue
        if isinstance(node, cst.Attribute):
            if not _is_config_name(node.attr.value):
                yield node.attr.value
            stack.append(node.value)
            continue
        if isinstance(node, cst.Subscript):
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    key = _string(element.slice.value)
                    if key is not None:
                        yield key
            stack.append(node.value)
            continue
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _LOOKUP_METHODS:
                for arg in node.args:
                    key = _string(arg.value)
                    if key is not None:
                        yield key
                    if arg.keyword is not None:
                        yield arg.keyword.value
        if isinstance(node, (cst.Lambda, cst.SimpleString, cst.FormattedString)):
            continue
        stack.extend(_children(node))


def _calls_in(expr: cst.BaseExpression) -> Iterator[cst.Call]:
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            yield node
        if isinstance(node, cst.Lambda):
            continue
        stack.extend(_children(node))


def _nodes_of(root: cst.CSTNode, kind: type) -> Iterator[Any]:
    stack: List[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            yield node
        stack.extend(_children(node))


def _param_kind(name: str) -> Tuple[str, str]:
    if name.startswith("**"):
        return name[2:], "kwargs"
    if name.startswith("*"):
        return name[1:], "args"
    return name, "normal"
