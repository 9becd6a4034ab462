"""The reasons a user can pick when reporting something, as the code declares them.

A reason list is only taken to be one when the code says so in two ways at
once (vocabulary in `data/reports.toml`):

* where it lives: the `choices`, `Enum(...)`, `Literal[...]` or enum type of a
  reason-like field (`reason`, `category`, `abuse_type`) of a class that holds
  reports (`Report`, `CommentFlag`, `AbuseReportForm`, `ComplaintIn`); a
  constant or enum defined inside such a class; or a constant or enum whose
  own name says it (`REPORT_REASONS`, `FlagReason`, `AbuseCategory`);
* what it holds: at least two entries, one of which names a kind of harm
  (spam, harassment, hate, nudity...). An analytics `ReportType` of daily and
  weekly, or a bug report's `category` of ui and crash, never qualifies.

Entries are read from literals only: tuples and lists of values or of
`(value, label)` pairs (labels through `_()`/`gettext_lazy()`), grouped
Django choices, dicts, and enum members (their names, values and labels).
Lists built at run time or loaded from settings are not followed. Each entry
is the words of its member name, value and label together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from ..literals import string_value
from ..data_files import load_data
from ..imports import dotted
from .features import contains_phrase, words

Words = Tuple[str, ...]


@dataclass(frozen=True)
class ReasonVocabulary:
    container_nouns: frozenset
    list_words: frozenset
    exclude_words: frozenset
    enum_bases: frozenset
    label_calls: frozenset
    abuse: Tuple[Words, ...]
    child_safety: Tuple[Words, ...]
    other: Tuple[Words, ...]

    def is_container(self, name: str) -> bool:
        return any(w in self.container_nouns for w in words(name))

    def is_reason_name(self, name: str) -> bool:
        """A field or constant name that holds a reason (`reason`, `REASON_CHOICES`, `abuse_type`)."""
        w = words(name)
        return any(x in self.list_words for x in w) and not any(x in self.exclude_words for x in w)

    def is_named_list(self, name: str) -> bool:
        """A constant or enum named for report reasons wherever it is (`REPORT_REASONS`, `FlagReason`)."""
        return self.is_container(name) and self.is_reason_name(name)

    @staticmethod
    def _has(entry: Words, phrases: Sequence[Words]) -> bool:
        return any(contains_phrase(entry, p) for p in phrases)

    def is_abuse(self, entry: Words) -> bool:
        return self._has(entry, self.abuse)

    def is_child_safety(self, entry: Words) -> bool:
        return self._has(entry, self.child_safety)

    def is_other(self, entry: Words) -> bool:
        return self._has(entry, self.other) and not self.is_abuse(entry)


@lru_cache(maxsize=1)
def reason_vocabulary() -> ReasonVocabulary:
    data = load_data("reports.toml")["reasons"]

    def phrases(items) -> Tuple[Words, ...]:
        return tuple(w for w in (words(i) for i in items) if w)

    return ReasonVocabulary(
        container_nouns=frozenset(data["container-nouns"]),
        list_words=frozenset(data["list-words"]),
        exclude_words=frozenset(data["exclude-words"]),
        enum_bases=frozenset(data["enum-bases"]),
        label_calls=frozenset(data["label-calls"]),
        abuse=phrases(data["abuse-phrases"]),
        child_safety=phrases(data["child-safety-phrases"]),
        other=phrases(data["other-phrases"]),
    )


@dataclass
class ReasonList:
    """One list of report reasons: where it is defined, what holds it, its entries."""

    name: str  # how the code names it: `REPORT_REASONS`, `ReportReason`, `CommentFlag.reason`
    node: cst.CSTNode  # the anchor: the constant's name, the enum's class name, or the field
    entries: List[Words]
    shown: List[str]  # entries as the code spells them (values, or member names)
    holder: str = ""  # the report class whose field uses it, if known

    def missing_child_safety(self, vocabulary: ReasonVocabulary) -> bool:
        if len(self.entries) < 2:
            return False
        if not any(vocabulary.is_abuse(e) for e in self.entries):
            return False
        return not any(vocabulary.is_child_safety(e) for e in self.entries)


# -- reading literals ------------------------------------------------------------------


def _string(node: Optional[cst.BaseExpression], vocabulary: ReasonVocabulary) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        return string_value(node)
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string(node.left, vocabulary), _string(node.right, vocabulary)
        return left + right if left is not None and right is not None else None
    if isinstance(node, cst.Call) and node.args:
        callee = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if callee in vocabulary.label_calls:
            contextual = callee.startswith(("pgettext", "lazy_pgettext"))  # pgettext(context, message)
            return _string(node.args[-1].value if contextual else node.args[0].value, vocabulary)
    return None


def _scalar(node: cst.BaseExpression, vocabulary: ReasonVocabulary) -> Optional[str]:
    text = _string(node, vocabulary)
    if text is not None:
        return text
    if isinstance(node, cst.Integer):
        return ""  # a number says nothing, but is an entry
    spelled = dotted(node)
    if spelled is not None:  # `Reason.SPAM` as a value
        return spelled.rsplit(".", 1)[-1]
    return None


def _elements(node: cst.BaseExpression) -> Optional[List[cst.BaseExpression]]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [e.value for e in node.elements if isinstance(e, cst.Element)]
    return None


def literal_entries(node: cst.BaseExpression, vocabulary: ReasonVocabulary) -> Optional[List[Tuple[Words, str]]]:
    """(words, shown) of each entry of a literal list of choices, or None if it is not one."""
    out: List[Tuple[Words, str]] = []
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                return None
            key, label = _scalar(element.key, vocabulary), _string(element.value, vocabulary)
            if key is None:
                return None
            out.append((words(key) + words(label or ""), key))
        return out
    items = _elements(node)
    if items is None:
        return None
    for item in items:
        pair = _elements(item)
        if pair is None:
            text = _scalar(item, vocabulary)
            if text is None:
                return None
            out.append((words(text), text))
            continue
        if len(pair) != 2:
            return None
        group = _elements(pair[1])
        if group is not None:  # Django grouped choices: ("Group", ((value, label), ...))
            nested = literal_entries(pair[1], vocabulary)
            if nested is None:
                return None
            out.extend(nested)
            continue
        value, label = _scalar(pair[0], vocabulary), _scalar(pair[1], vocabulary)
        if value is None:
            return None
        out.append((words(value) + words(label or ""), value or (label or "")))
    return out


def enum_entries(node: cst.ClassDef, vocabulary: ReasonVocabulary) -> List[Tuple[Words, str]]:
    """Members of an Enum or Django choices class: the member name, its value and label."""
    out: List[Tuple[Words, str]] = []
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)):
                continue
            member = small.targets[0].target.value
            if member.startswith("_"):
                continue
            extra: Words = ()
            parts = _elements(small.value) or [small.value]
            for part in parts:
                text = _scalar(part, vocabulary)
                if text:
                    extra += words(text)
            out.append((words(member) + extra, member))
    return out


def is_enum(node: cst.ClassDef, vocabulary: ReasonVocabulary) -> bool:
    for base in node.bases:
        spelled = dotted(base.value) or ""
        if spelled.rsplit(".", 1)[-1] in vocabulary.enum_bases:
            return True
    return False


# -- finding the lists ----------------------------------------------------------------


def _class_body(node: cst.ClassDef) -> Sequence[cst.BaseStatement]:
    return node.body.body if isinstance(node.body, cst.IndentedBlock) else ()


Assignment = Tuple[str, cst.Name, Optional[cst.BaseExpression], Optional[cst.Annotation]]


def _assignments(body: Sequence[cst.BaseStatement]) -> Iterator[Assignment]:
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                    and isinstance(small.targets[0].target, cst.Name):
                target = small.targets[0].target
                yield target.value, target, small.value, None
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                yield small.target.value, small.target, small.value, small.annotation


class _Scope:
    """Constants and enums visible from a class body: its own, then the module's."""

    def __init__(self, vocabulary: ReasonVocabulary, parent: Optional["_Scope"] = None) -> None:
        self.vocabulary = vocabulary
        self.parent = parent
        self.constants: Dict[str, Tuple[cst.Name, cst.BaseExpression]] = {}
        self.enums: Dict[str, cst.ClassDef] = {}

    def fill(self, body: Sequence[cst.BaseStatement]) -> None:
        for name, target, value, _ in _assignments(body):
            if value is not None:
                self.constants[name] = (target, value)
        for statement in body:
            if isinstance(statement, cst.ClassDef) and is_enum(statement, self.vocabulary):
                self.enums[statement.name.value] = statement

    def constant(self, name: str):
        scope: Optional[_Scope] = self
        while scope is not None:
            if name in scope.constants:
                return scope.constants[name]
            scope = scope.parent
        return None

    def enum(self, name: str) -> Optional[cst.ClassDef]:
        scope: Optional[_Scope] = self
        while scope is not None:
            if name in scope.enums:
                return scope.enums[name]
            scope = scope.parent
        return None


def find_reason_lists(module: cst.Module, vocabulary: Optional[ReasonVocabulary] = None) -> List[ReasonList]:
    """Every list of report reasons the file declares (see the module docstring)."""
    v = vocabulary or reason_vocabulary()
    found: Dict[int, ReasonList] = {}
    top = _Scope(v)
    top.fill(module.body)

    def add(name: str, anchor: cst.CSTNode, key: cst.CSTNode, entries, holder: str = "") -> None:
        if entries is None or id(key) in found:
            if entries is not None and holder and not found[id(key)].holder:
                found[id(key)].holder = holder
            return
        found[id(key)] = ReasonList(name, anchor, [e for e, _ in entries], [s for _, s in entries], holder)

    def from_constant(scope: _Scope, name: str, holder: str = "") -> bool:
        hit = scope.constant(name)
        if hit is None:
            return False
        target, value = hit
        add(name, target, value, literal_entries(value, v), holder)
        return True

    def from_enum(scope: _Scope, name: str, holder: str = "") -> bool:
        enum = scope.enum(name)
        if enum is None:
            return False
        add(name, enum.name, enum, enum_entries(enum, v), holder)
        return True

    def from_expression(scope: _Scope, expr: cst.BaseExpression, field_name: str, holder: str,
                        anchor: cst.CSTNode) -> None:
        """What a reason field's choices, Enum(...) argument or annotation names."""
        entries = literal_entries(expr, v)
        if entries is not None:
            add(f"{holder}.{field_name}", anchor, expr, entries, holder)
            return
        spelled = dotted(expr)
        if spelled is not None:
            head = spelled.split(".", 1)[0]
            if spelled.endswith(".choices") or spelled.count(".") == 0:
                if from_enum(scope, head, holder) or from_constant(scope, head, holder):
                    return
            return
        if isinstance(expr, cst.Call):
            callee = (dotted(expr.func) or "").rsplit(".", 1)[-1]
            if callee == "Enum":  # SQLAlchemy Enum("spam", "abuse", name=...) or Enum(ReasonEnum)
                positional = [a.value for a in expr.args if a.keyword is None]
                if len(positional) == 1 and dotted(positional[0]) is not None:
                    from_expression(scope, positional[0], field_name, holder, anchor)
                elif positional:
                    add(f"{holder}.{field_name}", anchor, expr, literal_entries(cst.Tuple(
                        [cst.Element(p) for p in positional]), v), holder)
                return
            for arg in expr.args:
                if arg.keyword is not None and arg.keyword.value == "choices":
                    from_expression(scope, arg.value, field_name, holder, anchor)
                    return
            for arg in expr.args:  # Column(Enum(...)), mapped_column(sa.Enum(...))
                if arg.keyword is None and isinstance(arg.value, cst.Call) and \
                        (dotted(arg.value.func) or "").rsplit(".", 1)[-1] == "Enum":
                    from_expression(scope, arg.value, field_name, holder, anchor)
                    return

    def from_annotation(scope: _Scope, annotation: cst.Annotation, field_name: str, holder: str,
                        anchor: cst.CSTNode) -> None:
        expr = annotation.annotation
        # Optional[Literal[...]], Mapped[ReasonEnum], Annotated[Literal[...], ...]
        while isinstance(expr, cst.Subscript) and (dotted(expr.value) or "").rsplit(".", 1)[-1] in (
                "Optional", "Mapped", "List", "list", "Set", "set", "Annotated"):
            inner = expr.slice[0].slice
            if not isinstance(inner, cst.Index):
                return
            expr = inner.value
        if isinstance(expr, cst.Subscript) and (dotted(expr.value) or "").rsplit(".", 1)[-1] == "Literal":
            values = [e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index)]
            add(f"{holder}.{field_name}", anchor, expr, literal_entries(cst.Tuple([cst.Element(x) for x in values]), v),
                holder)
        elif dotted(expr) is not None:
            from_enum(scope, dotted(expr).rsplit(".", 1)[-1], holder)

    def visit_class(node: cst.ClassDef, parent: _Scope, container: bool) -> None:
        name = node.name.value
        scope = _Scope(v, parent)
        body = _class_body(node)
        scope.fill(body)
        if is_enum(node, v):
            if v.is_named_list(name) or (container and v.is_reason_name(name)):
                add(name, node.name, node, enum_entries(node, v))
            return
        holds = v.is_container(name)
        for field_name, target, value, annotation in _assignments(body):
            if field_name.isupper() or field_name[:1].isupper():
                if value is not None and (v.is_named_list(field_name) or (holds and v.is_reason_name(field_name))):
                    add(f"{name}.{field_name}", target, value, literal_entries(value, v), name if holds else "")
                continue
            if not holds or not v.is_reason_name(field_name):
                continue
            if value is not None:
                from_expression(scope, value, field_name, name, target)
            if annotation is not None:
                from_annotation(scope, annotation, field_name, name, target)
        for statement in body:
            if isinstance(statement, cst.ClassDef):
                # `class Meta` or a nested choices class belongs to the class around it.
                visit_class(statement, scope, holds or container)

    for statement in module.body:
        if isinstance(statement, cst.ClassDef):
            visit_class(statement, top, False)
    for name, (target, value) in top.constants.items():
        if v.is_named_list(name):
            add(name, target, value, literal_entries(value, v))
    return list(found.values())
