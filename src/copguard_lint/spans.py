"""Source spans of the few nodes a file reports, without libcst's PositionProvider.

PositionProvider regenerates the module's code and builds a `CodeRange` of
`CodePosition` objects for every node, splitting every token with a regex to
track line and column: on Django's `db/models/query.py` that is 0.61 s, where
regenerating the code alone takes 0.09 s. Findings need the spans of a handful
of nodes. This module regenerates the code once with a codegen state that
only counts characters (one integer per node boundary, no objects), then turns
the offsets of the wanted nodes into lines and columns with one bisect each.

The spans are exactly PositionProvider's (syntactic positions, with the start
and end hoisted from child nodes where libcst does that): a test compares the
two on every node of a corpus. libcst's codegen hooks are internal API, so if
they ever change shape, `node_spans` falls back to PositionProvider.
"""

from __future__ import annotations

import bisect
import re
from contextlib import contextmanager
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import libcst as cst

from .findings import Span

try:  # internal libcst API: guarded, see the module docstring
    from libcst._nodes.internal import CodegenState as _CodegenState
except ImportError:  # pragma: no cover - a libcst that moved it
    _CodegenState = None  # type: ignore[assignment,misc]

# libcst counts "\r\n", "\r" and "\n" as one line break each (NEWLINE_RE).
_LINE_BREAK = re.compile(r"\r\n?|\n")


if _CodegenState is not None:

    class _OffsetState(_CodegenState):  # type: ignore[misc,valid-type]
        """Codegen that records (start, end) character offsets of every node."""

        __slots__ = ("offset", "ranges", "_starts")

        def __init__(self, default_indent: str, default_newline: str) -> None:
            super().__init__(default_indent=default_indent, default_newline=default_newline)
            self.offset = 0
            self.ranges: Dict[int, Tuple[int, int]] = {}
            self._starts: List[int] = []

        def add_indent_tokens(self) -> None:
            tokens = self.indent_tokens
            self.tokens.extend(tokens)
            for token in tokens:
                self.offset += len(token)

        def add_token(self, value: str) -> None:
            self.tokens.append(value)
            self.offset += len(value)

        def pop_trailing_newline(self) -> None:
            """Keep it: libcst counts positions before it drops the file's last newline."""

        def before_codegen(self, node: cst.CSTNode) -> None:
            self._starts.append(self.offset)

        def after_codegen(self, node: cst.CSTNode) -> None:
            start = self._starts.pop()
            key = id(node)
            if key not in self.ranges:  # a syntactic position recorded inside wins
                self.ranges[key] = (start, self.offset)

        @contextmanager
        def record_syntactic_position(
            self,
            node: cst.CSTNode,
            *,
            start_node: Optional[cst.CSTNode] = None,
            end_node: Optional[cst.CSTNode] = None,
        ) -> Iterator[None]:
            start = self.offset
            try:
                yield
            finally:
                end = self.offset
                if start_node is not None:
                    start = self.ranges[id(start_node)][0]
                if end_node is not None:
                    end = self.ranges[id(end_node)][1]
                self.ranges[id(node)] = (start, end)


def node_spans(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> Dict[int, Span]:
    """Spans (1-based lines and columns, end exclusive) of `nodes`, keyed by id(node)."""
    wanted = list(nodes)
    if not wanted:
        return {}
    if _CodegenState is None:  # pragma: no cover
        return _provider_spans(module, wanted)
    try:
        state = _OffsetState(module.default_indent, module.default_newline)
        module._codegen(state)
    except Exception:  # pragma: no cover - libcst's internals changed
        return _provider_spans(module, wanted)
    code = "".join(state.tokens)
    line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(code)]
    spans: Dict[int, Span] = {}
    for node in wanted:
        offsets = state.ranges.get(id(node))
        if offsets is None:  # pragma: no cover - a node from another tree
            continue
        start_line, start_column = _line_column(line_starts, offsets[0])
        end_line, end_column = _line_column(line_starts, offsets[1])
        spans[id(node)] = Span(start_line, start_column + 1, end_line, end_column + 1)
    return spans


def _line_column(line_starts: List[int], offset: int) -> Tuple[int, int]:
    """1-based line, 0-based column of a character offset."""
    index = bisect.bisect_right(line_starts, offset) - 1
    return index + 1, offset - line_starts[index]


def _provider_spans(module: cst.Module, nodes: List[cst.CSTNode]) -> Dict[int, Span]:
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    spans: Dict[int, Span] = {}
    for node in nodes:
        code_range = positions.get(node)
        if code_range is None:  # pragma: no cover
            continue
        spans[id(node)] = Span(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )
    return spans
