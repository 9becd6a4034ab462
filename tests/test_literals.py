"""literals.py must give exactly Python's value of every string literal, compiled or not."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import libcst as cst
import pytest

from copguard_lint.literals import _evaluate, _plain_body, joined_string_value, string_value

ROOT = Path(__file__).resolve().parents[1]

ODD = [
    "''", '""', "''''''", '""""""', "'a'", '"a b"', "u'x'", "U'x'", "r'\\d+'", "R'\\n'", "rb'x'", "b'x'",
    "Br'x'", "'\\n'", "'\\''", '"it\'s"', "'''multi\nline'''", '"""a "quoted" word"""', "'é🙂'",
    "'\\N{BULLET}'", "'\\x41'", "'''a\r\nb'''", "'tab\there'", "'\\d'",
]


@pytest.mark.parametrize("literal", ODD)
def test_every_odd_literal_has_pythons_value(literal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ast.literal_eval(literal)
    assert _evaluate.__wrapped__(literal) == expected
    plain = _plain_body(literal)
    assert plain is None or plain == expected


def test_the_fast_path_agrees_with_python_on_real_literals():
    seen = set()

    class Collect(cst.CSTVisitor):
        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            seen.add(node.value)

    for path in sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "examples").rglob("*.py")):
        cst.parse_module(path.read_text(encoding="utf-8")).visit(Collect())
    fast = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for literal in seen:
            plain = _plain_body(literal)
            if plain is not None:
                fast += 1
                assert plain == ast.literal_eval(literal), literal
    assert fast > 0.9 * len(seen)


def test_string_values_of_nodes():
    assert string_value(cst.parse_expression("'a'")) == "a"
    assert string_value(cst.parse_expression("b'a'")) is None  # bytes are not text
    assert string_value(cst.parse_expression("f'{a}'")) is None
    assert string_value(cst.parse_expression("name")) is None
    assert string_value(None) is None
    assert string_value(cst.parse_expression("'a' 'b'")) is None
    assert joined_string_value(cst.parse_expression("'a' \"b\" r'\\c'")) == "ab\\c"
    assert joined_string_value(cst.parse_expression("'a' f'{b}'")) is None
