"""Guards: checks of a user's age or a parent's consent, and where they hold.

A guard is code that decides, from a user's age or a parent's consent,
whether a request may go on:

* a call to a check (`verify_age(dob)`, `require_parental_consent(user)`),
  or a test of one (`if not has_parental_consent(user): abort(403)`);
* a comparison of an age or a birth date with a threshold
  (`calculate_age(dob) < 13`, `dob > today - relativedelta(years=13)`); a
  range validation (`1900 <= dob.year <= today.year`) is not one;
* a decorator, a FastAPI dependency or a DRF permission class whose name or
  body is such a check (`@parental_consent_required`, `Depends(verify_age)`,
  `permission_classes = [HasParentalConsent]`);
* the validation of a form or serializer whose `clean*`/`validate*` methods
  raise on one;
* a call to a helper of the project that contains one: in the same file
  through summaries computed here, in another file through `guards.summary`
  facts joined in the project pass (`project_summaries`).

Kinds: "age" (the user's age is established), "consent" (a parent's consent)
and "opt-in" (the user's own consent to analytics, cookies or marketing).
Admin permissions, captchas, terms-of-service acceptance and invite codes are
never guards. The vocabulary is data (`data/guards.toml`), extended by the
`age-gates` setting.

The main query is `GuardAnalysis.dominating(function, node, kinds)`: the
guards that hold whenever `node` runs, i.e. the function's decorators and
dependencies, enforced guard statements before it on its path (an `if` whose
test is a guard and whose branch exits, an enforcing call, an `assert`), and
the tests of the `if` statements it sits in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..walk import TypeTest
from ..data_files import load_data
from ..findings import Span
from ..imports import dotted
from ..rule import Analysis
from .entrypoints import EntryPoint, EntryPointAnalysis, NameSet, string_value
from .names import split_words

AGE, CONSENT, OPT_IN = "age", "consent", "opt-in"
GATE_KINDS: FrozenSet[str] = frozenset({AGE, CONSENT})
FACT_SUMMARY = "guards.summary"
_NOWHERE = Span(1, 1, 1, 1)
UNKNOWN_THRESHOLD = -1
# The last word of a threshold constant: it names a number (`CONSENT_AGE`, `AGE_LIMIT`), not `AGE_LABELS`.
_THRESHOLD_HEADS = frozenset({"age", "limit", "threshold", "min", "minimum", "consent", "majority", "years", "cutoff"})  # a threshold whose value is not in the file (`CONSENT_AGE` imported)


# -- vocabulary ----------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str
    words: FrozenSet[str]
    phrases: Tuple[Tuple[str, ...], ...]
    value_words: FrozenSet[str]
    value_phrases: Tuple[Tuple[str, ...], ...]


def _has_phrase(words: Sequence[str], phrases: Iterable[Tuple[str, ...]]) -> bool:
    words = tuple(words)
    for phrase in phrases:
        n = len(phrase)
        if not n:
            return True
        first = phrase[0]
        for start in range(len(words) - n + 1):
            if words[start] == first and words[start : start + n] == phrase:
                return True
    return False


class GuardVocabulary:
    """data/guards.toml plus the `age-gates` setting."""

    def __init__(self, data: dict, configured: Optional[dict] = None) -> None:
        kinds = data["kinds"]
        self.kinds: Tuple[_Kind, ...] = tuple(
            _Kind(
                name,
                frozenset(body.get("words", ())),
                tuple(tuple(p) for p in body.get("phrases", ())),
                frozenset(body.get("value-words", ())),
                tuple(tuple(p) for p in body.get("value-phrases", ())),
            )
            for name, body in kinds.items()
        )
        opt_in = kinds.get("opt-in", {})
        self.consent_qualifiers = frozenset(opt_in.get("consent-qualifiers", ()))
        self.parental_words = frozenset(opt_in.get("parental-words", ()))
        self.not_guard = frozenset(data["not-guard-words"])
        self.not_age = frozenset(data["not-age-words"])
        self.qualifiers = frozenset(data["guard-qualifiers"])
        self.enforcing_verbs = frozenset(data["enforcing-verbs"])
        self.enforcing_last = frozenset(data["enforcing-last-words"])
        self.predicate_verbs = frozenset(data["predicate-verbs"])
        self.value_verbs = frozenset(data["value-verbs"])
        low, high = data["threshold-range"]
        self.threshold_range = (int(low), int(high))
        self.threshold_words = frozenset(data["threshold-words"])
        self.report_only = NameSet(data["report-only-calls"])
        self.exit_calls = NameSet(data["exit-calls"])
        self.request_words = frozenset(data["consent-request-words"])
        self.request_verbs = frozenset(data["request-verbs"])
        self.age_data_categories = frozenset(data["age-data-categories"])
        self.age_data_skip_labels = frozenset(data["age-data-skip-labels"])
        configured = configured or {}
        self.functions = NameSet(configured.get("functions", ()))
        self.decorators = NameSet(configured.get("decorators", ()))
        self.dependencies = NameSet(configured.get("dependencies", ()))
        self.permissions = NameSet(configured.get("permissions", ()))
        self._age = next(k for k in self.kinds if k.name == AGE)
        # Answers per name spelling: guards ask them of every call, test and assignment.
        self._roles: Dict[str, str] = {}
        self._kinds: Dict[str, FrozenSet[str]] = {}
        self._age_value_names: Dict[str, bool] = {}

    # -- names ----------------------------------------------------------------
    def name_kinds(self, name: Optional[str]) -> FrozenSet[str]:
        """Kinds of check a name says it is: `verify_age` -> {age}, `has_parental_consent` -> {consent}."""
        if not name:
            return frozenset()
        return self._name_kinds(name.replace("()", "").rsplit(".", 1)[-1])

    def _name_kinds(self, last: str) -> FrozenSet[str]:
        found = self._kinds.get(last)
        if found is None:
            found = self._kinds[last] = self._kinds_of(last)
        return found

    def _kinds_of(self, last: str) -> FrozenSet[str]:
        words = split_words(last)
        if not words or set(words) & self.not_guard:
            return frozenset()
        found: Set[str] = set()
        verbish = words[0] in self.enforcing_verbs or words[0] in self.predicate_verbs or words[-1] in self.enforcing_last
        for kind in self.kinds:
            if set(words) & kind.words or _has_phrase(words, kind.phrases):
                found.add(kind.name)
            elif (set(words) & kind.value_words or _has_phrase(words, kind.value_phrases)) and (
                verbish or set(words) & self.qualifiers
            ) and not set(words) & self.not_age:
                found.add(kind.name)
        if CONSENT in found and set(words) & self.consent_qualifiers and not set(words) & self.parental_words:
            found.discard(CONSENT)
            found.add(OPT_IN)
        return frozenset(found)

    def role(self, name: Optional[str]) -> str:
        """What a call of this name does: enforcing | predicate | value | request."""
        if not name:
            return ""
        found = self._roles.get(name)
        if found is None:
            found = self._roles[name] = self._role(name)
        return found

    def _role(self, name: str) -> str:
        words = split_words(name.replace("()", "").rsplit(".", 1)[-1])
        if not words:
            return ""
        first, last = words[0], words[-1]
        if first in self.request_verbs:
            return "request"
        if first in self.enforcing_verbs or last in self.enforcing_last:
            return "enforcing"
        if first in self.predicate_verbs:
            return "predicate"
        if first in self.value_verbs:
            return "value"
        if set(words) & self.request_words:
            return "request"
        return "value"

    def is_consent_request(self, name: Optional[str]) -> bool:
        """`send_consent_request`, `ask_parent_for_consent`, `email_parent_verification`."""
        if not name:
            return False
        last = name.replace("()", "").rsplit(".", 1)[-1]
        words = split_words(last)
        kinds = self._name_kinds(last)
        parental = CONSENT in kinds or bool(set(words) & {"parent", "parents", "guardian", "guardians"})
        return parental and self.role(last) == "request"

    def is_age_value_name(self, name: Optional[str]) -> bool:
        """`age`, `child_age`, `date_of_birth`, `dob`, `birth_year` (not `max_age`, `token_age`)."""
        if not name:
            return False
        found = self._age_value_names.get(name)
        if found is None:
            found = self._age_value_names[name] = self._is_age_value_name(name)
        return found

    def _is_age_value_name(self, name: str) -> bool:
        words = split_words(name.replace("()", "").rsplit(".", 1)[-1])
        if not words or set(words) & (self.not_age | self.not_guard):
            return False
        if words[0] in self.predicate_verbs or words[0] in self.enforcing_verbs:
            return False
        kind = self._age
        return bool(set(words) & kind.value_words) or _has_phrase(words, kind.value_phrases)

    def is_birth_name(self, name: Optional[str]) -> bool:
        """A date or year of birth, as opposed to an age in years."""
        if not self.is_age_value_name(name):
            return False
        words = set(split_words((name or "").rsplit(".", 1)[-1]))
        return bool(words & {"dob", "yob", "birthday", "birthdate", "birth", "born", "birthdays"})

    def is_threshold_name(self, name: Optional[str]) -> bool:
        """`CONSENT_AGE`, `settings.MINIMUM_AGE`, `min_age`, `age_limit`."""
        if not name:
            return False
        last = name.rsplit(".", 1)[-1]
        ordered = split_words(last)
        words = set(ordered)
        if not ordered or not words & self.threshold_words or ordered[-1] not in _THRESHOLD_HEADS:
            return False
        letters = [c for c in last if c.isalpha()]
        constant = bool(letters) and all(c.isupper() for c in letters)
        return ("age" in words and (constant or bool(words & {"min", "minimum", "limit", "threshold", "consent"}))) or (
            constant and bool(words & {"coppa", "consent", "adult", "majority"})
        )

    def in_range(self, value: int) -> bool:
        low, high = self.threshold_range
        return low <= value <= high


def _freeze_config(settings) -> tuple:
    return tuple(getattr(settings, "age_gates", ()) or ())


@lru_cache(maxsize=16)
def _vocabulary_cached(configured: tuple) -> GuardVocabulary:
    from ..config import _thaw

    return GuardVocabulary(load_data("guards.toml"), _thaw(configured) if configured else None)


def vocabulary_for(settings) -> GuardVocabulary:
    return _vocabulary_cached(_freeze_config(settings))


# -- results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    """One check of age or consent, at `node`."""

    kind: str  # age | consent | opt-in
    how: str  # decorator | dependency | permission | call | helper | comparison | check | validation
    node: cst.CSTNode
    spelled: Optional[str] = None  # text for messages; None: the node's source, made on demand
    enforced: bool = True  # stops the request when the check fails
    threshold: Optional[int] = None  # the youngest age let through, when a comparison says it
    exits: str = ""  # how a failing check stops: "raise" | "return" | "" (not known / not enforced)

    @property
    def text(self) -> str:
        """For messages: "calculate_age(birth_date) < 13", "@consent_required"."""
        return self.spelled if self.spelled is not None else _text(self.node)


@dataclass(frozen=True)
class GuardSummary:
    """What calling (or applying) a function or class of the project checks."""

    kinds: FrozenSet[str]
    raises: bool = False  # calling it stops the request when the check fails
    predicate: bool = False  # its result says whether the check passed
    decorator: bool = False  # as a decorator it wraps the view in the check
    permission: bool = False  # a DRF permission class that checks
    validation: bool = False  # a form or serializer whose validation checks


@dataclass(frozen=True)
class Unresolved:
    """A call in a guard position to something defined in another file."""

    callee: str  # dotted as resolved through imports (may be relative: ".utils.check")
    how: str  # statement | test | decorator | dependency | permission | validation


# -- the per-function index -------------------------------------------------------


class _Index:
    """Parents and order of the statements of one function (nested defs excluded)."""

    def __init__(self, function: cst.FunctionDef) -> None:
        self.function = function
        self.parent: Dict[int, Tuple[Optional[cst.CSTNode], str, Sequence[cst.CSTNode], int]] = {}
        self.order: Dict[int, int] = {}
        self.statements: List[cst.CSTNode] = []
        self._owner: Optional[Dict[int, cst.CSTNode]] = None
        self._block(_suite(function.body), None, "body")

    def _block(self, block: Sequence[cst.CSTNode], parent: Optional[cst.CSTNode], branch: str) -> None:
        for index, statement in enumerate(block):
            self.parent[id(statement)] = (parent, branch, block, index)
            self.order[id(statement)] = len(self.statements)
            self.statements.append(statement)
            if type(statement) in _SIMPLE_STATEMENTS:
                continue  # no nested block (`_branches` would yield nothing)
            for inner_branch, inner in _branches(statement):
                self._block(inner, statement, inner_branch)

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        if id(node) in self.parent:
            return node
        if self._owner is None:
            self._owner = {}
            for statement in self.statements:
                for part in _header_parts(statement):
                    for child in _walk_nodes(part):
                        self._owner[id(child)] = statement
        return self._owner.get(id(node))

    def path(self, statement: cst.CSTNode) -> List[Tuple[cst.CSTNode, Optional[cst.CSTNode], str]]:
        """(statement, parent, branch) from `statement` up to the function body."""
        out = []
        current: Optional[cst.CSTNode] = statement
        while current is not None and id(current) in self.parent:
            parent, branch, _, _ = self.parent[id(current)]
            out.append((current, parent, branch))
            current = parent
        return out

    def runs_after(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        """Whether `second` can run after `first` on one path (later, and not in an exclusive branch)."""
        a, b = self.statement_of(first), self.statement_of(second)
        if a is None or b is None or self.order[id(b)] <= self.order[id(a)]:
            return False
        branches_a = {id(p): branch for _, p, branch in self.path(a) if p is not None}
        for _, parent, branch in self.path(b):
            if parent is not None and id(parent) in branches_a and branches_a[id(parent)] != branch:
                if isinstance(parent, (cst.If, cst.Try)) or type(parent).__name__ in ("Match", "TryStar"):
                    if not (isinstance(parent, cst.Try) and branch == "finally"):
                        return False
        return True


# -- the analysis ------------------------------------------------------------------


class GuardAnalysis(Analysis):
    """Finds guards and answers which of them hold at a node."""

    requires = (EntryPointAnalysis,)
    prefilter = None

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = vocabulary_for(ctx.settings)
        self._indexes: Dict[int, _Index] = {}
        self._envs: Dict[int, "_GateEnv"] = {}
        self._summaries: Optional[Dict[str, GuardSummary]] = None
        # Bumped whenever `_summaries` changes. What a function's statements guard
        # depends on the summaries seen (helpers calling helpers), so results are
        # memoised per function and summaries version: the second summary pass, the
        # methods summarised again for their class and every later query reuse them.
        self._summaries_version = 0
        self._guards_in: Dict[int, Tuple[int, List["Guard"]]] = {}
        self._function_summaries: Dict[int, Tuple[int, Optional[GuardSummary]]] = {}

    @property
    def entry_points(self) -> EntryPointAnalysis:
        return self.ctx.analysis(EntryPointAnalysis)

    def finish(self) -> None:
        self._record_facts()

    # -- public API -------------------------------------------------------------
    def function_guards(self, function: cst.FunctionDef, entry: Optional[EntryPoint] = None) -> List[Guard]:
        """Guards applied to a whole function: decorators, dependencies, permission classes, schema validation."""
        entries = self.entry_points
        entry = entry or entries.entry_point_for(function)
        decorators: Sequence[cst.BaseExpression]
        if entry is not None:
            decorators, dependencies, permissions = entry.decorators, entry.dependencies, entry.permissions
        else:
            decorators = tuple(d.decorator for d in function.decorators) if function is not None else ()
            dependencies, permissions = (), ()
        out: List[Guard] = []
        for decorator in decorators:
            out.extend(self._applied_guards(decorator, "decorator"))
        for dependency in dependencies:
            out.extend(self._applied_guards(dependency, "dependency"))
        for permission in permissions:
            out.extend(self._applied_guards(permission, "permission"))
        if entry is not None and entry.class_info is not None:
            out.extend(self._class_validation_guards(entry))
        return out

    def entry_guards(self, entry: EntryPoint) -> List[Guard]:
        """`function_guards` for an entry point, including class-level handlers without a function."""
        if entry.function is not None:
            return self.function_guards(entry.function, entry)
        out: List[Guard] = []
        for decorator in entry.decorators:
            out.extend(self._applied_guards(decorator, "decorator"))
        for permission in entry.permissions:
            out.extend(self._applied_guards(permission, "permission"))
        out.extend(self._class_validation_guards(entry))
        return out

    def dominating(
        self, function: cst.FunctionDef, node: cst.CSTNode, kinds: Optional[Iterable[str]] = None
    ) -> List[Guard]:
        """Guards that hold whenever `node` (in `function`) runs, of the given kinds (default: all)."""
        wanted = frozenset(kinds) if kinds is not None else None
        out = self.function_guards(function)
        index = self._index(function)
        env = self._env(function)
        statement = index.statement_of(node)
        if statement is not None:
            for current, parent, branch in index.path(statement):
                _, _, block, position = index.parent[id(current)]
                for earlier in block[:position]:
                    out.extend(g for g in self.statement_guards(earlier, env) if g.enforced)
                if isinstance(parent, (cst.If, cst.While)) and branch in ("body", "orelse"):
                    out.extend(self.test_guards(parent.test, env))
        return [g for g in out if wanted is None or g.kind in wanted]

    def guards_in(self, function: cst.FunctionDef) -> List[Guard]:
        """Every guard statement of a function, enforced or not, in statement order."""
        cached = self._guards_in.get(id(function))
        if cached is not None and cached[0] == self._summaries_version and self._summaries is not None:
            return list(cached[1])
        index = self._index(function)
        env = self._env(function)
        version = self._summaries_version if self._summaries is not None else None
        out: List[Guard] = []
        for statement in index.statements:
            out.extend(self.statement_guards(statement, env, descend=False))
        if version is not None and version == self._summaries_version:
            # Not when the summaries were first computed during this call: the earlier
            # statements may have been read before any summary existed.
            self._guards_in[id(function)] = (version, list(out))
        return out

    def unresolved_before(self, function: cst.FunctionDef, node: cst.CSTNode) -> List[Unresolved]:
        """Calls to other files' code in guard positions on the path to `node` (for the project pass)."""
        out: List[Unresolved] = []
        entry = self.entry_points.entry_point_for(function)
        applied = []
        if entry is not None:
            applied = [(d, "decorator") for d in entry.decorators] + [(d, "dependency") for d in entry.dependencies] + [
                (p, "permission") for p in entry.permissions
            ]
        else:
            applied = [(d.decorator, "decorator") for d in function.decorators]
        for expr, how in applied:
            callee = self._project_callee(expr.func if isinstance(expr, cst.Call) else expr)
            if callee is not None:
                out.append(Unresolved(callee, how))
        index = self._index(function)
        statement = index.statement_of(node)
        if statement is None:
            return out
        for current, parent, branch in index.path(statement):
            _, _, block, position = index.parent[id(current)]
            for earlier in block[:position]:
                out.extend(self._unresolved_in_statement(earlier))
            if isinstance(parent, cst.If) and branch in ("body", "orelse"):
                out.extend(Unresolved(c, "test") for c in self._project_calls(parent.test))
        seen: List[Unresolved] = []
        for item in out:
            if item not in seen:
                seen.append(item)
        return seen

    def consent_requests(self, function: cst.FunctionDef) -> List[Tuple[cst.CSTNode, str]]:
        """Places a function asks a parent for consent: `send_consent_request(...)`, `ParentalConsent(...)`,
        a redirect to a consent page. (call node, text) in statement order."""
        vocab = self.vocabulary
        out: List[Tuple[cst.CSTNode, str]] = []
        for statement in self._index(function).statements:
            for part in _header_parts(statement):
                for node in _walk_nodes(part):
                    if not isinstance(node, cst.Call):
                        continue
                    name = _last_name(node.func) or ""
                    if vocab.is_consent_request(name):
                        out.append((node, _text(node.func) + "()"))
                    elif name[:1].isupper() and CONSENT in vocab.name_kinds(name) and node.args:
                        out.append((node, f"{name}(...)"))
                    elif name in _PAGE_CALLS:
                        for arg in node.args:
                            text = string_value(arg.value)
                            if text and _names_consent_page(text, vocab):
                                out.append((node, f"{name}({text!r})"))
                                break
        return out

    def index(self, function: cst.FunctionDef) -> _Index:
        return self._index(function)

    def env(self, function: cst.FunctionDef) -> "_GateEnv":
        """What the function's variables hold, for guards (ages, check results, schemas)."""
        return self._env(function)

    def runs_after(self, function: cst.FunctionDef, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        return self._index(function).runs_after(first, second)

    def summary(self, qualname: str) -> Optional[GuardSummary]:
        return self._local_summaries().get(qualname)

    def summaries(self) -> Dict[str, GuardSummary]:
        return dict(self._local_summaries())

    # -- statements ---------------------------------------------------------------
    def statement_guards(self, statement: cst.CSTNode, env: "_GateEnv", descend: bool = True) -> List[Guard]:
        """Guards a statement makes; `enforced` says whether a failing check stops the request."""
        out: List[Guard] = []
        kind = type(statement)
        if kind is cst.SimpleStatementLine:
            for small in statement.body:
                out.extend(self._small_guards(small, env))
        elif kind is cst.If:
            tested = self.test_guards(statement.test, env)
            if tested:
                how = _exit_kind(statement, self)
                out.extend(
                    Guard(g.kind, g.how, g.node, g.spelled, bool(how), g.threshold, how) for g in tested
                )
        elif descend and (kind is cst.Try or kind is cst.With):
            for inner in _suite(statement.body):
                out.extend(g for g in self.statement_guards(inner, env) if g.enforced)
        return out

    def _small_guards(self, small: cst.CSTNode, env: "_GateEnv") -> List[Guard]:
        kind = type(small)
        if kind is cst.Assert:
            return [Guard(g.kind, g.how, g.node, g.spelled, True, g.threshold, "raise") for g in self.test_guards(small.test, env)]
        value: Optional[cst.BaseExpression] = None
        statement_call = False
        if kind is cst.Expr:
            value, statement_call = small.value, True
        elif kind is cst.Assign or kind is cst.AnnAssign:
            value = small.value
        if value is None:
            return []
        if type(value) is cst.Await:
            value = value.expression
        if type(value) is not cst.Call:
            return []
        return self._call_guards(value, env, statement_call)

    def _call_guards(self, call: cst.Call, env: "_GateEnv", statement_call: bool) -> List[Guard]:
        vocab = self.vocabulary
        resolved = self._resolve(call.func)
        name = _last_name(call.func)
        text = None
        out: List[Guard] = []
        configured = vocab.functions.matches(resolved) or vocab.functions.matches(name)
        kinds = GATE_KINDS if configured else vocab.name_kinds(name)
        role = "enforcing" if configured else vocab.role(name)
        if kinds and role == "enforcing":
            return [Guard(k, "call", call, text, True, _keyword_threshold(call, self), "raise") for k in sorted(kinds)]
        summary = self._summary_for_call(call)
        if summary is not None and summary.kinds and summary.raises:
            return [Guard(k, "helper", call, text, True, None, "raise") for k in sorted(summary.kinds)]
        schema = self._validated_schema(call, env)
        if schema is not None and (_keyword_is_true(call, "raise_exception") or name == "full_clean"):
            return [Guard(k, "validation", call, text, True, None, "raise") for k in sorted(schema.kinds)]
        if kinds and role in ("predicate", "value") and statement_call:
            out.extend(Guard(k, "call", call, text, False) for k in sorted(kinds))
        elif statement_call and vocab.is_age_value_name(name) and role == "value":
            out.append(Guard(AGE, "call", call, text, False))
        return out

    # -- expressions --------------------------------------------------------------
    def test_guards(self, test: cst.BaseExpression, env: Optional["_GateEnv"] = None) -> List[Guard]:
        """Guards a condition tests (enforcement is decided by the statement around it)."""
        env = env or _GateEnv()
        vocab = self.vocabulary
        kind = type(test)  # libcst's node classes are final: `type(...) is` says what isinstance would
        if kind is cst.Comparison:
            found = self.age_comparison(test, env)
            if found is not None:
                return [found]
            out: List[Guard] = []
            for operand in [test.left, *(c.comparator for c in test.comparisons)]:
                out.extend(self.test_guards(operand, env))
            return out
        if kind is cst.BooleanOperation:
            return self.test_guards(test.left, env) + self.test_guards(test.right, env)
        if kind is cst.UnaryOperation or kind is cst.Await:
            return self.test_guards(test.expression, env)
        if kind is cst.Call:
            name = _last_name(test.func)
            resolved = self._resolve(test.func)
            if vocab.functions.matches(resolved) or vocab.functions.matches(name):
                return [Guard(k, "call", test) for k in sorted(GATE_KINDS)]
            kinds = vocab.name_kinds(name)
            if kinds and vocab.role(name) != "request":
                return [Guard(k, "call", test, None, True, _keyword_threshold(test, self)) for k in sorted(kinds)]
            summary = self._summary_for_call(test)
            if summary is not None and summary.kinds and (summary.predicate or summary.raises):
                return [Guard(k, "helper", test) for k in sorted(summary.kinds)]
            schema = self._validated_schema(test, env)
            if schema is not None:
                return [Guard(k, "validation", test) for k in sorted(schema.kinds)]
            if name in ("get", "getlist", "pop") and test.args:
                key = string_value(test.args[0].value)
                kinds = vocab.name_kinds(key) if key else frozenset()
                if kinds:
                    return [Guard(k, "check", test) for k in sorted(kinds)]
            return []
        if kind is cst.Name:
            kinds = env.kinds.get(test.value) or vocab.name_kinds(test.value)
            return [Guard(k, "check", test, test.value) for k in sorted(kinds)]
        if kind is cst.Attribute:
            kinds = vocab.name_kinds(test.attr.value)
            if kinds:
                return [Guard(k, "check", test) for k in sorted(kinds)]
            return self.test_guards(test.value, env)
        if kind is cst.Subscript:
            key = _constant_key(test)
            kinds = vocab.name_kinds(key) if key else frozenset()
            if kinds:
                return [Guard(k, "check", test) for k in sorted(kinds)]
            return self.test_guards(test.value, env)
        return []

    def age_comparison(self, node: cst.Comparison, env: Optional["_GateEnv"] = None) -> Optional[Guard]:
        """An age or birth date compared with a threshold: `age < 13`, `dob > today - relativedelta(years=13)`."""
        env = env or _GateEnv()
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        best: Optional[int] = None
        found = False
        for position, target in enumerate(node.comparisons):
            left, right = operands[position], operands[position + 1]
            operator = type(target.operator).__name__
            for value, other, value_left in ((left, right, True), (right, left, False)):
                kind = self.age_value_kind(value, env)
                if kind is None:
                    continue
                threshold = self.threshold_of(other, birth=(kind == "birth"))
                if threshold is None:
                    continue
                found = True
                if threshold != UNKNOWN_THRESHOLD and kind == "age":
                    threshold = _implied_minimum(threshold, operator, value_left)
                if threshold != UNKNOWN_THRESHOLD and (best is None or best == UNKNOWN_THRESHOLD or threshold < best):
                    best = threshold
                elif best is None:
                    best = threshold
                break
        if not found:
            return None
        return Guard(AGE, "comparison", node, None, True, None if best == UNKNOWN_THRESHOLD else best)

    def age_value_kind(self, node: cst.BaseExpression, env: Optional["_GateEnv"] = None) -> Optional[str]:
        """"age" for an age in years, "birth" for a birth date or year, None otherwise."""
        env = env or _GateEnv()
        vocab = self.vocabulary
        kind = type(node)
        if kind is cst.Name:
            if node.value in env.age_values:
                return "age"
            if node.value in env.birth_values:
                return "birth"
            if vocab.is_age_value_name(node.value):
                return "birth" if vocab.is_birth_name(node.value) else "age"
            return None
        if kind is cst.Attribute:
            attr = node.attr.value
            if attr in ("year", "days", "years"):
                inner = self.age_value_kind(node.value, env)
                if inner is not None:
                    return "birth" if attr == "year" and inner == "birth" else "age"
                if attr == "years" and isinstance(node.value, cst.Call) and _last_name(node.value.func) == "relativedelta":
                    return "age"
                return None
            if vocab.is_age_value_name(attr):
                return "birth" if vocab.is_birth_name(attr) else "age"
            return None
        if kind is cst.Subscript:
            key = _constant_key(node)
            if key and vocab.is_age_value_name(key):
                return "birth" if vocab.is_birth_name(key) else "age"
            return None
        if kind is cst.Call:
            name = _last_name(node.func)
            if name in ("int", "float", "round", "abs"):
                return self.age_value_kind(node.args[0].value, env) if node.args else None
            if vocab.is_age_value_name(name) and vocab.role(name) == "value":
                return "age"
            return None
        if kind is cst.BinaryOperation:
            kinds = {self.age_value_kind(node.left, env), self.age_value_kind(node.right, env)} - {None}
            if not kinds:
                return None
            if isinstance(node.operator, (cst.FloorDivide, cst.Divide)) or "age" in kinds:
                return "age"
            # `today.year - birth_year` is an age; `dob + timedelta(...)` still a date
            if isinstance(node.operator, cst.Subtract) and self.age_value_kind(node.right, env) == "birth":
                return "age"
            return "birth"
        return None

    def threshold_of(self, node: cst.BaseExpression, birth: bool = False) -> Optional[int]:
        """The age a threshold expression stands for; UNKNOWN_THRESHOLD for a constant defined elsewhere."""
        vocab = self.vocabulary
        if isinstance(node, cst.Integer) and not birth:
            value = int(node.value.replace("_", ""), 0)
            return value if vocab.in_range(value) else None
        if isinstance(node, (cst.Name, cst.Attribute)) and not birth:
            spelled = dotted(node) or ""
            if vocab.is_threshold_name(spelled):
                constant = self.entry_points.module_constants.get(spelled) if isinstance(node, cst.Name) else None
                if isinstance(constant, cst.Integer):
                    value = int(constant.value.replace("_", ""), 0)
                    return value if vocab.in_range(value) else None
                return UNKNOWN_THRESHOLD
            return None
        if birth:
            return _years_in(node, self)
        return None

    # -- applied guards: decorators, dependencies, permission classes ----------------
    def _applied_guards(self, expr: cst.BaseExpression, how: str) -> List[Guard]:
        vocab = self.vocabulary
        target = expr.func if isinstance(expr, cst.Call) else expr
        resolved = self._resolve(target)
        name = _last_name(target)
        configured = {
            "decorator": vocab.decorators,
            "dependency": vocab.dependencies,
            "permission": vocab.permissions,
        }[how]
        if configured.matches(resolved) or configured.matches(name) or vocab.functions.matches(resolved):
            return self._applied(expr, how, sorted(GATE_KINDS))
        kinds = vocab.name_kinds(name)
        if kinds and vocab.role(name) != "request":
            return self._applied(expr, how, sorted(kinds))
        summary = self._local_summaries().get(dotted(target) or "") if isinstance(target, (cst.Name, cst.Attribute)) else None
        if summary is not None and summary.kinds and (
            summary.decorator or summary.raises or summary.permission or (how == "dependency" and summary.predicate)
        ):
            return self._applied(expr, how, sorted(summary.kinds))
        return []

    def _applied(self, expr: cst.BaseExpression, how: str, kinds: List[str]) -> List[Guard]:
        """The guards an applied check makes. Its text is made only here: printing a call
        decorator's source is costly, and most decorators are not guards."""
        if how == "dependency":
            text = f"Depends({_text(expr)})"
        else:
            text = ("@" if how == "decorator" else "") + _text(expr)
        threshold = _keyword_threshold(expr, self) if isinstance(expr, cst.Call) else None
        return [Guard(k, how, expr, text, True, threshold) for k in kinds]

    def _class_validation_guards(self, entry: EntryPoint) -> List[Guard]:
        """A form's or serializer's own validation, which ran before `save`, `form_valid` or `perform_create`."""
        info = entry.class_info
        if info is None:
            return []
        if entry.kind in ("form-save", "serializer-save"):
            schema_name = info.qualname
        elif entry.kind == "implicit" or (entry.function is not None and entry.function.name.value in (
            "form_valid", "perform_create", "perform_update"
        )):
            schema_name = entry.schema or ""
        else:
            return []
        summary = self._local_summaries().get(schema_name)
        if summary is None or not summary.validation:
            return []
        return [Guard(k, "validation", entry.anchor, f"{schema_name} validation") for k in sorted(summary.kinds)]

    # -- summaries ------------------------------------------------------------------
    def _local_summaries(self) -> Dict[str, GuardSummary]:
        if self._summaries is None:
            self._summaries = {}
            entries = self.entry_points
            for _ in range(2):  # helpers calling helpers
                if _ and not self._summaries:
                    break  # nothing to call: a second pass would find nothing new
                for qualname, function in entries.functions.items():
                    summary = self._summarise_function(function)
                    if summary is not None:
                        self._set_summary(qualname, summary)
                for qualname, info in entries.classes.items():
                    summary = self._summarise_class(info)
                    if summary is not None:
                        self._set_summary(qualname, summary)
        return self._summaries

    def _set_summary(self, qualname: str, summary: GuardSummary) -> None:
        assert self._summaries is not None
        if self._summaries.get(qualname) != summary:
            self._summaries[qualname] = summary
            self._summaries_version += 1

    def _summarise_function(self, function: cst.FunctionDef) -> Optional[GuardSummary]:
        """`_summarise_uncached`, memoised while the summaries it reads stay the same."""
        cached = self._function_summaries.get(id(function))
        if cached is not None and cached[0] == self._summaries_version:
            return cached[1]
        version = self._summaries_version
        summary = self._summarise_uncached(function)
        if version == self._summaries_version:
            self._function_summaries[id(function)] = (version, summary)
        return summary

    def _summarise_uncached(self, function: cst.FunctionDef) -> Optional[GuardSummary]:
        kinds: Set[str] = set()
        raises = predicate = decorator = False
        env = self._env(function)
        for guard in self.guards_in(function):
            if guard.kind not in GATE_KINDS and guard.kind != OPT_IN:
                continue
            if guard.enforced:
                kinds.add(guard.kind)
                raises = raises or guard.exits == "raise"
                predicate = predicate or guard.exits == "return"
        for statement in self._index(function).statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Return) and small.value is not None:
                        tested = self.test_guards(small.value, env)
                        if tested:
                            kinds.update(g.kind for g in tested)
                            predicate = True
        for inner in _nested_functions(function):
            inner_summary = self._summarise_function(inner)
            if inner_summary is not None and inner_summary.kinds and (inner_summary.raises or inner_summary.predicate):
                kinds.update(inner_summary.kinds)
                decorator = True
        if not kinds:
            return None
        return GuardSummary(frozenset(kinds), raises, predicate, decorator)

    def _summarise_class(self, info) -> Optional[GuardSummary]:
        entries = self.entry_points
        kinds: Set[str] = set()
        permission = validation = False
        for name, method in info.methods.items():
            summary = self._summarise_function(method)
            if summary is None:
                continue
            if name in ("has_permission", "has_object_permission"):
                kinds.update(summary.kinds)
                permission = True
            elif info.role == "form" and entries.config.form_validation.matches(name) and summary.raises:
                kinds.update(summary.kinds)
                validation = True
            elif info.role in ("serializer", "pydantic") and (
                entries.config.serializer_validation.matches(name) or name.startswith("validate") or name.startswith("check")
            ) and summary.raises:
                kinds.update(summary.kinds)
                validation = True
        if not kinds:
            return None
        return GuardSummary(frozenset(kinds), permission=permission, validation=validation)

    def _summary_for_call(self, call: cst.Call) -> Optional[GuardSummary]:
        spelled = dotted(call.func)
        if spelled is None:
            return None
        summaries = self._local_summaries()
        if spelled in summaries:
            return summaries[spelled]
        if spelled.startswith("self."):
            tail = "." + spelled[len("self.") :]
            matches = [s for name, s in summaries.items() if name.endswith(tail)]
            if len(matches) == 1:
                return matches[0]
        return None

    def _validated_schema(self, call: cst.Call, env: "_GateEnv") -> Optional[GuardSummary]:
        """`form.is_valid()` / `serializer.is_valid(...)` on a form whose validation checks age or consent."""
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in ("is_valid", "full_clean", "validate"):
            return None
        receiver = dotted(call.func.value)
        schema = env.schemas.get(receiver or "")
        if schema is None:
            return None
        summary = self._local_summaries().get(schema)
        if summary is None:
            info = self.entry_points.find_class(schema)
            summary = self._local_summaries().get(info.qualname) if info is not None else None
        return summary if summary is not None and summary.validation else None

    # -- unresolved (cross-file) candidates -------------------------------------------
    def _unresolved_in_statement(self, statement: cst.CSTNode) -> List[Unresolved]:
        out: List[Unresolved] = []
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                value = None
                if isinstance(small, cst.Expr):  # a check that raises; an assigned result is tested later
                    value = small.value
                elif isinstance(small, cst.Assert):
                    out.extend(Unresolved(c, "test") for c in self._project_calls(small.test))
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.Call):
                    callee = self._project_callee(value.func)
                    if callee is not None:
                        out.append(Unresolved(callee, "statement"))
                    elif isinstance(value.func, cst.Attribute) and value.func.attr.value in ("is_valid", "full_clean"):
                        pass
        elif isinstance(statement, cst.If) and _exit_kind(statement, self):
            out.extend(Unresolved(c, "test") for c in self._project_calls(statement.test))
        elif isinstance(statement, (cst.Try, cst.With)):
            for inner in _suite(statement.body):
                out.extend(self._unresolved_in_statement(inner))
        return out

    def _project_calls(self, expr: cst.BaseExpression) -> List[str]:
        out = []
        for node in _walk_nodes(expr):
            if isinstance(node, cst.Call):
                callee = self._project_callee(node.func)
                if callee is not None:
                    out.append(callee)
        return out

    def _project_callee(self, func: cst.BaseExpression) -> Optional[str]:
        """The resolved name of an imported callable that may be the project's own code."""
        spelled = dotted(func)
        if spelled is None:
            return None
        head = spelled.split(".", 1)[0]
        if not self.ctx.imports.is_imported(head):
            return None
        resolved = self.ctx.imports.resolve(func) or spelled
        if resolved.startswith("."):
            return resolved
        from .flow import module_name

        package = resolved.split(".", 1)[0]
        return resolved if package in module_name(self.ctx.path).split(".") else None

    # -- facts ------------------------------------------------------------------------
    def _record_facts(self) -> None:
        from .flow import module_name

        module = module_name(self.ctx.path)
        for qualname, summary in sorted(self._local_summaries().items()):
            self.ctx.record(
                FACT_SUMMARY, _NOWHERE, module=module, name=qualname, kinds=sorted(summary.kinds),
                raises=summary.raises, predicate=summary.predicate, decorator=summary.decorator,
                permission=summary.permission, validation=summary.validation,
            )

    # -- plumbing ---------------------------------------------------------------------
    def _index(self, function: cst.FunctionDef) -> _Index:
        index = self._indexes.get(id(function))
        if index is None:
            index = self._indexes[id(function)] = _Index(function)
        return index

    def _env(self, function: cst.FunctionDef) -> "_GateEnv":
        env = self._envs.get(id(function))
        if env is None:
            env = self._envs[id(function)] = _GateEnv()
            self._envs[id(function)] = env
            self._fill_env(function, env)
        return env

    def _fill_env(self, function: cst.FunctionDef, env: "_GateEnv") -> None:
        entries = self.entry_points
        entry = entries.entry_point_for(function)
        if entry is not None and entry.schema and entry.class_info is not None:
            # perform_create(self, serializer) / form_valid(self, form)
            params = [p.name.value for p in function.params.params]
            for param in params[1:2]:
                env.schemas[param] = entry.schema
        # validate_date_of_birth(self, value) / clean_birth_year(self, value): the value is that field
        name = function.name.value
        for prefix in ("validate_", "clean_"):
            if name.startswith(prefix) and self.vocabulary.is_age_value_name(name[len(prefix):]):
                params = [p.name.value for p in function.params.params]
                for param in params[1:2]:
                    if self.vocabulary.is_birth_name(name[len(prefix):]):
                        env.birth_values.add(param)
                    else:
                        env.age_values.add(param)
        for statement in self._index(function).statements:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                names = [t.target.value for t in targets if isinstance(t.target, cst.Name)]
                if not names:
                    continue
                value = small.value.expression if isinstance(small.value, cst.Await) else small.value
                schema = self._schema_of(value, entry)
                tested = self.test_guards(value, env) if isinstance(value, cst.Call) else []
                for name in names:
                    if self.age_value_kind(value, env) == "age":
                        env.age_values.add(name)
                    if schema is not None:
                        env.schemas[name] = schema
                    if tested:
                        env.kinds[name] = frozenset(g.kind for g in tested)

    def _schema_of(self, value: cst.BaseExpression, entry: Optional[EntryPoint]) -> Optional[str]:
        if not isinstance(value, cst.Call):
            return None
        spelled = dotted(value.func)
        if spelled is None:
            return None
        if spelled in ("self.get_serializer", "self.get_form", "self.get_serializer_class()"):
            return entry.schema if entry is not None else None
        info = self.entry_points.find_class(spelled)
        if info is not None and info.role in ("form", "serializer", "pydantic"):
            return info.qualname
        tail = spelled.rsplit(".", 1)[-1]
        if tail.endswith(("Form", "Serializer")):
            return spelled
        return None

    def _resolve(self, node: cst.BaseExpression) -> Optional[str]:
        if type(node) in _NAME_OR_ATTRIBUTE:
            return self.ctx.imports.resolve(node) or dotted(node)
        return None


@dataclass
class _GateEnv:
    """What a function's variables hold, for guards: ages, check results, schemas."""

    kinds: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    age_values: Set[str] = field(default_factory=set)
    birth_values: Set[str] = field(default_factory=set)
    schemas: Dict[str, str] = field(default_factory=dict)


# -- project pass --------------------------------------------------------------------


def project_summaries(project) -> Dict[str, dict]:
    """`guards.summary` facts of the whole tree, by dotted name (`app.consent.consent_required`)."""
    cached = getattr(project, "_guard_summaries", None)
    if cached is not None:
        return cached
    out: Dict[str, dict] = {}
    for fact in project.facts(FACT_SUMMARY):
        key = f"{fact.get('module')}.{fact.get('name')}".lstrip(".")
        out[key] = {
            "kinds": frozenset(fact.get("kinds") or ()),
            "raises": bool(fact.get("raises")),
            "predicate": bool(fact.get("predicate")),
            "decorator": bool(fact.get("decorator")),
            "permission": bool(fact.get("permission")),
            "validation": bool(fact.get("validation")),
        }
    project._guard_summaries = out
    return out


def find_project_summary(project, callee: str, module: str, package: bool = False) -> Optional[dict]:
    """The summary for a callee as resolved in `module` (relative names resolved, suffix match)."""
    from .flow import absolute_callee

    summaries = project_summaries(project)
    target = absolute_callee(callee, module, package)
    if target in summaries:
        return summaries[target]
    matches = [name for name in summaries if name.endswith("." + target) or target.endswith("." + name)]
    if len(matches) == 1:
        return summaries[matches[0]]
    return None


def summary_gates(summary: Optional[dict], how: str, kinds: FrozenSet[str] = GATE_KINDS) -> bool:
    """Whether a summary found in the project pass makes a guard in this position."""
    if summary is None or not (summary["kinds"] & kinds):
        return False
    if how == "statement":
        return summary["raises"]
    if how == "test":
        return summary["raises"] or summary["predicate"]
    if how == "decorator":
        return summary["decorator"] or summary["raises"]
    if how == "dependency":
        return summary["raises"] or summary["predicate"] or summary["decorator"]
    if how == "permission":
        return summary["permission"]
    if how == "validation":
        return summary["validation"]
    return False


# -- syntax helpers ---------------------------------------------------------------------


_PAGE_CALLS = frozenset({
    "redirect", "url_for", "reverse", "render_template", "render", "HttpResponseRedirect", "RedirectResponse",
    "reverse_lazy",
})


def _names_consent_page(text: str, vocab: GuardVocabulary) -> bool:
    words = set(split_words(text))
    return CONSENT in vocab.name_kinds(text.replace("/", "_").replace(".", "_").replace("-", "_")) or bool(
        words & {"consent", "parental"}
    ) or ("parent" in words and bool(words & {"ask", "request", "verify", "email", "approval", "approve"}))


def _suite(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    kind = type(suite)
    if kind is cst.IndentedBlock:
        return suite.body
    if kind is cst.SimpleStatementSuite:
        return [cst.SimpleStatementLine(body=suite.body)]
    return []


def _branches(statement: cst.CSTNode) -> Iterator[Tuple[str, Sequence[cst.CSTNode]]]:
    kind = type(statement)
    if kind in _SIMPLE_STATEMENTS:
        return
    if kind is cst.If:
        yield "body", _suite(statement.body)
        orelse_kind = type(statement.orelse)
        if orelse_kind is cst.If:
            yield "orelse", [statement.orelse]
        elif orelse_kind is cst.Else:
            yield "orelse", _suite(statement.orelse.body)
    elif kind is cst.Try or kind.__name__ == "TryStar":
        yield "body", _suite(statement.body)
        for position, handler in enumerate(statement.handlers):
            yield f"handler{position}", _suite(handler.body)
        if statement.orelse is not None:
            yield "else", _suite(statement.orelse.body)
        if statement.finalbody is not None:
            yield "finally", _suite(statement.finalbody.body)
    elif kind is cst.For or kind is cst.While:
        yield "body", _suite(statement.body)
        if statement.orelse is not None:
            yield "loop-else", _suite(statement.orelse.body)
    elif kind is cst.With:
        yield "body", _suite(statement.body)
    elif kind.__name__ == "Match":
        for position, case in enumerate(statement.cases):
            yield f"case{position}", _suite(case.body)


def _header_parts(statement: cst.CSTNode) -> List[cst.CSTNode]:
    """The parts of a statement that belong to it and not to a nested block."""
    kind = type(statement)
    if kind is cst.SimpleStatementLine:
        return list(statement.body)
    if kind is cst.If or kind is cst.While:
        return [statement.test]
    if kind is cst.For:
        return [statement.target, statement.iter]
    if kind is cst.With:
        return list(statement.items)
    if kind.__name__ == "Match":
        return [statement.subject]
    return []


_SKIPPED_FIELDS = frozenset({
    "lpar", "rpar", "comma", "equal", "dot", "star", "semicolon", "colon", "operator", "leading_lines",
    "lines_after_decorators", "header", "footer", "asynchronous", "lbrace", "rbrace", "lbracket", "rbracket",
    "whitespace", "newline", "trailing_whitespace", "value_whitespace", "quote", "prefix", "string",
    "start", "end", "first_whitespace", "semicolon",
})
_FIELDS: Dict[type, Tuple[str, ...]] = {}
_WHITESPACE = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline)
_LEAVES = (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary) + _WHITESPACE


def _fields(cls: type) -> Tuple[str, ...]:
    found = _FIELDS.get(cls)
    if found is None:
        import dataclasses

        found = _FIELDS[cls] = tuple(
            f.name for f in dataclasses.fields(cls) if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
    return found


_NAME_OR_ATTRIBUTE = frozenset({cst.Name, cst.Attribute})
# Statements with no nested block: `_branches` has nothing to yield for them.
_SIMPLE_STATEMENTS = frozenset({cst.SimpleStatementLine, cst.FunctionDef, cst.ClassDef})
_IS_NODE = TypeTest((cst.CSTNode,))
_IS_WHITESPACE = TypeTest(_WHITESPACE)
_IS_LEAF = TypeTest(_LEAVES)
_IS_SCOPE = TypeTest((cst.FunctionDef, cst.ClassDef, cst.Lambda))
_WALKED_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _walked_fields(kind: type) -> Tuple[str, ...]:
    """The fields `_walk_nodes` reads on a node of this type, last first: none for leaves and nested scopes.

    Learnt once per type, so the walk asks one dict per node instead of three type tests.
    """
    found = _WALKED_FIELDS.get(kind)
    if found is None:
        found = _WALKED_FIELDS[kind] = () if _IS_LEAF[kind] or _IS_SCOPE[kind] else _fields(kind)[::-1]
    return found


def _walk_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node under `node`, not entering nested functions, classes or lambdas.

    Reads libcst's dataclass fields directly (much cheaper than `.children`) and
    skips the purely syntactic ones. Pre-order, children in field order: they
    are pushed last first on the stack.
    """
    is_node, is_whitespace, plans = _IS_NODE, _IS_WHITESPACE, _WALKED_FIELDS
    yield node
    kind = type(node)
    # The root is entered even when it is a function or class itself.
    fields = _fields(kind)[::-1] if _IS_SCOPE[kind] and not _IS_LEAF[kind] else _walked_fields(kind)
    stack: List[cst.CSTNode] = []
    push = stack.append
    while True:
        for name in fields:
            value = getattr(node, name)
            value_kind = type(value)
            if is_node[value_kind]:
                if not is_whitespace[value_kind]:
                    push(value)
            elif value_kind is list or value_kind is tuple:
                for item in reversed(value):
                    if is_node[type(item)]:
                        push(item)
        if not stack:
            return
        node = stack.pop()
        yield node
        fields = plans.get(type(node))
        if fields is None:
            fields = _walked_fields(type(node))


def _nested_functions(function: cst.FunctionDef) -> Iterator[cst.FunctionDef]:
    for statement in _suite(function.body):
        if isinstance(statement, cst.FunctionDef):
            yield statement


def _exit_kind(statement: cst.If, analysis: GuardAnalysis) -> str:
    """How an `if` stops the request in one of its branches: "raise", "return" or ""."""
    found = ""
    for _, block in _branches(statement):
        kind = _block_exit(block, analysis)
        if kind == "raise":
            return "raise"
        found = found or kind
    return found


def _block_exit(block: Sequence[cst.CSTNode], analysis: GuardAnalysis) -> str:
    found = ""
    for statement in block:
        kind = type(statement)
        if kind is cst.SimpleStatementLine:
            for small in statement.body:
                small_kind = type(small)
                if small_kind is cst.Raise:
                    return "raise"
                if small_kind is cst.Return:
                    found = found or "return"
                if small_kind is cst.Expr and type(small.value) is cst.Call:
                    resolved = analysis._resolve(small.value.func)
                    if analysis.vocabulary.exit_calls.matches(resolved):
                        return "raise"
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            continue
        else:
            for _, inner in _branches(statement):
                kind = _block_exit(inner, analysis)
                if kind == "raise":
                    return "raise"
                found = found or kind
    return found


def _last_name(node: cst.BaseExpression) -> Optional[str]:
    kind = type(node)
    while kind is cst.Call:
        node = node.func
        kind = type(node)
    if kind is cst.Name:
        return node.value
    if kind is cst.Attribute:
        return node.attr.value
    return None


def _constant_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return string_value(node.slice[0].slice.value)


def _keyword_is_true(call: cst.Call, name: str) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return isinstance(arg.value, cst.Name) and arg.value.value == "True"
    return False


def _keyword_threshold(call: cst.BaseExpression, analysis: GuardAnalysis) -> Optional[int]:
    """`requires_parental_consent(age_limit=13)`: the age a guard factory is given."""
    if not isinstance(call, cst.Call):
        return None
    for arg in call.args:
        if arg.keyword is None:
            continue
        words = set(split_words(arg.keyword.value))
        if "age" in words or words & {"limit", "threshold"}:
            if isinstance(arg.value, cst.Integer):
                value = int(arg.value.value.replace("_", ""), 0)
                if analysis.vocabulary.in_range(value):
                    return value
    return None


def _years_in(node: cst.BaseExpression, analysis: GuardAnalysis) -> Optional[int]:
    """The number of years in a date threshold: `today - relativedelta(years=13)`, `today.year - 13`."""
    for child in _walk_nodes(node):
        if isinstance(child, cst.Call):
            for arg in child.args:
                if arg.keyword is not None and arg.keyword.value in ("years", "year"):
                    value = arg.value
                    if isinstance(value, cst.Integer):
                        number = int(value.value.replace("_", ""), 0)
                        return number if analysis.vocabulary.in_range(number) else None
                    if isinstance(value, cst.BinaryOperation) and isinstance(value.right, cst.Integer):
                        number = int(value.right.value.replace("_", ""), 0)
                        return number if analysis.vocabulary.in_range(number) else None
                    if isinstance(value, (cst.Name, cst.Attribute)) and analysis.vocabulary.is_threshold_name(dotted(value)):
                        return UNKNOWN_THRESHOLD
        if isinstance(child, cst.BinaryOperation) and isinstance(child.operator, cst.Subtract):
            right = child.right
            if isinstance(right, cst.Integer):
                number = int(right.value.replace("_", ""), 0)
                if analysis.vocabulary.in_range(number):
                    return number
            if isinstance(right, (cst.Name, cst.Attribute)) and analysis.vocabulary.is_threshold_name(dotted(right)):
                return UNKNOWN_THRESHOLD
        if isinstance(child, cst.BinaryOperation) and isinstance(child.operator, cst.Multiply):
            for side in (child.left, child.right):
                if isinstance(side, cst.Integer) and int(side.value) in range(365, 367):
                    other = child.right if side is child.left else child.left
                    if isinstance(other, cst.Integer):
                        number = int(other.value.replace("_", ""), 0)
                        return number if analysis.vocabulary.in_range(number) else None
    return None


def _implied_minimum(threshold: int, operator: str, value_left: bool) -> int:
    """The youngest age a comparison lets through: `age < 13` and `age >= 13` -> 13, `age > 12` -> 13."""
    if not value_left:
        operator = {
            "LessThan": "GreaterThan", "GreaterThan": "LessThan",
            "LessThanEqual": "GreaterThanEqual", "GreaterThanEqual": "LessThanEqual",
        }.get(operator, operator)
    if operator in ("LessThanEqual", "GreaterThan"):
        return threshold + 1
    return threshold


def _text(node: cst.CSTNode) -> str:
    """Short source text for messages."""
    spelled = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    if spelled is not None:
        return spelled
    try:
        text = cst.Module(body=()).code_for_node(node)
    except Exception:  # pragma: no cover - messages must not crash a run
        return "check"
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."
