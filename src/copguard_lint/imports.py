"""What the names in a module refer to, from its import statements.

libcst's QualifiedNameProvider answers this exactly but costs ten times a
parse on large trees. Rules here need one thing: whether `PH.capture` is
PostHog's `capture`, whatever the module called it. A statement-level walk of
the import statements answers that for the way real code imports SDKs, at a
cost that does not show in profiles. Flow-insensitive on purpose: an import
inside a function binds the name for the whole module, which only errs when a
module rebinds an imported name to something unrelated.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional

import libcst as cst

from .walk import TypeTest


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    # `type() is`, not isinstance: libcst's node classes are ABCs, whose failing
    # isinstance checks are slow, and this runs for most expressions of a file.
    # A loop down the chain, not recursion: this is asked several times per expression.
    kind = type(node)
    if kind is cst.Name:
        return node.value  # type: ignore[attr-defined]
    if kind is not cst.Attribute:
        return None
    names = []
    while kind is cst.Attribute:
        names.append(node.attr.value)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
        kind = type(node)
    if kind is not cst.Name:
        return None
    names.append(node.value)  # type: ignore[attr-defined]
    names.reverse()
    return ".".join(names)


def _module_name(node: Optional[cst.BaseExpression]) -> str:
    if node is None:
        return ""
    return dotted(node) or ""


class ImportTable:
    """Maps local names to the dotted names they were imported as."""

    def __init__(self, bindings: Optional[Dict[str, str]] = None) -> None:
        self.bindings: Dict[str, str] = dict(bindings or {})

    @classmethod
    def from_module(cls, module: cst.Module) -> "ImportTable":
        table = cls()
        for statement in _iter_import_statements(module.body):
            table.add(statement)
        return table

    def add(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _module_name(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.bindings[alias.asname.name.value] = full
                else:
                    # `import a.b.c` binds `a`, which refers to package `a`.
                    head = full.split(".", 1)[0]
                    self.bindings.setdefault(head, head)
        elif isinstance(node, cst.ImportFrom):
            dots = "." * len(node.relative)
            base = dots + _module_name(node.module)
            if isinstance(node.names, cst.ImportStar):
                return
            for alias in node.names:
                name = _module_name(alias.name)
                full = f"{base}.{name}" if base and not base.endswith(".") else f"{base}{name}"
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                self.bindings[local] = full

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """The dotted name `node` refers to; calls in the chain show as `()`.

        `logging.getLogger(__name__).info` resolves to `logging.getLogger().info`.
        """
        kind = type(node)
        if kind is cst.Name:
            return self.bindings.get(node.value, node.value)  # type: ignore[attr-defined]
        if kind is cst.Attribute:
            head = self.resolve(node.value)  # type: ignore[attr-defined]
            return None if head is None else f"{head}.{node.attr.value}"  # type: ignore[attr-defined]
        if kind is cst.Call:
            head = self.resolve(node.func)  # type: ignore[attr-defined]
            return None if head is None else f"{head}()"
        return None

    def is_imported(self, local: str) -> bool:
        return local in self.bindings


# Type tests compare `type(node)` with concrete node classes (no libcst node class
# has subclasses): libcst's classes are ABCs, whose failing isinstance checks are slow.
_IMPORT_TYPES = frozenset({cst.Import, cst.ImportFrom})
_MATCH_TYPE = getattr(cst, "Match", None)
_IS_COMPOUND = TypeTest((cst.BaseCompoundStatement,))


def _iter_import_statements(body) -> Iterator[cst.CSTNode]:
    """Import nodes in a statement list, descending into compound statements only."""
    found: List[cst.CSTNode] = []
    _collect_imports(body, found)
    return iter(found)


def _collect_imports(body, found: List[cst.CSTNode]) -> None:
    """Append the import nodes of a statement list to `found`, in source order."""
    for statement in body:
        kind = type(statement)
        if kind is cst.SimpleStatementLine:
            _collect_small(statement.body, found)
        elif kind is _MATCH_TYPE:
            for case in statement.cases:
                _collect_suite(case.body, found)
        elif _IS_COMPOUND[kind]:
            _collect_suite(statement.body, found)
            if kind is cst.If and statement.orelse is not None:
                _collect_imports((statement.orelse,), found)
            if kind is cst.Try:
                for handler in statement.handlers:
                    _collect_suite(handler.body, found)
                if statement.orelse is not None:
                    _collect_suite(statement.orelse.body, found)
                if statement.finalbody is not None:
                    _collect_suite(statement.finalbody.body, found)
            elif (kind is cst.For or kind is cst.While) and statement.orelse is not None:
                _collect_suite(statement.orelse.body, found)
        elif kind is cst.Else:
            _collect_suite(statement.body, found)


def _collect_small(smalls, found: List[cst.CSTNode]) -> None:
    for small in smalls:
        if type(small) in _IMPORT_TYPES:
            found.append(small)


def _collect_suite(suite: cst.BaseSuite, found: List[cst.CSTNode]) -> None:
    """The imports of an indented block, or of the statements on a compound statement's line."""
    kind = type(suite)
    if kind is cst.IndentedBlock:
        _collect_imports(suite.body, found)
    elif kind is cst.SimpleStatementSuite:
        _collect_small(suite.body, found)
