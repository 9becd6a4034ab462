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

from typing import Dict, Iterator, Optional

import libcst as cst


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    # `type() is`, not isinstance: libcst's node classes are ABCs, whose failing
    # isinstance checks are slow, and this runs for most expressions of a file.
    kind = type(node)
    if kind is cst.Name:
        return node.value  # type: ignore[attr-defined]
    if kind is cst.Attribute:
        head = dotted(node.value)  # type: ignore[attr-defined]
        return None if head is None else f"{head}.{node.attr.value}"  # type: ignore[attr-defined]
    return None


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
        if isinstance(node, cst.Name):
            return self.bindings.get(node.value, node.value)
        if isinstance(node, cst.Attribute):
            head = self.resolve(node.value)
            return None if head is None else f"{head}.{node.attr.value}"
        if isinstance(node, cst.Call):
            head = self.resolve(node.func)
            return None if head is None else f"{head}()"
        return None

    def is_imported(self, local: str) -> bool:
        return local in self.bindings


def _iter_import_statements(body) -> Iterator[cst.CSTNode]:
    """Import nodes in a statement list, descending into compound statements only."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    yield small
        elif isinstance(statement, getattr(cst, "Match", ())):
            for case in statement.cases:
                yield from _iter_import_statements(_suite_statements(case.body))
        elif isinstance(statement, cst.BaseCompoundStatement):
            yield from _iter_import_statements(_suite_statements(statement.body))
            if isinstance(statement, cst.If) and statement.orelse is not None:
                yield from _iter_import_statements([statement.orelse])
            if isinstance(statement, cst.Try):
                for handler in statement.handlers:
                    yield from _iter_import_statements(_suite_statements(handler.body))
                if statement.orelse is not None:
                    yield from _iter_import_statements(_suite_statements(statement.orelse.body))
                if statement.finalbody is not None:
                    yield from _iter_import_statements(_suite_statements(statement.finalbody.body))
            elif isinstance(statement, (cst.For, cst.While)) and statement.orelse is not None:
                yield from _iter_import_statements(_suite_statements(statement.orelse.body))
        elif isinstance(statement, cst.Else):
            yield from _iter_import_statements(_suite_statements(statement.body))


def _suite_statements(suite: cst.BaseSuite):
    if isinstance(suite, cst.IndentedBlock):
        return suite.body
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=suite.body)]
    return []
