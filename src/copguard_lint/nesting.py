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
from typing import Optional

# Deeper than any hand-written code; low enough that libcst parses it in well
# under a second and the engine's recursion limit covers the analysis passes.
MAX_NESTING = 1000


def nesting_problem(text: str, limit: int = MAX_NESTING) -> Optional[str]:
    """Why `text` is too deeply nested to hand to libcst, or None if it is not.

    Text that CPython cannot parse at all is left to libcst (it may be newer
    syntax than the running interpreter knows) and to the syntax-error report.
    """
    if len(text) < limit:
        return None  # every level of nesting takes at least one character
    too_deep = f"too deeply nested for the parser (expressions more than {limit} levels deep)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (RecursionError, MemoryError):  # CPython's own depth limits, far above `limit`
        return too_deep
    except (SyntaxError, ValueError):
        return None
    return too_deep if _depth(tree, limit) > limit else None


def _depth(tree: ast.AST, limit: int) -> int:
    """The depth of the tree libcst would build, stopping early once past `limit`.

    CPython keeps `a or b or c` as one node with a list of values; libcst nests
    it one level per operator, so each extra value counts as a level here.
    """
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1))
    return deepest
