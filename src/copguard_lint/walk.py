"""One traversal of a libcst tree for all rules and analyses at once.

libcst's own visitor machinery rebuilds each node's children as it goes, and
on real code costs about twice the parse itself. Rules here only read the
tree, so this walker reads libcst's dataclass fields directly, skips the
purely syntactic ones (whitespace, parentheses, commas, operators), and calls
the same `visit_<Node>` / `leave_<Node>` methods libcst visitors define.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Callable, Dict, List, Sequence, Tuple

import libcst as cst

_SKIPPED_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "equal", "dot", "star", "semicolon", "colon", "operator",
        "leading_lines", "lines_after_decorators", "header", "footer", "asynchronous",
        "lbrace", "rbrace", "lbracket", "rbracket", "whitespace", "newline", "trailing_whitespace",
        "encoding", "default_indent", "default_newline", "has_trailing_newline", "indent",
        "quote", "prefix", "start", "end", "string",
    }
)

_fields_cache: Dict[type, Tuple[str, ...]] = {}


def _child_fields(cls: type) -> Tuple[str, ...]:
    """The fields of a node class that may hold child nodes.

    Fields declared as `str` (`Name.value`, `Integer.value`) never do: leaving
    them out makes names and literals, most of the nodes of a tree, leaves.
    """
    fields = _fields_cache.get(cls)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace") and f.type not in (str, "str")
        )
        _fields_cache[cls] = fields
    return fields


# Node types that only ever occur at statement level. When every visitor
# listens only to these, expressions are not walked at all: the flow
# analysis, for one, reads expressions itself.
STATEMENT_LEVEL = frozenset(
    {
        "Module", "ClassDef", "FunctionDef", "If", "Else", "For", "While", "Try", "TryStar",
        "ExceptHandler", "ExceptStarHandler", "Finally", "With", "Match", "MatchCase",
        "IndentedBlock", "SimpleStatementSuite", "SimpleStatementLine", "Decorator",
        "Assign", "AnnAssign", "AugAssign", "Expr", "Return", "Raise", "Assert", "Del",
        "Pass", "Break", "Continue", "Global", "Nonlocal", "Import", "ImportFrom", "TypeAlias",
    }
)
_STATEMENT_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases", "decorators")

_methods_cache: Dict[type, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {}


def _methods(cls: type) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(visit_X names, leave_X names) a visitor class defines, computed once per class."""
    cached = _methods_cache.get(cls)
    if cached is None:
        # libcst's visitor base classes define a no-op visit_X / leave_X for every
        # node type; only the ones a rule or analysis overrides are dispatched.
        # Reading the classes' own dicts (not dir()) skips the hundreds of stubs
        # libcst's bases define: this runs once per class, but at every start-up.
        names = sorted(
            {
                name
                for klass in cls.__mro__
                if not klass.__module__.startswith("libcst") and klass is not object
                for name in vars(klass)
                if (name.startswith("visit_") or name.startswith("leave_"))
                and name.count("_") == 1
                and callable(getattr(cls, name, None))
                and getattr(cls, name) is not getattr(cst.BatchableCSTVisitor, name, None)
            }
        )
        cached = (
            tuple(n for n in names if n.startswith("visit_")),
            tuple(n for n in names if n.startswith("leave_")),
        )
        _methods_cache[cls] = cached
    return cached


class TypeTest(dict):
    """type -> whether it is a subclass of `bases`, learnt once per type.

    libcst's node classes are ABCs, so a failing `isinstance(x, SomeNode)`
    goes through ABCMeta's slow path on every call; walks ask it millions of
    times on a large project.
    """

    def __init__(self, bases: Tuple[type, ...]) -> None:
        super().__init__()
        self.bases = bases

    def __missing__(self, kind: type) -> bool:
        answer = isinstance(kind, type) and issubclass(kind, self.bases)
        self[kind] = answer
        return answer


_IS_NODE = TypeTest((cst.CSTNode,))


class Walker:
    """Dispatches `visit_X` / `leave_X` of many visitors in one pre/post-order walk."""

    def __init__(self, visitors: Sequence[object]) -> None:
        self._visit: Dict[str, List[Callable]] = defaultdict(list)
        self._leave: Dict[str, List[Callable]] = defaultdict(list)
        for visitor in visitors:
            visits, leaves = _methods(type(visitor))
            for attribute in visits:
                self._visit[attribute[6:]].append(getattr(visitor, attribute))
            for attribute in leaves:
                self._leave[attribute[6:]].append(getattr(visitor, attribute))
        self._visit = dict(self._visit)  # type: ignore[assignment]
        self._leave = dict(self._leave)  # type: ignore[assignment]
        self.statements_only = set(self._visit) | set(self._leave) <= STATEMENT_LEVEL
        self._plans: Dict[type, Tuple[Sequence[Callable], Tuple[str, ...], Sequence[Callable]]] = {}

    def walk(self, node: cst.CSTNode) -> None:
        if self.statements_only:
            self._walk_statements(node)
        else:
            self._walk(node)

    def _walk_statements(self, node: cst.CSTNode) -> None:
        name = type(node).__name__
        callbacks = self._visit.get(name)
        if callbacks:
            for callback in callbacks:
                callback(node)
        for field in _STATEMENT_FIELDS:
            value = getattr(node, field, None)
            if value is None:
                continue
            if _IS_NODE[type(value)]:
                self._walk_statements(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if _IS_NODE[type(item)]:
                        self._walk_statements(item)
        callbacks = self._leave.get(name)
        if callbacks:
            for callback in callbacks:
                callback(node)

    def _plan(self, kind: type) -> Tuple[Sequence[Callable], Tuple[str, ...], Sequence[Callable]]:
        """(visit callbacks, child fields, leave callbacks) for a node type, looked up once per walk."""
        name = kind.__name__
        plan = (self._visit.get(name, ()), _child_fields(kind), self._leave.get(name, ()))
        self._plans[kind] = plan
        return plan

    def _walk(self, node: cst.CSTNode) -> None:
        plan = self._plans.get(type(node))
        if plan is None:
            plan = self._plan(type(node))
        visits, fields, leaves = plan
        for callback in visits:
            callback(node)
        walk = self._walk
        is_node = _IS_NODE
        for field in fields:
            value = getattr(node, field)
            value_kind = type(value)
            if is_node[value_kind]:
                walk(value)
            elif isinstance(value, (tuple, list)):
                for item in value:
                    if is_node[type(item)]:
                        walk(item)
        for callback in leaves:
            callback(node)


def visit_all(module: cst.Module, visitors: Sequence[object]) -> None:
    if visitors:
        Walker(visitors).walk(module)
