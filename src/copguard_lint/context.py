"""Per-file state shared by the rules and analyses of one traversal."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Type, TypeVar, Union

import libcst as cst

from .findings import Fact, Severity, Span, freeze_data
from .imports import ImportTable
from .spans import node_spans

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .rule import Analysis, Rule

A = TypeVar("A", bound="Analysis")

Anchor = Union[cst.CSTNode, Span]


class PendingReport:
    __slots__ = ("rule", "anchor", "message", "severity")

    def __init__(self, rule: "Rule", anchor: Anchor, message: str, severity: Optional[Severity]):
        self.rule = rule
        self.anchor = anchor
        self.message = message
        self.severity = severity


class PendingFact:
    __slots__ = ("kind", "anchor", "data")

    def __init__(self, kind: str, anchor: Anchor, data: Dict[str, Any]):
        self.kind = kind
        self.anchor = anchor
        self.data = data


class FileContext:
    """What rules may ask about the file being checked.

    Positions are not available during the traversal on purpose: see `rule.py`.
    """

    def __init__(self, path: str, source: str, module: cst.Module, settings: "Settings") -> None:
        self.path = path
        self.source = source
        self.module = module
        self.settings = settings
        self.reports: List[PendingReport] = []
        self.facts: List[PendingFact] = []
        self._analyses: Dict[type, "Analysis"] = {}
        self._imports: Optional[ImportTable] = None
        # CPython's tree of the same source, when the engine already parsed it
        # (nesting.py does, for files long enough to be deep); None otherwise.
        self.python_tree: Optional[ast.Module] = None
        self._source_lower: Optional[str] = None

    # -- shared helpers -------------------------------------------------
    @property
    def source_lower(self) -> str:
        """The source in lower case, made once for the analyses that search it."""
        if self._source_lower is None:
            self._source_lower = self.source.lower()
        return self._source_lower

    @property
    def imports(self) -> ImportTable:
        """Local names bound by imports anywhere in the module (flow-insensitive)."""
        if self._imports is None:
            self._imports = ImportTable.from_module(self.module)
        return self._imports

    def qualified_name(self, node: cst.BaseExpression) -> Optional[str]:
        """Dotted name an expression refers to, through imports and aliases.

        `PH.capture` after `from posthog import Posthog as PH` gives
        `posthog.Posthog.capture`; a name not bound by an import gives its own
        dotted spelling (`app.logger.info`); anything else gives None.
        """
        return self.imports.resolve(node)

    def analysis(self, kind: Type[A]) -> A:
        return self._analyses[kind]  # type: ignore[return-value]

    def add_analysis(self, analysis: "Analysis") -> None:
        self._analyses[type(analysis)] = analysis

    # -- output ---------------------------------------------------------
    def report(
        self, rule: "Rule", anchor: Anchor, message: str, *, severity: Optional[Severity] = None
    ) -> None:
        self.reports.append(PendingReport(rule, anchor, message, severity))

    def record(self, kind: str, anchor: Anchor, **data: Any) -> None:
        """Record a fact for project rules, located at `anchor`."""
        self.facts.append(PendingFact(kind, anchor, data))

    # -- positions (resolved once, after the traversal, only if needed) --
    def resolve_spans(self) -> Dict[int, Span]:
        """Spans of every node that was reported or recorded, keyed by id(node)."""
        nodes = [
            item.anchor
            for item in [*self.reports, *self.facts]
            if isinstance(item.anchor, cst.CSTNode)
        ]
        return node_spans(self.module, nodes)

    def build_facts(self, spans: Dict[int, Span]) -> Tuple[Fact, ...]:
        out = []
        for pending in self.facts:
            span = _span_of(pending.anchor, spans)
            out.append(
                Fact(
                    kind=pending.kind,
                    path=self.path,
                    line=span.line,
                    column=span.column,
                    end_line=span.end_line,
                    end_column=span.end_column,
                    data=freeze_data(pending.data),
                )
            )
        return tuple(sorted(out))


def _span_of(anchor: Anchor, spans: Dict[int, Span]) -> Span:
    if isinstance(anchor, Span):
        return anchor
    return spans.get(id(anchor), Span(1, 1, 1, 1))
