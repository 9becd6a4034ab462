"""Refusing source that is nested too deeply for libcst, before libcst sees it.

libcst's native parser does not fail cleanly on very deep expressions: an
operator or trailer chain a few thousand levels deep (`a + a + ...`,
`a[0][0]...`) overflows its stack and kills the process with a segfault, and
chains of a thousand trailers already take minutes. Generated code can look
like that. One such file must not take the whole run (and every other file's
findings) down with it, so its depth is measured first with CPython's own
parser, which raises instead of crashing, and a file deeper than
`MAX_NESTING` becomes a COP001 finding like any other file that cannot be
parsed. Hand-written code stays far below the limit.
"""

from __future__ import annotations

import ast
import warnings
from typing import List, Optional, Tuple

# Deeper than any hand-written code; low enough that libcst parses it in well
# under a second and the engine's recursion limit covers the analysis passes.
MAX_NESTING = 1000


def nesting_problem(text: str, limit: int = MAX_NESTING) -> Optional[str]:
    """Why `text` is too deeply nested to hand to libcst, or None if it is not.

    Text that CPython cannot parse at all is left to libcst (it may be newer
    syntax than the running interpreter knows) and to the syntax-error report.
    """
    return measure(text, limit)[0]


def measure(text: str, limit: int = MAX_NESTING) -> Tuple[Optional[str], Optional[ast.Module]]:
    """(why `text` is too deeply nested, or None; CPython's tree of it, if it was parsed).

    The tree is handed on so that analyses needing CPython's positions do not
    parse the file a second time.
    """
    if len(text) < limit:
        return None, None  # every level of nesting takes at least one character
    too_deep = f"too deeply nested for the parser (expressions more than {limit} levels deep)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (RecursionError, MemoryError):  # CPython's own depth limits, far above `limit`
        return too_deep, None
    except (SyntaxError, ValueError):
        return None, None
    return (too_deep if _too_deep(tree, text, limit) else None), tree


_STATEMENT_LEVEL = (ast.stmt, ast.excepthandler, ast.match_case, ast.mod) if hasattr(ast, "match_case") else (
    ast.stmt, ast.excepthandler, ast.mod
)


def _too_deep(tree: ast.AST, text: str, limit: int) -> bool:
    """Whether the tree libcst would build is deeper than `limit`.

    CPython keeps `a or b or c` as one node with a list of values; libcst nests
    it one level per operator, so each extra value counts as a level here.
    An expression cannot be deeper than twice its length in characters (every
    level below a statement spells at least one character of its own, give or
    take a wrapper node), so subtrees too short to reach the limit from where
    they stand are not walked: most of a file's expressions are a few
    characters long. Their length comes from CPython's positions (UTF-8 bytes,
    never fewer than characters).
    """
    line_sizes: Optional[List[int]] = None
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        if depth > limit:
            return True
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _STATEMENT_LEVEL) and getattr(child, "end_lineno", None) is not None:
                if line_sizes is None:
                    line_sizes = [len(line.encode("utf-8", "surrogatepass")) + 1 for line in text.split("\n")]
                if child.lineno == child.end_lineno:
                    size = (child.end_col_offset or 0) - child.col_offset
                else:
                    size = sum(line_sizes[child.lineno - 1 : child.end_lineno])
                if depth + 2 * size + 2 <= limit:
                    continue
            stack.append((child, depth + 1))
    return False
