"""nesting.py's pruned depth test agrees with an exact measurement of libcst's depth."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from copguard_lint.nesting import MAX_NESTING, _too_deep, measure

ROOT = Path(__file__).resolve().parents[1]


def exact_depth(tree: ast.AST) -> int:
    """libcst's depth: every node a level, `a or b or c` one level per operator."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.BoolOp):
            depth += len(node.values) - 1
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


SOURCES = sorted((ROOT / "src").rglob("*.py"))[::3] + sorted((ROOT / "examples").rglob("*.py"))
ODD = [
    "x = " + " + ".join(["a"] * 60) + "\n",
    "x = " + " or ".join(["a"] * 40) + "\n",
    "x = a" + "[0]" * 30 + "\n",
    "x = f(" * 20 + ")" * 20 + "\n",
    "y = (lambda q: [q for q in range(3) if q])(1)\nz = {'é': 'ü' * 3}\n",
]


@pytest.mark.parametrize("limit", [6, 9, 12, 16, 24, 40])
def test_pruned_test_is_exact_at_every_limit(limit):
    texts = [p.read_text(encoding="utf-8") for p in SOURCES] + ODD
    for text in texts:
        tree = ast.parse(text)
        assert _too_deep(tree, text, limit) == (exact_depth(tree) > limit), (limit, text[:60])


def test_measure_hands_on_cpythons_tree():
    text = "x = 1\n" * (MAX_NESTING // 5)
    problem, tree = measure(text)
    assert problem is None and isinstance(tree, ast.Module) and len(tree.body) == MAX_NESTING // 5
    assert measure("x = 1\n") == (None, None)  # too short to be deep: not parsed at all
    assert measure("def f(:\n" + "x = 1\n" * 500) == (None, None)  # syntax errors are libcst's to report
