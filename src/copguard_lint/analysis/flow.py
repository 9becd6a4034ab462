"""Where personal data flows inside each function, and which sinks it reaches.

The model, in three parts:

* Data: an expression carries personal data when its own name says so
  (`child.date_of_birth`, `data["email"]`, a parameter `parent_phone`), when
  it reads a request payload (`request.form`), dumps a person object
  (`vars(student)`), or is computed from something that carries data
  (assignments, f-strings, `%`, `.format`, `+`, containers, comprehensions,
  `for`/`with` targets, string methods). Sanitisers (hashing, masking,
  `len`, `bool`...) and comparisons end the flow. Names in ALL_CAPS are
  constants and configuration (`settings.EMAIL_HOST`), never a person's data.
* Sinks: calls matched through imports and object constructors against the
  sink catalog (data/sinks.toml), plus `raise`.
* Summaries: every function gets a plain-data summary of which of its
  parameters reach which sink family, so calls through project wrappers
  (`audit(event, email=...)` around `logger.info`) are findings too: within a
  file here, across files through facts and the project pass.

Flow-sensitive in statement order, with branches merged by union and loop
bodies walked twice. No libcst metadata is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from ..literals import string_value
from ..data_files import load_data
from ..imports import dotted
from ..findings import Span
from ..walk import TypeTest
from ..rule import Analysis
from .names import NameMatch, Vocabulary, default_vocabulary, split_words
from .sinks import SinkCatalog, SinkSpec, module_strings, sinks_for

MAX_DATA = 8  # data kinds kept per value; more adds nothing to a message
FACT_SUMMARY = "flow.summary"
FACT_CALL = "flow.call"
_NOWHERE = Span(1, 1, 1, 1)
_NAME_CACHE_LIMIT = 200_000  # entries of a per-name cache that lives as long as the process


@dataclass(frozen=True, order=True)
class Datum:
    """One kind of personal data carried by a value."""

    label: str  # "email address", "date of birth", "request payload"
    category: str
    sensitivity: str
    subject: str  # "child" | "adult" | "person" | "" (unknown)
    origin: str  # the expression it came from, for messages: "child.email"
    param: int = -1  # >= 0: stands for "whatever the caller passes as parameter N"
    # For parameter markers: the parameter's own name already says it is personal
    # data, so the helper reports it itself and call sites need not.
    named: bool = False


Taint = FrozenSet[Datum]
EMPTY: Taint = frozenset()


@dataclass(frozen=True)
class SinkHit:
    """Personal data reaching a sink, located at a call node."""

    spec: SinkSpec
    node: cst.CSTNode
    callee: str  # as spelled, for messages: "logger.info"
    data: Tuple[Datum, ...]
    function: str  # qualified name of the enclosing function ("" at module level)
    via: str = ""  # the project helper the data went through, if any


@dataclass(frozen=True)
class ParamSink:
    """In a summary: parameter `index` reaches a sink of `family` through `callee`.

    `kind` is "normal", "args" (`*args`: positions from `index` on) or
    "kwargs" (`**kwargs`: every keyword not naming another parameter).
    """

    index: int
    name: str
    family: str
    spec_id: str
    callee: str
    kind: str = "normal"
    # The parameter's own name says it is personal data, so the helper's own
    # finding already covers it; call sites are not reported again.
    named: bool = False


@dataclass(frozen=True)
class CallSite:
    """A call with the taint of each argument, for summaries applied later."""

    node: cst.Call
    callee: str  # resolved dotted name (may be relative: ".utils.audit")
    spelled: str
    args: Tuple[Tuple[Optional[int], Optional[str], Taint], ...]
    function: str


@dataclass(frozen=True)
class SinkCall:
    """A call to a catalogued sink, whatever it carries (COP3xx looks at every tracking call)."""

    spec: SinkSpec
    node: cst.Call
    callee: str  # as spelled
    function: str  # qualified name of the enclosing function ("" at module level)


@dataclass
class FunctionInfo:
    qualname: str
    params: Tuple[str, ...]
    param_sinks: List[ParamSink]
    returns: Taint


class FlowConfig:
    """data/flow.toml, loaded once."""

    def __init__(self, data: dict) -> None:
        self.request_receivers = frozenset(data["request-receivers"])
        self.request_attributes = frozenset(data["request-attributes"])
        self.request_query_attributes = frozenset(data.get("request-query-attributes", ()))
        self.console_sinks = frozenset(data.get("console-sinks", ()))
        self.command_decorators = frozenset(data.get("command-decorators", ()))
        self.command_base_classes = frozenset(data.get("command-base-classes", ()))
        self.command_path_parts = tuple(data.get("command-path-parts", ()))
        self.request_methods = frozenset(data["request-methods"])
        self.payload_attributes = frozenset(data["payload-attributes"])
        self.dump_functions = frozenset(data["dump-functions"])
        self.dump_methods = frozenset(data["dump-methods"])
        self.dump_attributes = frozenset(data["dump-attributes"])
        self.propagating_functions = frozenset(data["propagating-functions"])
        self.propagating_methods = frozenset(data["propagating-methods"])
        self.quasi_identifiers = frozenset(data.get("quasi-identifiers", ()))
        self.user_facing_exceptions = frozenset(data.get("user-facing-exceptions", ()))
        self.user_facing_exception_words = frozenset(data.get("user-facing-exception-words", ()))
        self.not_exposed = {family: frozenset(c) for family, c in data.get("not-exposed", {}).items()}
        self.test_directories = frozenset(data.get("test-directories", ()))
        self.configuration_receivers = frozenset(data.get("configuration-receivers", ()))
        self.configuration_functions = frozenset(data.get("configuration-functions", ()))
        self.aggregate_functions = frozenset(data.get("aggregate-functions", ()))
        self.aggregate_methods = frozenset(data.get("aggregate-methods", ()))
        self.group_by_methods = frozenset(data.get("group-by-methods", ()))
        self.validation_methods = tuple(data.get("validation-methods", ()))
        self.validation_classes = frozenset(data.get("validation-classes", ()))
        self.test_files = tuple(data.get("test-files", ()))
        # Last names of the aggregate functions (`Count` of `django.db.models.Count`).
        self.aggregate_names = frozenset(name.rsplit(".", 1)[-1] for name in self.aggregate_functions)
        self._configuration_names: Dict[str, bool] = {}

    def is_configuration_name(self, name: str) -> bool:
        """Whether a name's last word names a configuration (`settings`, `app_config`); cached per name."""
        answer = self._configuration_names.get(name)
        if answer is None:
            words = split_words(name)
            answer = bool(words) and words[-1] in self.configuration_receivers
            if len(self._configuration_names) >= _NAME_CACHE_LIMIT:
                self._configuration_names.clear()  # a long-lived process reads many projects
            self._configuration_names[name] = answer
        return answer

    def is_test_module(self, path: str) -> bool:
        """Test code, by its directory or file name."""
        import fnmatch

        parts = [p for p in path.replace("\\", "/").split("/") if p]
        if not parts:
            return False
        if any(part in self.test_directories for part in parts[:-1]):
            return True
        return any(fnmatch.fnmatchcase(parts[-1], pattern) for pattern in self.test_files)

    def is_validation_hook(self, qualname: str) -> bool:
        """A form's, field's or serializer's validation method (`SignupForm.clean_email`)."""
        import fnmatch

        parts = qualname.split(".")
        if len(parts) < 2:
            return False
        words = split_words(parts[-2])
        return bool(words) and words[-1] in self.validation_classes and any(
            fnmatch.fnmatchcase(parts[-1], pattern) for pattern in self.validation_methods
        )

    def is_user_facing(self, exception: str) -> bool:
        """An exception whose message is shown to the person who made the request."""
        return exception in self.user_facing_exceptions or bool(
            set(split_words(exception)) & self.user_facing_exception_words
        )

@lru_cache(maxsize=None)
def default_flow_config() -> FlowConfig:
    return FlowConfig(load_data("flow.toml"))


# Type tests in this module compare `type(node)` with libcst's concrete node
# classes instead of calling isinstance: the classes are ABCs, whose failing
# isinstance checks take ABCMeta's slow path, and the walker asks millions of
# them on a large project. No concrete libcst node class has subclasses, so the
# answers are the same.
_LITERAL_TYPES = frozenset({cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float})
_EMPTY_CONTAINER_TYPES = frozenset({cst.List, cst.Tuple, cst.Dict, cst.Set})
_SEQUENCE_TYPES = frozenset({cst.Tuple, cst.List})
_TRY_TYPES = frozenset({cst.Try, getattr(cst, "TryStar", cst.Try)})
_MATCH_TYPE = getattr(cst, "Match", None)  # Python 3.10's `match`, when libcst knows it
_CHAIN_TYPES = frozenset({cst.Call, cst.Attribute})
_NAME_TYPES = frozenset({cst.Name, cst.Attribute})


def _spelling(node: cst.CSTNode) -> Optional[str]:
    """`a.b["k"].c()` style text for the common shapes, cheaply; None for anything else."""
    kind = type(node)
    if kind is cst.Name:
        return node.value
    if kind is cst.Attribute:
        head = _spelling(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    if kind is cst.Subscript and len(node.slice) == 1:
        element = node.slice[0].slice
        head = _spelling(node.value)
        if head is not None and type(element) is cst.Index and type(element.value) is cst.SimpleString:
            return f"{head}[{element.value.value}]"
        return None
    if kind is cst.Call:
        head = _spelling(node.func)
        if head is None:
            return None
        if not node.args:
            return f"{head}()"
        first = node.args[0].value
        if len(node.args) == 1 and type(first) is cst.SimpleString:
            return f"{head}({first.value})"
        return f"{head}(...)"
    return None


@lru_cache(maxsize=1 << 16)
def _is_constant_name(name: str) -> bool:
    """ALL_CAPS (at least two letters): a constant or setting. Cached: asked for most names read."""
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _limit(taint: Iterable[Datum]) -> Taint:
    data = frozenset(taint)
    if len(data) <= MAX_DATA:
        return data
    return frozenset(sorted(data)[:MAX_DATA])


def _merge_into(merged: Dict[str, Taint], env: Dict[str, Taint]) -> None:
    """Add what each name carries in `env` to `merged` (branches joining), at most MAX_DATA kinds each.

    Most names keep the value they had before the branches, the very object
    `merged` already holds: their union is that value again, so they are skipped.
    """
    for key, value in env.items():
        old = merged.get(key)
        if old is value:
            continue  # _limit(old | old) is old: merged values are already limited
        if old is None:
            merged[key] = value if len(value) <= MAX_DATA else _limit(value)
        else:
            merged[key] = _limit(old | value)


def _code(node: cst.CSTNode) -> str:
    """Short source text of a node for messages (dotted names without code generation)."""
    simple = _spelling(node)
    if simple is not None:
        return simple if len(simple) <= 40 else simple[:37] + "..."
    try:
        text = cst.Module(body=()).code_for_node(node)
    except Exception:  # pragma: no cover - defensive: messages must not crash a run
        return "value"
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."


def flow_triggers(settings) -> Tuple[Tuple[FrozenSet[str], ...], ...]:
    """Every way a file can come by personal data, as identifier words (prefilter.py).

    Names the vocabulary classifies; a request's payload, query or body read
    from a request object; validated form or serializer data; a whole object
    dumped (only counted for an object named for a person). The same object
    for the same vocabulary, so the rules sharing it share one filter.
    """
    return _flow_triggers(settings.personal_data)


@lru_cache(maxsize=16)
def _flow_triggers(personal_data) -> Tuple[Tuple[FrozenSet[str], ...], ...]:
    vocabulary = _vocabulary_cached(personal_data)
    config = default_flow_config()
    people = frozenset(vocabulary.person_words())

    def words(names) -> FrozenSet[str]:
        return frozenset(name.rsplit(".", 1)[-1].lower() for name in names)

    out = list(vocabulary.triggers())
    request_parts = config.request_attributes | config.request_query_attributes | config.request_methods
    out.append((words(config.request_receivers) | {"request"}, words(request_parts)))
    out.append((words(config.payload_attributes),))
    dumps = config.dump_functions | config.dump_methods | config.dump_attributes
    out.append((words(dumps) | {"dict"}, people))
    return tuple(out)


class FlowAnalysis(Analysis):
    """Runs the data-flow model over every function and the module body."""

    # A file with none of the triggers below holds no personal data of its own;
    # a helper in it that forwards a parameter to a sink matters only to files
    # that call it, and those calls name it (`links`).
    prefilter = None
    links = {FACT_CALL: ("callee",)}

    @classmethod
    def triggers(cls, settings):
        """Words without which a file has no personal data: see prefilter.py."""
        return flow_triggers(settings)

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary: Vocabulary = _vocabulary_for(ctx.settings)
        self.sinks: SinkCatalog = sinks_for(ctx.settings)
        self.config = default_flow_config()
        self.hits: List[SinkHit] = []
        self.sink_calls: List[SinkCall] = []
        self._sink_call_ids: Set[int] = set()
        # Every other call, resolved: (node, callee, spelled, enclosing function). COP302 follows
        # tracking wrappers through these whatever the arguments carry.
        self.other_calls: List[Tuple[cst.Call, str, str, str]] = []
        self._module_strings: Optional[Dict[str, str]] = None
        self._import_heads: Optional[FrozenSet[str]] = None
        self._sanitising_callees: Dict[str, bool] = {}
        self._sanitising_chains: Dict[str, bool] = {}
        self._hit_index: Dict[tuple, int] = {}
        self.calls: List[CallSite] = []
        self.functions: Dict[str, FunctionInfo] = {}
        # Qualified names of `functions` by each dotted tail (`A.B.f` under `B.f` and `f`),
        # for calls through `self.`.
        self._function_tails: Dict[str, Set[str]] = {}
        self.module_env: Dict[str, Taint] = {}
        self.module_kinds: Dict[str, str] = {}
        self.class_kinds: Dict[str, Dict[str, str]] = {}
        # Per class: what `self.<attr>` was bound to in the methods walked so far,
        # and which attributes were bound only to configuration (the constructor
        # reading its settings), for reads in later methods.
        self.class_attr_data: Dict[str, Dict[str, Taint]] = {}
        self.class_attr_clean: Dict[str, Dict[str, bool]] = {}
        self._scope: List[Tuple[str, str]] = []  # ("class" | "def", name)
        self._command_classes: Set[str] = set()
        self._command_module = _is_command_module(ctx.path, self.config.command_path_parts)

    # -- traversal ------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        walker = _Walker(self, "", None, {}, {}, {})
        walker.statements(node.body)
        self.module_env = walker.env
        self.module_kinds = walker.kinds

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(("class", node.name.value))
        bases = {_last_name(arg.value) for arg in node.bases}
        if bases & self.config.command_base_classes:
            self._command_classes.add(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        class_name = self._scope[-1][1] if self._scope and self._scope[-1][0] == "class" else None
        qualname = ".".join([name for _, name in self._scope] + [node.name.value])
        self._scope.append(("def", node.name.value))
        params = _parameter_names(node.params)
        is_method = class_name is not None and not _is_staticmethod(node)
        env: Dict[str, Taint] = {}
        for index, spelled in enumerate(params):
            if is_method and index == 0:
                continue
            name, kind = _param_kind(spelled)
            position = index - 1 if is_method else index
            own = self.name_taint(name, None, name) if kind == "normal" else EMPTY
            marker = Datum("parameter", kind, "low", "", name, position, bool(own))
            env[name] = _limit({marker} | own)
        kinds = dict(self.class_kinds.get(class_name, {})) if class_name else {}
        walker = _Walker(self, qualname, class_name, env, kinds, self.module_kinds)
        walker.console_is_output = self.is_command(node)
        walker.statements(_body(node.body))
        if class_name:
            self.class_kinds.setdefault(class_name, {}).update(
                {k: v for k, v in walker.kinds.items() if k.startswith("self.")}
            )
            data = self.class_attr_data.setdefault(class_name, {})
            clean = self.class_attr_clean.setdefault(class_name, {})
            for key, taint in walker.env.items():
                if not key.startswith("self.") or key.count(".") != 1:
                    continue
                attr = key[len("self."):]
                personal = frozenset(d for d in taint if d.param < 0)
                if personal:
                    data[attr] = _limit(data.get(attr, EMPTY) | personal)
                # Clean only while every binding seen so far was configuration.
                clean[attr] = clean.get(attr, True) and not personal and key in walker.clean
        visible = tuple(p for i, p in enumerate(params) if not (is_method and i == 0))
        self.add_function(FunctionInfo(qualname, visible, walker.param_sinks, walker.returns))

    def add_function(self, info: FunctionInfo) -> None:
        """Record a function's summary (a later definition of the same name replaces it)."""
        if info.qualname not in self.functions:
            qualname = info.qualname
            dot = qualname.find(".")
            while dot >= 0:
                self._function_tails.setdefault(qualname[dot + 1 :], set()).add(qualname)
                dot = qualname.find(".", dot + 1)
        self.functions[info.qualname] = info

    def is_command(self, node: cst.FunctionDef) -> bool:
        """A command-line command, whose console output goes to the operator who ran it."""
        if self._command_module:
            return True
        if any(kind == "class" and name in self._command_classes for kind, name in self._scope):
            return True
        for decorator in node.decorators:
            target = decorator.decorator.func if type(decorator.decorator) is cst.Call else decorator.decorator
            if _last_name(target) in self.config.command_decorators and type(target) is cst.Attribute:
                return True
        return False

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()

    def finish(self) -> None:
        self.apply_local_summaries()
        self.record_facts()

    def record_facts(self) -> None:
        """Summaries and calls other files need: the project pass joins them.

        Summaries carry no position (they are looked up by name), so recording
        them costs no position metadata; only calls that pass personal data to
        a helper defined elsewhere are located.
        """
        module = module_name(self.ctx.path)
        for info in self.functions.values():
            if any(not s.named for s in info.param_sinks):
                self.ctx.record(
                    FACT_SUMMARY,
                    _NOWHERE,
                    module=module,
                    function=info.qualname,
                    params=list(info.params),
                    sinks=[
                        {"index": s.index, "name": s.name, "family": s.family, "spec": s.spec_id,
                         "callee": s.callee, "kind": s.kind}
                        for s in info.param_sinks
                        if not s.named
                    ],
                )
        for call in self.calls:
            if self.local_function(call.callee) is not None or not _may_be_project_call(call, self.ctx):
                continue
            args = []
            for position, keyword, taint in call.args:
                personal = sorted(d for d in taint if d.param < 0)
                if personal:
                    args.append(
                        {
                            "position": position,
                            "keyword": keyword,
                            "data": [[d.label, d.category, d.sensitivity, d.subject, d.origin] for d in personal],
                        }
                    )
            if args:
                positional, keywords = bound_arguments((p, k) for p, k, _ in call.args)
                self.ctx.record(
                    FACT_CALL,
                    call.node,
                    module=module,
                    positional=positional,
                    keywords=sorted(keywords),
                    package=self.ctx.path.replace("\\", "/").endswith("__init__.py"),
                    callee=call.callee,
                    spelled=call.spelled,
                    function=call.function,
                    args=args,
                )

    def apply_local_summaries(self) -> None:
        """Apply same-file summaries: calls to local helpers that reach sinks."""
        for _ in range(2):  # helpers calling helpers: two rounds cover the usual depth
            for call in self.calls:
                target = self.local_function(call.callee)
                if target is None:
                    continue
                for sink in target.param_sinks:
                    if sink.named:
                        continue
                    data = _argument_data(call, sink, target.params)
                    personal = tuple(sorted(d for d in data if d.param < 0))
                    forwarded = sorted(d for d in data if d.param >= 0)  # a set: sorted, or facts vary by hash seed
                    if personal:
                        spec = self._spec(sink.spec_id)
                        self.add_hit(SinkHit(spec, call.node, sink.callee, personal, call.function, via=call.spelled))
                    caller = self.functions.get(call.function)
                    if caller is not None:
                        for marker in forwarded:
                            summary = ParamSink(
                                marker.param, marker.origin, sink.family, sink.spec_id, sink.callee,
                                marker.category, marker.named,
                            )
                            if summary not in caller.param_sinks:
                                caller.param_sinks.append(summary)

    def drop_hits(self, nodes: Sequence[cst.CSTNode], family: str) -> None:
        """Forget the hits of one family at these calls (an encoder whose result is a request body)."""
        ids = {id(n) for n in nodes}
        if not ids:
            return
        kept = [h for h in self.hits if not (id(h.node) in ids and h.spec.family == family)]
        if len(kept) != len(self.hits):
            self.hits = kept
            self._hit_index = {(id(h.node), h.spec.id, h.via): i for i, h in enumerate(self.hits)}

    def add_hit(self, hit: SinkHit) -> None:
        """One hit per (call, sink): loop bodies are walked twice, helpers applied twice."""
        key = (id(hit.node), hit.spec.id, hit.via)
        index = self._hit_index.get(key)
        if index is None:
            self._hit_index[key] = len(self.hits)
            self.hits.append(hit)
            return
        old = self.hits[index]
        merged = tuple(sorted(set(old.data) | set(hit.data)))
        if merged != old.data:
            self.hits[index] = SinkHit(old.spec, old.node, old.callee, merged, old.function, old.via)

    # -- helpers used by the walker --------------------------------------
    def note_sink_call(self, call: SinkCall) -> None:
        if id(call.node) not in self._sink_call_ids:  # loop bodies are walked twice
            self._sink_call_ids.add(id(call.node))
            self.sink_calls.append(call)

    def note_other_call(self, node: cst.Call, callee: str, spelled: str, function: str) -> None:
        if id(node) not in self._sink_call_ids:
            self._sink_call_ids.add(id(node))
            self.other_calls.append((node, callee, spelled, function))

    def module_strings(self) -> Dict[str, str]:
        """Module-level string constants (for URLs kept in a constant)."""
        if self._module_strings is None:
            self._module_strings = module_strings(self.ctx.module)
        return self._module_strings

    def sanitising_callee(self, resolved: str) -> bool:
        """Whether a resolved callee (`hashlib.sha256`, `utils.mask_email`) names a sanitiser.

        Its last name, or any name of a module or object it is reached through.
        Cached per spelling: asked for every call.
        """
        answer = self._sanitising_callees.get(resolved)
        if answer is None:
            is_sanitizer = self.vocabulary.is_sanitizer
            answer = is_sanitizer(resolved.rstrip("()").rsplit(".", 1)[-1]) or any(
                is_sanitizer(part) for part in resolved.split(".")[:-1] if part
            )
            self._sanitising_callees[resolved] = answer
        return answer

    def sanitising_chain(self, resolved: str) -> bool:
        """Whether any name of a resolved call chain (`x.hexdigest().upper`) names a sanitiser; cached."""
        answer = self._sanitising_chains.get(resolved)
        if answer is None:
            is_sanitizer = self.vocabulary.is_sanitizer
            answer = any(is_sanitizer(part) for part in resolved.replace("()", "").split(".") if part)
            self._sanitising_chains[resolved] = answer
        return answer

    def import_heads(self) -> FrozenSet[str]:
        """The first names of everything the module imports (`os` of `os.path`)."""
        if self._import_heads is None:
            self._import_heads = frozenset(v.split(".", 1)[0] for v in self.ctx.imports.bindings.values())
        return self._import_heads

    def starts_at_import(self, name: str) -> bool:
        """Whether a resolved dotted name starts at something the module imports."""
        return name.split(".", 1)[0].split("(", 1)[0] in self.import_heads()

    def local_function(self, callee: str) -> Optional[FunctionInfo]:
        """The function of this file a call names: by its qualified name, or `self.m` when one `X.m` fits."""
        info = self.functions.get(callee)
        if info is not None:
            return info
        if callee.startswith("self."):
            matches = self._function_tails.get(callee[len("self.") :])
            if matches is not None and len(matches) == 1:
                return self.functions[next(iter(matches))]
        return None

    def _spec(self, spec_id: str) -> SinkSpec:
        if spec_id == _RAISE_SPEC.id:
            return _RAISE_SPEC
        spec = self.sinks.spec(spec_id)  # the first entry with that id, as in the catalog's order
        if spec is None:  # pragma: no cover
            raise KeyError(spec_id)
        return spec

    def name_taint(
        self, name: str, subject_hint: Optional[str], origin: Union[str, cst.CSTNode],
        owner: Optional[cst.BaseExpression] = None, owner_thing: bool = False,
    ) -> Taint:
        """Data named by `name`; `owner` is the object it is read from (`table` in `table.fullname`).

        The owner's name is read as part of the data's name, so the
        vocabulary's rule for things that are not people applies to it too:
        `table.fullname`, `site_settings.get("contact_email")`. `origin` is the
        text for messages, or the node to spell it from: most names are not
        personal data, and their text is then never needed.
        """
        if _is_constant_name(name):
            return EMPTY
        match = self.vocabulary.classify(name, subject_hint=subject_hint)
        if match.category is None:
            return EMPTY
        if owner_thing and match.subject is None:
            return EMPTY  # a field of an object whose class is a thing: `queue.email_address`
        if owner is not None:
            owner_name = _last_name(owner) if type(owner) in _NAME_TYPES else None
            if owner_name and owner_name not in ("self", "cls") and not _is_constant_name(owner_name):
                combined = self.vocabulary.classify(f"{owner_name}_{name}")
                if combined.category is None and combined.excluded_by and "not a person" in combined.excluded_by:
                    return EMPTY
        return _datum_from(match, subject_hint, origin if type(origin) is str else _code(origin))

    def subject_of(self, node: cst.BaseExpression, class_name: Optional[str]) -> Optional[str]:
        """Who an object is about, from its name: `pupil` -> child, `parent` -> adult."""
        while type(node) is cst.Call:
            node = node.func
        kind = type(node)
        if kind is cst.Name:
            if node.value in ("self", "cls") and class_name:
                return self.vocabulary.subject_of(class_name)
            return self.vocabulary.subject_of(node.value)
        if kind is cst.Attribute:
            return self.vocabulary.subject_of(node.attr.value)
        return None


def _datum_from(match: NameMatch, subject_hint: Optional[str], origin: str) -> Taint:
    if match.category is None:
        return EMPTY
    subject = match.subject or subject_hint or ""
    return frozenset(
        {Datum(match.label or match.category.label, match.category.id, match.category.sensitivity, subject, origin)}
    )


@lru_cache(maxsize=16)
def _vocabulary_cached(extension: tuple) -> Vocabulary:
    from ..config import _thaw

    return Vocabulary.load(_thaw(extension)) if extension else default_vocabulary()


def _vocabulary_for(settings) -> Vocabulary:
    return _vocabulary_cached(settings.personal_data)


def _parameter_names(params: cst.Parameters) -> Tuple[str, ...]:
    """Parameter names in order; `*args` and `**kwargs` spelled with their stars."""
    names = [p.name.value for p in (*params.posonly_params, *params.params)]
    if type(params.star_arg) is cst.Param:
        names.append("*" + params.star_arg.name.value)
    names.extend(p.name.value for p in params.kwonly_params)
    if params.star_kwarg is not None:
        names.append("**" + params.star_kwarg.name.value)
    return tuple(names)


def _param_kind(name: str) -> Tuple[str, str]:
    if name.startswith("**"):
        return name[2:], "kwargs"
    if name.startswith("*"):
        return name[1:], "args"
    return name, "normal"


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return any(
        type(d.decorator) is cst.Name and d.decorator.value == "staticmethod" for d in node.decorators
    )


def _body(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    kind = type(suite)
    if kind is cst.IndentedBlock:
        return suite.body
    return [cst.SimpleStatementLine(body=suite.body)] if kind is cst.SimpleStatementSuite else []


def argument_matches(
    position: Optional[int], keyword: Optional[str], index: int, name: str, kind: str, params: Sequence[str],
    bound: Tuple[int, FrozenSet[str]] = (0, frozenset()),
) -> bool:
    """Whether an argument of a call binds the parameter a summary talks about.

    `bound`: how many positional arguments the call passes and which keywords
    it names; a `**mapping` (keyword "**") binds only the other parameters.
    """
    if keyword == "**":
        if kind == "args":
            return False
        if kind == "kwargs":
            return True
        return index >= bound[0] and name not in bound[1]
    if position is None and keyword is None:  # *xs at the call: may be anything
        return True
    if kind == "args":
        return position is not None and position >= index
    if kind == "kwargs":
        named = {p for p in params if not p.startswith("*")}
        return keyword is not None and keyword not in named
    return (position is not None and position == index) or (keyword is not None and keyword == name)


def bound_arguments(args: Iterable[Tuple[Optional[int], Optional[str]]]) -> Tuple[int, FrozenSet[str]]:
    """(number of positional arguments, keywords named) of a call, for `**mapping` arguments."""
    positions = 0
    keywords: Set[str] = set()
    for position, keyword in args:
        if position is not None:
            positions = max(positions, position + 1)
        elif keyword is not None and keyword != "**":
            keywords.add(keyword)
    return positions, frozenset(keywords)


def _argument_data(call: CallSite, sink: "ParamSink", params: Sequence[str]) -> Taint:
    out: Set[Datum] = set()
    bound = bound_arguments((p, k) for p, k, _ in call.args)
    for position, keyword, taint in call.args:
        if argument_matches(position, keyword, sink.index, sink.name, sink.kind, params, bound):
            out |= taint
    return frozenset(out)


class _Walker:
    """Walks one function body (or the module body) in statement order."""

    def __init__(self, analysis: FlowAnalysis, qualname: str, class_name: Optional[str],
                 env: Dict[str, Taint], kinds: Dict[str, str], outer_kinds: Dict[str, str]) -> None:
        self.a = analysis
        self.ctx = analysis.ctx
        self.qualname = qualname
        self.class_name = class_name
        self.env = env
        self.kinds = kinds
        self.outer_kinds = outer_kinds
        self.param_sinks: List[ParamSink] = []
        self.returns: Taint = EMPTY
        self.console_is_output = False
        # The expression each local name was last bound to (request bodies and URLs built in a variable).
        self.values: Dict[str, cst.BaseExpression] = {}
        # Names (and `self.x` keys) bound to values known not to be anyone's data: the
        # service's configuration, aggregates over many people, prose the program composed.
        self.clean: Set[str] = set()
        # Names bound to instances of a class the code names (`Queue.objects.get()`,
        # `Student(...)`, a loop over `Ticket.objects.filter()`): the class says whose fields they hold.
        self.models: Dict[str, str] = {}

    # -- statements -----------------------------------------------------
    def statements(self, statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            self.statement(statement)

    def statement(self, node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.SimpleStatementLine:
            for small in node.body:
                self.small(small)
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            self.env.pop(node.name.value, None)
        elif kind is cst.If:
            self.expr(node.test)
            self.branches([_body(node.body), [node.orelse] if node.orelse is not None else []])
        elif kind is cst.Else:
            self.statements(_body(node.body))
        elif kind is cst.For:
            taint = self.expr(node.iter)
            for _ in range(2):
                self.bind(node.target, taint, node.iter)
                self.statements(_body(node.body))
            if node.orelse is not None:
                self.statements(_body(node.orelse.body))
        elif kind is cst.While:
            for _ in range(2):
                self.expr(node.test)
                self.statements(_body(node.body))
            if node.orelse is not None:
                self.statements(_body(node.orelse.body))
        elif kind is cst.With:
            for item in node.items:
                taint = self.expr(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, taint, item.item)
            self.statements(_body(node.body))
        elif kind in _TRY_TYPES:
            self.statements(_body(node.body))
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                if handler.name is not None and type(handler.name.name) is cst.Name:
                    self.env[handler.name.name.value] = EMPTY
                self.statements(_body(handler.body))
            if node.orelse is not None:
                self.statements(_body(node.orelse.body))
            if node.finalbody is not None:
                self.statements(_body(node.finalbody.body))
        elif kind is _MATCH_TYPE:
            self.expr(node.subject)
            self.branches([_body(case.body) for case in node.cases])

    def branches(self, bodies: Sequence[Sequence[cst.CSTNode]]) -> None:
        # The state before the branches: each branch starts from a copy of it, so the
        # originals are not copied once more (nothing else changes them).
        start_env, start_kinds = self.env, self.kinds
        start_clean, start_models = self.clean, self.models
        merged_env: Dict[str, Taint] = {}
        merged_kinds: Dict[str, str] = {}
        # Known clean, or of a known class, only if so on every path.
        cleans: List[Set[str]] = [] if len(bodies) >= 2 else [start_clean]
        models: List[Dict[str, str]] = [] if len(bodies) >= 2 else [start_models]
        for body in bodies:
            if not body:  # `if` without `else`: the path that runs nothing keeps the state as it was
                _merge_into(merged_env, start_env)
                merged_kinds.update(start_kinds)
                cleans.append(start_clean)
                models.append(start_models)
                continue
            self.env, self.kinds = dict(start_env), dict(start_kinds)
            self.clean, self.models = set(start_clean), dict(start_models)
            self.statements(body)
            _merge_into(merged_env, self.env)
            merged_kinds.update(self.kinds)
            cleans.append(self.clean)
            models.append(self.models)
        if len(bodies) < 2:  # an `if` without `else` may not run at all
            _merge_into(merged_env, start_env)
        self.env, self.kinds = merged_env, {**start_kinds, **merged_kinds}
        self.clean = set.intersection(*cleans) if cleans else set()
        self.models = {k: v for k, v in models[0].items() if all(m.get(k) == v for m in models[1:])} if models else {}

    def small(self, node: cst.CSTNode) -> None:
        kind = type(node)
        if kind is cst.Assign:
            taint = self.expr(node.value)
            for target in node.targets:
                self.bind(target.target, taint, node.value)
        elif kind is cst.Expr:
            self.expr(node.value)
        elif kind is cst.Return:
            if node.value is not None:
                taint = self.expr(node.value)
                # A returned tuple is destructured by callers, position by position:
                # its data is not every element's, so it is not summarised.
                if type(node.value) is not cst.Tuple:
                    self.returns = _limit(self.returns | taint)
        elif kind is cst.AnnAssign:
            if node.value is not None:
                self.bind(node.target, self.expr(node.value), node.value)
        elif kind is cst.AugAssign:
            taint = self.expr(node.value) | self.expr(node.target)
            self.bind(node.target, taint, None)
        elif kind is cst.Raise:
            if node.exc is not None:
                self.raise_(node.exc)
            if node.cause is not None:
                self.expr(node.cause)
        elif kind is cst.Assert:
            # Not a sink: assertion messages are for developers and tests, where
            # fixtures' fake personal data is the norm.
            self.expr(node.test)
            self.expr(node.msg)
        elif kind is cst.Del:
            for target in _del_targets(node.target):
                self.env.pop(target, None)

    def raise_(self, exc: cst.BaseExpression) -> None:
        if type(exc) is cst.Call:
            taint: Set[Datum] = set()
            for arg in exc.args:
                taint |= self.expr(arg.value)
            # Validation errors are shown back to the person who submitted the data.
            config = self.a.config
            if not config.is_user_facing(_last_name(exc.func) or "") and not config.is_validation_hook(self.qualname):
                self.exception_message(exc, frozenset(taint), _code(exc.func))
            self.expr(exc.func)
        else:
            self.expr(exc)

    def exception_message(self, node: cst.CSTNode, taint: Taint, spelled: str) -> None:
        spec = _RAISE_SPEC
        self.record_hit(spec, node, f"raise {spelled}" if spelled != "assert" else "assert", taint)

    # -- binding --------------------------------------------------------
    def bind(self, target: cst.BaseExpression, taint: Taint, value: Optional[cst.BaseExpression]) -> None:
        kind = type(target)
        if kind is cst.Name:
            name = target.value
            has_data = _has_data(taint)
            # Whether the value is known clean: asked once for both uses below (it does not
            # depend on the name's own binding, which changes in between).
            clean = value is not None and not has_data and self.is_clean(value)
            bound = self.bound_taint(name, taint, value, has_data, clean)
            self.env[name] = bound
            # As track_clean: `clean` implies the bound value carries no data.
            if clean:
                self.clean.add(name)
            else:
                self.clean.discard(name)
            model = self.model_of(value) if value is not None else None
            if model is not None:
                self.models[name] = model
            else:
                self.models.pop(name, None)
            self.track_kind(name, value)
            if value is not None:
                self.values[name] = value
            else:
                self.values.pop(name, None)
        elif kind in _SEQUENCE_TYPES:
            elements = [e.value for e in target.elements]
            if type(value) in _SEQUENCE_TYPES and len(value.elements) == len(elements):
                for element, source in zip(elements, value.elements):
                    self.bind(element, self.expr(source.value), source.value)
            else:
                for element in elements:
                    self.bind(element.value if type(element) is cst.StarredElement else element, taint, None)
        elif kind is cst.StarredElement:
            self.bind(target.value, taint, None)
        elif kind is cst.Attribute:
            key = dotted(target)
            if key is not None:
                self.env[key] = taint
                self.track_clean(key, taint, value)
                self.track_kind(key, value)
        elif kind is cst.Subscript:
            base = dotted(target.value)
            if base is not None:
                key_taint = EMPTY
                key = _constant_key(target)
                if key is not None and not _is_literal(value) and not self.is_clean(value):
                    key_taint = self.a.name_taint(key, self.a.subject_of(target.value, self.class_name), key)
                self.env[base] = _limit(self.env.get(base, EMPTY) | taint | key_taint)

    def bound_taint(
        self, name: str, taint: Taint, value: Optional[cst.BaseExpression], has_data: bool, clean: bool,
    ) -> Taint:
        """A variable carries what its value carries; its own name counts unless the value says otherwise.

        `has_data`: `_has_data(taint)`; `clean`: whether the value is known clean (when it has no data).
        """
        if has_data or (value is not None and (clean or _is_literal(value) or self.is_sanitised(value))):
            return taint
        return _limit(taint | self.a.name_taint(name, None, name))

    def track_clean(self, key: str, taint: Taint, value: Optional[cst.BaseExpression]) -> None:
        if value is not None and not _has_data(taint) and self.is_clean(value):
            self.clean.add(key)
        else:
            self.clean.discard(key)

    def model_of(self, value: cst.BaseExpression) -> Optional[str]:
        """The class of the object(s) a value holds, when the code names it.

        `Queue.objects.filter(...)`, `Student.query.get(1)`, `get_object_or_404(Ticket, ...)`,
        `session.query(User)...`, `Event(...)`; a name already known is its class.
        """
        node = value
        while True:
            kind = type(node)
            if kind is cst.Name:
                return self.models.get(node.value)
            if kind is cst.Attribute:
                if node.attr.value in ("objects", "query") and _is_class_name(node.value):
                    return node.value.value  # type: ignore[union-attr]
                node = node.value
                continue
            if kind is cst.Call:
                last = _last_name(node.func)
                first = node.args[0].value if node.args and node.args[0].keyword is None else None
                if last in ("get_object_or_404", "get_list_or_404", "query") and _is_class_name(first):
                    return first.value  # type: ignore[union-attr]
                if type(node.func) is cst.Name and _is_class_name(node.func):
                    return node.func.value
                node = node.func
                continue
            if kind is cst.Await:
                node = node.expression
                continue
            return None

    def owner_class(self, node: cst.BaseExpression) -> Optional[str]:
        if type(node) is cst.Name:
            if node.value in ("self", "cls"):
                return self.class_name
            return self.models.get(node.value)
        return None

    def owner_hint(self, node: cst.BaseExpression) -> Tuple[Optional[str], bool]:
        """Who owns the fields read from `node`, and whether it is a thing rather than a person.

        The object's own name first (`pupil` -> child); failing that, its class
        (`q = Queue.objects.get()`: a queue's fields; `s = Student(...)`: a child's).
        """
        hint = self.a.subject_of(node, self.class_name)
        if hint is not None:
            return hint, False
        cls = self.owner_class(node)
        if cls is None:
            return None, False
        subject = self.a.vocabulary.subject_of(cls)
        if subject is not None:
            return subject, False
        return None, self.a.vocabulary.is_thing(cls)

    def is_config_store(self, node: cst.BaseExpression) -> bool:
        """The service's own settings or configuration (`settings`, `app.config`, `os.environ`).

        Not when a person owns it: `user.settings`, `profile_config`, `self.settings` in `UserProfile`.
        """
        if type(node) is cst.Call:
            return False
        spelled = dotted(node)
        return spelled is not None and self.is_config_store_spelling(spelled)

    def is_config_store_spelling(self, spelled: str) -> bool:
        """`is_config_store` of the expression spelled `spelled` (a dotted name)."""
        if not self.a.config.is_configuration_name(spelled.rsplit(".", 1)[-1]):
            return False
        vocabulary = self.a.vocabulary
        for part in spelled.split("."):
            if part in ("self", "cls"):
                if self.class_name and vocabulary.owner_is_person(self.class_name):
                    return False
            elif vocabulary.owner_is_person(part):
                return False
        return True

    def is_aggregate(self, node: cst.Call, resolved: Optional[str] = None) -> bool:
        """A count or statistic over many rows: its fields are a group's, not a person's.

        `resolved`: `self.resolve(node.func) or dotted(node.func) or ""`, when the caller has it.
        """
        config = self.a.config
        func = node.func
        last = _last_name(func)
        func_kind = type(func)
        if func_kind is cst.Attribute and last in config.aggregate_methods:
            return True
        if resolved is None:
            resolved = self.resolve(func) or dotted(func) or ""
        if resolved in config.aggregate_functions or (func_kind is cst.Name and last in config.aggregate_functions):
            return True
        if last == "annotate" and func_kind is cst.Attribute:
            aggregates = config.aggregate_names
            if not any(type(a.value) is cst.Call and _last_name(a.value.func) in aggregates for a in node.args):
                return False
            receiver: cst.BaseExpression = func.value
            while type(receiver) in _CHAIN_TYPES:
                if type(receiver) is cst.Call:
                    if _last_name(receiver.func) in config.group_by_methods:
                        return True  # .values("gender").annotate(n=Count("id")): a GROUP BY
                    receiver = receiver.func
                else:
                    receiver = receiver.value
        return False

    def is_things_field(self, node: cst.Attribute) -> bool:
        """A field whose name says personal data, read from a thing (`course.lti_passports`, `queue.email`)."""
        attr = node.attr.value
        vocabulary = self.a.vocabulary
        match = vocabulary.classify(attr)
        if match.category is None:
            return False
        _, thing = self.owner_hint(node.value)
        if thing:
            return match.subject is None
        owner = _last_name(node.value) if type(node.value) in _NAME_TYPES else None
        if not owner or owner in ("self", "cls") or _is_constant_name(owner):
            return False
        combined = vocabulary.classify(f"{owner}_{attr}")
        return combined.category is None and bool(combined.excluded_by) and "not a person" in combined.excluded_by

    def is_clean(self, node: Optional[cst.BaseExpression]) -> bool:
        """A value known not to be anyone's personal data (when nothing personal flows into it).

        The service's configuration (`settings.X`, `site_settings.get("contact_email")`,
        `os.environ["ADMIN_EMAIL"]`, an attribute the constructor filled from its settings),
        anything read from such a value, aggregates over many people, and prose the program
        composed itself (`f"Course starts on {date}"`).
        """
        if node is None:
            return False
        kind = type(node)
        if kind is cst.Name:
            return node.value in self.clean or self.is_config_store_spelling(node.value)
        if kind is cst.Attribute:
            key = dotted(node)
            if key is not None and key in self.clean:
                return True
            if (
                key is not None and key not in self.env and type(node.value) is cst.Name
                and node.value.value == "self" and self.class_name
                and self.a.class_attr_clean.get(self.class_name, {}).get(node.attr.value, False)
            ):
                return True
            if (
                _is_constant_name(node.attr.value)
                or (key is not None and self.is_config_store_spelling(key))
                or self.is_clean(node.value)
            ):
                return True
            return self.is_things_field(node)
        if kind is cst.Subscript:
            key = _constant_key(node)
            if key is not None and _is_constant_name(key):
                return True  # params["EMAIL"], app.config["MAIL_FROM"]: a setting
            return self.is_clean(node.value)
        if kind is cst.Call:
            func = node.func
            resolved = self.resolve(func) or dotted(func) or ""
            if resolved in self.a.config.configuration_functions:
                return True
            func_kind = type(func)
            if func_kind is cst.Name and func.value == "getattr" and node.args:
                return self.is_clean(node.args[0].value)
            if self.is_aggregate(node, resolved):
                return True
            key = _string_value(node.args[0].value) if node.args else None
            if func_kind is cst.Attribute and func.attr.value in ("get", "pop", "getlist", "setdefault") \
                    and key is not None and _is_constant_name(key):
                return True  # params.pop("EMAIL"): a setting read by its configuration key
            if _is_prose(node):
                return True
            if func_kind is cst.Attribute:
                return self.is_clean(func.value)  # settings.get("x"), rows.order_by("n")
            return self.is_config_store(func)  # env("ADMIN_EMAIL")
        if kind is cst.Await:
            return self.is_clean(node.expression)
        if kind is cst.IfExp:  # `course.lti_passports if course else []`
            return self.clean_or_constant(node.body) and self.clean_or_constant(node.orelse)
        if kind is cst.BooleanOperation:  # `settings.get("x") or "default"`
            return self.clean_or_constant(node.left) and self.clean_or_constant(node.right)
        return _is_prose(node)

    def clean_or_constant(self, node: cst.BaseExpression) -> bool:
        if _is_literal(node) or (type(node) in _EMPTY_CONTAINER_TYPES and not node.elements):
            return True
        return self.is_clean(node)

    def track_kind(self, name: str, value: Optional[cst.BaseExpression]) -> None:
        kind = self.kind_of(value) if value is not None else None
        if kind is not None:
            self.kinds[name] = kind
        else:
            self.kinds.pop(name, None)

    def kind_of(self, value: cst.BaseExpression) -> Optional[str]:
        """What an object is, when it comes from an imported constructor or factory."""
        resolved = self.resolve(value)
        if resolved is None:
            return None
        # The head of some import's dotted name (which covers an import's whole name).
        if resolved.split(".", 1)[0].rstrip("()") in self.a.import_heads():
            return resolved
        return None

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """Dotted name of an expression through local object kinds, then imports."""
        if type(node) is cst.Name:  # the common case, without the dotted-prefix search
            name = node.value
            kind = self.kinds.get(name) or self.outer_kinds.get(name)
            if kind is None and name in self.a.module_kinds:
                kind = self.a.module_kinds[name]
            if kind is not None:
                return kind
            bindings = self.ctx.imports.bindings
            if name in self.env and name not in bindings:
                return name
            return bindings.get(name, name)
        spelled = dotted(node)
        if spelled is not None:
            # The longest dotted prefix (`a.b` of `a.b.c`) that names an object of a known
            # kind stands for that kind; the first name also through the enclosing
            # function's and the module's kinds.
            kinds = self.kinds
            end = len(spelled)
            dot = spelled.rfind(".")
            if kinds:
                while dot >= 0:
                    kind = kinds.get(spelled[:end])
                    if kind:
                        return kind + spelled[end:]
                    end = dot
                    dot = spelled.rfind(".", 0, end)
            else:
                end = spelled.find(".") if dot >= 0 else end
            first = spelled[:end]
            kind = kinds.get(first) or self.outer_kinds.get(first)
            if kind is None and first in self.a.module_kinds:
                kind = self.a.module_kinds[first]
            if kind is not None:
                return kind + spelled[end:]
            bindings = self.ctx.imports.bindings
            if first in self.env and first not in bindings:
                return spelled
            # What ImportTable.resolve gives for a dotted name: its first name through the imports.
            return bindings.get(first, first) + spelled[end:]
        kind = type(node)
        if kind is cst.Call:
            head = self.resolve(node.func)
            return None if head is None else f"{head}()"
        if kind is cst.Attribute:
            head = self.resolve(node.value)
            return None if head is None else f"{head}.{node.attr.value}"
        return None

    def resolve_member(self, node: cst.Attribute, receiver: Optional[str]) -> Optional[str]:
        """`resolve(node)` for `x.attr`, given `receiver`, `resolve(x)`: saves resolving `x` twice.

        Only a known kind of the whole dotted name comes before the receiver's resolution.
        """
        if self.kinds:
            spelled = dotted(node)
            if spelled is not None:
                kind = self.kinds.get(spelled)
                if kind:
                    return kind
        return None if receiver is None else f"{receiver}.{node.attr.value}"

    # -- expressions ----------------------------------------------------
    def expr(self, node: Optional[cst.BaseExpression]) -> Taint:
        if node is None:
            return EMPTY
        method = _EXPR_METHODS.get(type(node))  # the `expr_<NodeType>` method, filled in below the class
        if method is not None:
            return method(self, node)
        return EMPTY  # literals, lambdas and anything not modelled carry no data

    def expr_Name(self, node: cst.Name) -> Taint:
        name = node.value
        if name in self.env:
            return self.env[name]
        if name in self.a.module_env:
            return self.a.module_env[name]
        if name in ("self", "cls", "None", "True", "False") or self.ctx.imports.is_imported(name):
            return EMPTY
        return self.a.name_taint(name, None, name)

    def expr_Attribute(self, node: cst.Attribute) -> Taint:
        key = dotted(node)
        if key is not None and key in self.env:
            return self.env[key]
        base_taint = self.expr(node.value)
        attr = node.attr.value
        if self.is_payload(node):
            return frozenset({Datum("request payload", "payload", "high", "", _code(node))})
        if attr in self.a.config.request_query_attributes and self.is_request(node.value):
            return frozenset({Datum("query string", "query", "low", "", _code(node))})
        if attr in self.a.config.dump_attributes:
            return self.dump(node.value, base_taint)
        if _is_constant_name(attr) or _is_dunder(attr):
            return EMPTY
        if type(node.value) is cst.Name and node.value.value == "self" and self.class_name:
            # What earlier methods of the class bound to `self.<attr>`.
            stored = self.a.class_attr_data.get(self.class_name, {}).get(attr)
            if stored:
                return stored
        # Whether the attribute is known clean matters only when its name says personal
        # data, which most do not: that is asked first (both questions only read state).
        hint, thing = self.owner_hint(node.value)
        own = self.a.name_taint(attr, hint, node, node.value, thing)
        if not own or self.is_clean(node):
            return EMPTY
        return own

    def expr_Subscript(self, node: cst.Subscript) -> Taint:
        base_taint = self.expr(node.value)
        for element in node.slice:
            if type(element.slice) is cst.Index:
                self.expr(element.slice.value)
        key = _constant_key(node)
        if key is not None:
            hint, thing = self.owner_hint(node.value)
            if base_taint and any(d.category in PAYLOAD_CATEGORIES for d in base_taint):
                hint = hint or "person"
            own = self.a.name_taint(key, hint, node, node.value, thing)
            if not own or (not _has_data(base_taint) and self.is_clean(node.value)):
                return EMPTY  # not a personal field; or a setting, or a group's key in an aggregate row
            return own
        if _is_initial(node) and base_taint and all(d.category == "name" for d in base_taint if d.param < 0):
            # One letter of a name (an avatar's initial) does not identify anyone.
            return frozenset(d for d in base_taint if d.param >= 0)
        # A computed key reads one unknown field: not the whole payload.
        return EMPTY if _only_payload(base_taint) else base_taint

    def expr_Call(self, node: cst.Call) -> Taint:
        args: List[Tuple[Optional[int], Optional[str], Taint]] = []
        position = 0
        for arg in node.args:
            taint = self.expr(arg.value)
            if arg.keyword is not None:
                keyword = arg.keyword.value
                if not _has_data(taint):
                    # The keyword names the data unless the value says otherwise (asked only when it matters).
                    own = self.a.name_taint(keyword, None, keyword)
                    if (own or len(taint) > MAX_DATA) and not _is_literal(arg.value) \
                            and not self.is_sanitised(arg.value) and not self.is_clean(arg.value):
                        taint = _limit(taint | own)
                args.append((None, keyword, taint))
            elif arg.star == "**":
                args.append((None, "**", taint))  # binds the parameters not already bound
            elif arg.star:
                args.append((None, None, taint))
            else:
                args.append((position, None, taint))
                position += 1
        func = node.func
        if type(func) is cst.Attribute:
            receiver_taint = self.expr(func.value)
            receiver = self.resolve(func.value)
            resolved = self.resolve_member(func, receiver)
            method: Optional[str] = func.attr.value
            receiver_name = _last_name(func.value)
        else:
            receiver_taint = EMPTY
            resolved = self.resolve(func)
            method = receiver = receiver_name = None
        spec = self.a.sinks.match(resolved, receiver, receiver_name, method, self.a.starts_at_import)
        spelled = _code(func)
        if method in _MUTATORS and type(func.value) is cst.Name and func.value.value in self.env:
            # `props.setdefault("school", user.school)`, `fields.append(email)`: the container now holds it.
            added = [t for pos, _, t in args if not (method == "setdefault" and pos == 0)]
            name = func.value.value
            self.env[name] = _limit(self.env[name].union(*added)) if added else self.env[name]
        if spec is not None:
            carried: Set[Datum] = set()
            for (pos, keyword, taint), arg in zip(args, node.args):
                is_url = bool(spec.url_argument) and (pos in spec.url_argument or keyword in spec.url_argument)
                if is_url:
                    # `requests.get(avatar_url)` fetches a URL; only data built into it is sent.
                    own = _code(arg.value)
                    taint = frozenset(d for d in taint if d.origin != own)
                if spec.carries(pos, keyword) or is_url:
                    carried |= taint
            if spec.family == "http":
                # `data=urlencode(form)`: a form-encoded body, not a URL; the request is the sink.
                for (pos, keyword, _), arg in zip(args, node.args):
                    is_url = bool(spec.url_argument) and (pos in spec.url_argument or keyword in spec.url_argument)
                    if not is_url:
                        self.a.drop_hits(_encoder_calls(arg.value), "url")
                if self.internal_url(node, spec):
                    carried = set()
                else:
                    # A request to an analytics or ad endpoint, or with an ad-request body, is that sink.
                    spec = self.a.sinks.retarget(spec, node, self.values.get, self.a.module_strings())
            if self.console_is_output and resolved in self.a.config.console_sinks:
                carried = set()  # a command's console output goes to the operator who ran it
            self.a.note_sink_call(SinkCall(spec, node, spelled, self.qualname))
            self.record_hit(spec, node, spelled, frozenset(carried))
        callee = resolved or spelled
        if spec is None:
            self.a.note_other_call(node, callee, spelled, self.qualname)
        if any(t for _, _, t in args):
            self.a.calls.append(CallSite(node, callee, spelled, tuple(args), self.qualname))
        return self.call_result(node, func, resolved, method, receiver_taint, args)

    def call_result(self, node, func, resolved, method, receiver_taint, args) -> Taint:
        last_name = _last_name(func)  # the method's name when there is one
        # The call hashes, masks or counts: the callee's name, or a part of its resolved name, says so.
        if (last_name and self.a.vocabulary.is_sanitizer(last_name)) or (
            resolved and self.a.sanitising_callee(resolved)
        ):
            return EMPTY
        config = self.a.config
        func_kind = type(func)
        if func_kind is cst.Attribute and method in config.request_methods and self.is_request(func.value):
            return frozenset({Datum("request payload", "payload", "high", "", _code(node))})
        if resolved in config.dump_functions or last_name in config.dump_functions:
            if node.args:
                return self.dump(node.args[0].value, args[0][2] if args else EMPTY)
        if method is not None and method in config.dump_methods:
            return self.dump(func.value, receiver_taint)
        if method in ("get", "getlist", "pop", "setdefault") and node.args:
            key = _string_value(node.args[0].value)
            if key is not None:
                hint, thing = self.owner_hint(func.value)
                if receiver_taint and any(d.category in PAYLOAD_CATEGORIES for d in receiver_taint):
                    hint = hint or "person"
                # A field read by a constant key is that field, whatever else the object holds.
                own = self.a.name_taint(key, hint, node, func.value, thing)
                if not own or (
                    not _has_data(receiver_taint) and (_is_constant_name(key) or self.is_clean(func.value))
                ):
                    return EMPTY  # not a personal field; or a setting, or a group's key in an aggregate row
                return own
            elif _only_payload(receiver_taint):
                return EMPTY
        if resolved in config.propagating_functions:
            return _limit(_arguments_taint(args))
        if method is not None and method in config.propagating_methods:
            if method in ("get", "getlist", "pop", "setdefault"):
                # A lookup returns a stored value or its default: never its key or options.
                default = args[1][2] if len(args) > 1 and args[1][0] == 1 else EMPTY
                return _limit(receiver_taint | default)
            return _limit(receiver_taint | _arguments_taint(args))
        # A function named for personal data returns it: get_email(), full_name().
        last = method or last_name
        if last and last.startswith(("get_", "get")):
            hint = self.a.subject_of(func.value, self.class_name) if func_kind is cst.Attribute else None
            return self.a.name_taint(last, hint, node)
        local = self.a.local_function(resolved or "") if resolved else None
        if local is not None and local.returns:
            return frozenset(d for d in local.returns if d.param < 0)
        return EMPTY

    def dump(self, target: cst.BaseExpression, taint: Taint) -> Taint:
        subject = self.a.subject_of(target, self.class_name)
        if subject in ("child", "person") or _has_data(frozenset(d for d in taint if d.category != "query")):
            return frozenset(
                {Datum(f"every field of {_code(target)}", "record", "high", subject or "", _code(target))}
            )
        return taint

    def expr_FormattedString(self, node: cst.FormattedString) -> Taint:
        out: Set[Datum] = set()
        for part in node.parts:
            if type(part) is cst.FormattedStringExpression:
                out |= self.expr(part.expression)
        return _limit(out)

    def expr_ConcatenatedString(self, node: cst.ConcatenatedString) -> Taint:
        return _limit(self.expr(node.left) | self.expr(node.right))

    def expr_BinaryOperation(self, node: cst.BinaryOperation) -> Taint:
        return _limit(self.expr(node.left) | self.expr(node.right))

    def expr_BooleanOperation(self, node: cst.BooleanOperation) -> Taint:
        return _limit(self.expr(node.left) | self.expr(node.right))

    def expr_Comparison(self, node: cst.Comparison) -> Taint:
        self.expr(node.left)
        for target in node.comparisons:
            self.expr(target.comparator)
        return EMPTY

    def expr_UnaryOperation(self, node: cst.UnaryOperation) -> Taint:
        taint = self.expr(node.expression)
        return EMPTY if type(node.operator) is cst.Not else taint

    def expr_IfExp(self, node: cst.IfExp) -> Taint:
        self.expr(node.test)
        return _limit(self.expr(node.body) | self.expr(node.orelse))

    def expr_Await(self, node: cst.Await) -> Taint:
        return self.expr(node.expression)

    def expr_NamedExpr(self, node: cst.NamedExpr) -> Taint:
        taint = self.expr(node.value)
        self.bind(node.target, taint, node.value)
        return taint

    def expr_Tuple(self, node) -> Taint:
        out: Set[Datum] = set()
        for element in node.elements:
            out |= self.expr(element.value)
        return _limit(out)

    expr_List = expr_Tuple
    expr_Set = expr_Tuple

    def expr_Dict(self, node: cst.Dict) -> Taint:
        out: Set[Datum] = set()
        for element in node.elements:
            if type(element) is cst.DictElement:
                value_taint = self.expr(element.value)
                self.expr(element.key)
                key = _string_value(element.key)
                if key is not None and not _has_data(value_taint):
                    # The key names the data unless the value says otherwise (asked only when it matters).
                    own = self.a.name_taint(key, None, key)
                    if own and not _is_literal(element.value) and not self.is_sanitised(element.value) \
                            and not self.is_clean(element.value):
                        value_taint = value_taint | own
                out |= value_taint
            else:
                out |= self.expr(element.value)
        return _limit(out)

    def comprehension(self, node, *results: cst.BaseExpression) -> Taint:
        saved = dict(self.env)
        saved_clean, saved_models, saved_values = set(self.clean), dict(self.models), dict(self.values)
        for_in = node.for_in
        while for_in is not None:
            self.bind(for_in.target, self.expr(for_in.iter), for_in.iter)
            for condition in for_in.ifs:
                self.expr(condition.test)
            for_in = for_in.inner_for_in
        out: Set[Datum] = set()
        for result in results:
            out |= self.expr(result)
        self.env = saved
        self.clean, self.models, self.values = saved_clean, saved_models, saved_values
        return _limit(out)

    def expr_ListComp(self, node) -> Taint:
        return self.comprehension(node, node.elt)

    expr_SetComp = expr_ListComp
    expr_GeneratorExp = expr_ListComp

    def expr_DictComp(self, node) -> Taint:
        return self.comprehension(node, node.key, node.value)

    def expr_StarredElement(self, node) -> Taint:
        return self.expr(node.value)

    def expr_Yield(self, node: cst.Yield) -> Taint:
        value = node.value
        taint = self.expr(value) if _IS_EXPRESSION[type(value)] else EMPTY
        self.returns = _limit(self.returns | taint)
        return EMPTY

    def expr_Lambda(self, node: cst.Lambda) -> Taint:
        return EMPTY

    # -- predicates -----------------------------------------------------
    def is_request(self, node: cst.BaseExpression) -> bool:
        spelled = dotted(node)
        if spelled is None:
            return False
        resolved = self.ctx.imports.resolve(node) or spelled
        receivers = self.a.config.request_receivers
        return spelled in receivers or resolved in receivers or spelled.endswith(".request")

    def is_payload(self, node: cst.Attribute) -> bool:
        attr = node.attr.value
        if attr in self.a.config.payload_attributes:
            return True
        return attr in self.a.config.request_attributes and self.is_request(node.value)

    def is_sanitised(self, node: cst.BaseExpression) -> bool:
        """A call that hashes, masks, counts or tests its input (anywhere in a call chain)."""
        while True:
            kind = type(node)
            if kind is cst.Await:
                node = node.expression
            elif kind is cst.Call:
                name = _last_name(node.func)
                if name and self.a.vocabulary.is_sanitizer(name):
                    return True
                resolved = self.resolve(node.func)
                if resolved and self.a.sanitising_chain(resolved):
                    return True
                node = node.func
            elif kind is cst.Attribute:
                node = node.value
            else:
                return kind is cst.Comparison

    def internal_url(self, node: cst.Call, spec: SinkSpec) -> bool:
        """A request to a literal local or relative URL is not a third party."""
        url = None
        for index, arg in enumerate(node.args):
            if arg.keyword is not None and arg.keyword.value in [k for k in spec.url_argument if type(k) is str]:
                url = arg.value
            elif arg.keyword is None and index in spec.url_argument:
                url = arg.value
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        if _last_name(node.func) == "request" and len(positional) > 1 and url is positional[0]:
            url = positional[1]  # request(method, url, ...)
        text = self.url_text(url) if url is not None else None
        if text is None:
            return False
        lowered = text.lower()
        if lowered.startswith("/"):
            return True
        if "://" not in lowered:
            return False
        host = lowered.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        if host and "." not in host and not host.startswith("["):
            return True  # a single-label name (`http://forum:4567`): a service on the local network
        return host in ("localhost", "127.0.0.1", "0.0.0.0", "[::1]") or host.endswith(
            (".internal", ".local", ".localhost", ".svc", ".cluster.local")
        )

    def url_text(self, node: cst.BaseExpression, depth: int = 0) -> Optional[str]:
        """The literal start of a URL, through a variable it was built from.

        `url = f"{service_url}/api"` with `service_url = getattr(settings, "X", "http://forum:4567")`:
        the configured default says where the service is meant to run.
        """
        text = _leading_literal(node)
        if text is not None or depth > 2:
            return text
        head: Optional[cst.BaseExpression] = None
        kind = type(node)
        if kind is cst.FormattedString and node.parts and type(node.parts[0]) is cst.FormattedStringExpression:
            head = node.parts[0].expression
        elif kind is cst.BinaryOperation:
            head = node.left
        elif kind is cst.Name:
            head = node
        if type(head) is not cst.Name:
            return None
        value = self.values.get(head.value)
        if type(value) is cst.Call:
            name = _last_name(value.func)
            if name == "getattr" and len(value.args) >= 3:
                value = value.args[2].value
            elif name == "get" and len(value.args) >= 2 and self.is_clean(value):
                value = value.args[1].value
            else:
                return None
        return self.url_text(value, depth + 1) if value is not None and value is not node else None

    # -- results --------------------------------------------------------
    def record_hit(self, spec: SinkSpec, node: cst.CSTNode, spelled: str, taint: Taint) -> None:
        personal = tuple(sorted(d for d in taint if d.param < 0))
        if personal:
            self.a.add_hit(SinkHit(spec, node, spelled, personal, self.qualname))
        for marker in sorted(d for d in taint if d.param >= 0):
            summary = ParamSink(
                marker.param, marker.origin, spec.family, spec.id, spelled, marker.category, marker.named
            )
            if summary not in self.param_sinks:
                self.param_sinks.append(summary)


# `_Walker.expr_<NodeType>` by node type, for `_Walker.expr` (one dict lookup per expression).
_EXPR_METHODS: Dict[type, Callable[["_Walker", cst.CSTNode], Taint]] = {
    getattr(cst, name[len("expr_"):]): method
    for name, method in vars(_Walker).items()
    if name.startswith("expr_") and hasattr(cst, name[len("expr_"):])
}
_IS_EXPRESSION = TypeTest((cst.BaseExpression,))

# Methods that put their arguments into the container they are called on.
_MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft", "extendleft"})

_RAISE_SPEC = SinkSpec(
    id="raise", family="exception", label="an exception message", functions=frozenset(), receivers=(),
    receiver_words=frozenset(), methods=frozenset(), data="all", skip_keywords=frozenset(), url_argument=(),
)


def _arguments_taint(args: Sequence[Tuple[Optional[int], Optional[str], Taint]]) -> Set[Datum]:
    """Everything a call's arguments carry."""
    out: Set[Datum] = set()
    for _, _, taint in args:
        out |= taint
    return out


def _has_data(taint: Taint) -> bool:
    """Whether a value carries real personal data (not just "whatever parameter N is")."""
    for datum in taint:
        if datum.param < 0:
            return True
    return False


PAYLOAD_CATEGORIES = frozenset({"payload", "record", "query"})


def _only_payload(taint: Taint) -> bool:
    return bool(taint) and all(d.category in PAYLOAD_CATEGORIES for d in taint)


def _is_literal(node: Optional[cst.BaseExpression]) -> bool:
    kind = type(node)
    if kind in _LITERAL_TYPES:
        return True
    return kind is cst.Name and node.value in ("None", "True", "False")


_string_value = string_value



def _is_initial(node: cst.Subscript) -> bool:
    """`name[0]`, `name[-1]` or `name[:1]`: a single character."""
    if len(node.slice) != 1:
        return False
    element = node.slice[0].slice
    if type(element) is cst.Index:
        value = element.value
        if type(value) is cst.UnaryOperation and type(value.operator) is cst.Minus:
            value = value.expression
            return type(value) is cst.Integer and value.value == "1"
        return type(value) is cst.Integer and value.value == "0"
    if type(element) is cst.Slice:
        lower_ok = element.lower is None or (type(element.lower) is cst.Integer and element.lower.value == "0")
        upper = element.upper
        return lower_ok and type(upper) is cst.Integer and upper.value == "1" and element.step is None
    return False


def _encoder_calls(node: cst.BaseExpression) -> List[cst.Call]:
    """`urlencode(d)` calls an argument is made of (`urlencode(d).encode("utf-8")` too)."""
    found: List[cst.Call] = []
    while type(node) in _CHAIN_TYPES:
        if type(node) is cst.Call:
            if _last_name(node.func) == "urlencode":
                found.append(node)
                break
            node = node.func
        else:
            node = node.value
    return found


def _is_dunder(name: str) -> bool:
    """`__name__`, `__module__`: Python's own metadata about an object, never a person's data."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _is_class_name(node: Optional[cst.BaseExpression]) -> bool:
    """A CapWords name (`Queue`, `StudentProfile`), not a CONSTANT."""
    return (
        type(node) is cst.Name and node.value[:1].isupper() and not _is_constant_name(node.value)
        and any(c.islower() for c in node.value)
    )


def _has_prose(text: str) -> bool:
    return any(c.isspace() for c in text.strip()) and any(c.isalpha() for c in text)


def _is_prose(node: cst.BaseExpression) -> bool:
    """A string the program composes from its own words (`f"Course starts on {date}"`).

    Only a template with words and spaces counts: `f"{local}@{domain}"` builds data.
    """
    kind = type(node)
    if kind is cst.FormattedString:
        return any(type(p) is cst.FormattedStringText and _has_prose(p.value) for p in node.parts)
    if kind is cst.ConcatenatedString:
        return _is_prose(node.left) or _is_prose(node.right)
    if kind is cst.SimpleString:
        value = _string_value(node)
        return value is not None and _has_prose(value)
    if kind is cst.BinaryOperation:
        operator = type(node.operator)
        if operator is cst.Modulo or operator is cst.Add:
            return _is_prose(node.left) or (operator is cst.Add and _is_prose(node.right))
        return False
    if kind is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value == "format":
        return _is_prose(node.func.value)
    return False


def _constant_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) != 1:
        return None
    element = node.slice[0].slice
    if type(element) is cst.Index:
        return _string_value(element.value)
    return None


def _leading_literal(node: cst.BaseExpression) -> Optional[str]:
    kind = type(node)
    if kind is cst.SimpleString:
        return _string_value(node)
    if kind is cst.FormattedString:
        first = node.parts[0] if node.parts else None
        if type(first) is cst.FormattedStringText:
            return first.value
    if kind is cst.BinaryOperation:
        return _leading_literal(node.left)
    return None


def _last_name(node: cst.BaseExpression) -> Optional[str]:
    """The last name of `a.b.c` or `a.b.c(...)(...)`: `c`."""
    kind = type(node)
    while kind is cst.Call:
        node = node.func
        kind = type(node)
    if kind is cst.Name:
        return node.value
    if kind is cst.Attribute:
        return node.attr.value
    return None


def _del_targets(node: cst.BaseExpression) -> List[str]:
    if type(node) in _SEQUENCE_TYPES:
        out: List[str] = []
        for element in node.elements:
            out.extend(_del_targets(element.value))
        return out
    name = dotted(node)
    return [name] if name else []


def module_name(path: str) -> str:
    """Dotted module name of a display path: `app/utils.py` -> `app.utils`."""
    text = path.replace("\\", "/")
    for suffix in (".pyi", ".py"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    parts = [p for p in text.split("/") if p and p not in (".", "..")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def absolute_callee(callee: str, module: str, is_package: bool = False) -> str:
    """Resolve a relative dotted name (`.utils.audit`) against the calling module."""
    if not callee.startswith("."):
        return callee
    dots = len(callee) - len(callee.lstrip("."))
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if dots > 1:
        base = base[: len(base) - (dots - 1)] if dots - 1 <= len(base) else []
    rest = callee[dots:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def _may_be_project_call(call: CallSite, ctx) -> bool:
    """A call that could land in the project's own code (not a builtin or an attribute of data)."""
    if call.callee.startswith("."):
        return True
    if "(" in call.callee:
        return False
    return ctx.imports.is_imported(call.spelled.split(".", 1)[0])


def _is_command_module(path: str, markers: Sequence[str]) -> bool:
    """A module of a command-line tool: under `management/commands/`, a `cli` package or `cli.py`."""
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return False
    stem = parts[-1].rsplit(".", 1)[0]
    joined = "/" + "/".join(parts[:-1]) + "/"
    return stem in ("cli", "__main__") or "cli" in parts[:-1] or any(f"/{m.strip('/')}/" in joined for m in markers)
