"""spans.py must give exactly libcst's PositionProvider spans, only faster."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from copguard_lint.spans import _provider_spans, node_spans

ROOT = Path(__file__).resolve().parents[1]

ODD_SOURCES = {
    "crlf": "def f(a,\r\n      b):\r\n    return {'x': a,\r\n            'y': b}\r\n",
    "lone cr": "x = 1\ry = (2 +\r     3)\r",
    "no trailing newline": "class A:\n    @property\n    def b(self): return 1",
    "decorators and comments": "# c\n\n@a.b(1)\n@c\nasync def f():  # t\n    await g(  # u\n        h)\n",
    "tabs and unicode": "if True:\n\tname = 'é🙂'; other = f'{name!r:>{10}}'\n\tdel name\n",
    "empty": "",
    "only comments": "# a\n# b\n",
    "strings": 'x = ("a" "b"\n     r"""c\nd""")\ny = b"\\x00"\n',
    "match and walrus": "match p:\n    case {'a': [1, *rest]} if (n := len(rest)):\n        pass\n    case _:\n        pass\n",
    "lambda and slices": "f = lambda *a, k=1, **kw: a[1:2, ::3]\n",
}


def _every_node(module: cst.Module):
    nodes = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(Collect())
    return nodes


def _assert_same(source: str) -> None:
    module = cst.parse_module(source)
    nodes = _every_node(module)
    assert node_spans(module, nodes) == _provider_spans(module, nodes)


@pytest.mark.parametrize("name", sorted(ODD_SOURCES))
def test_spans_match_position_provider_on_odd_sources(name):
    _assert_same(ODD_SOURCES[name])


def test_spans_match_position_provider_on_the_projects_own_code():
    # Every fourth module of the package keeps the test quick; examples/ in full.
    files = sorted((ROOT / "src" / "copguard_lint").rglob("*.py"))[::4] + sorted((ROOT / "examples").rglob("*.py"))
    assert len(files) > 30
    for path in files:
        _assert_same(path.read_text(encoding="utf-8"))


def test_only_wanted_nodes_are_returned():
    module = cst.parse_module("a = 1\nb = 2\n")
    second = module.body[1]
    spans = node_spans(module, [second])
    assert list(spans) == [id(second)]
    span = spans[id(second)]
    assert (span.line, span.column, span.end_line, span.end_column) == (2, 1, 2, 6)
    assert node_spans(module, []) == {}
