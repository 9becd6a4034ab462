"""parsing.parse: skipping node validation changes nothing but the time it takes."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from copguard_lint import parsing
from copguard_lint.parsing import parse

PACKAGE = Path(parsing.__file__).resolve().parent

ODD_SOURCES = [
    "x = (  # comment\n    1 +\n    2)\n",
    "def f(a, /, b, *, c=1, **kw):\n    return lambda *a, **k: (yield)\n",
    "async def g():\n    async with a as (b, c):\n        await x\n    return [i async for i in y]\n",
    "match p:\n    case {'k': [1, *rest]} | Point(x=0) if rest:\n        pass\n    case _:\n        pass\n",
    "print(f'{x!r:>{width}} {y=}')\n",
    "if (n := len(a)) > 10:\n\tpass\r\nelse:\r\n    pass",
    "s = 'caf\u00e9 \U0001f600'\n",
    "@decorator(1)\nclass C(Base, metaclass=M):\n    x: int = 1\n",
    "try:\n    pass\nexcept* (ValueError, TypeError) as e:\n    raise\n",
]


def _sources():
    files = sorted(PACKAGE.glob("analysis/*.py"))  # every construct our own code uses
    return [path.read_text(encoding="utf-8") for path in files] + ODD_SOURCES


def test_trees_are_the_same_with_validation_off():
    for text in _sources():
        try:
            checked = parse(text)
        except cst.ParserSyntaxError:  # newer syntax than this interpreter's libcst grammar
            continue
        fast = parse(text, accepted_by_cpython=True)
        assert fast.deep_equals(checked)
        assert fast.code == text


def test_nodes_built_later_are_validated_again():
    parse("x = 1\n", accepted_by_cpython=True)
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")


def test_validation_comes_back_after_a_failed_parse():
    with pytest.raises(cst.ParserSyntaxError):
        parse("def (:\n", accepted_by_cpython=True)
    with pytest.raises(cst.CSTValidationError):
        cst.Name("1x")


def test_validation_is_skipped_only_for_accepted_text(monkeypatch):
    seen = []
    original = parsing._VALIDATING_HOOK

    def counting(self):
        seen.append(type(self).__name__)
        original(self)

    monkeypatch.setattr(parsing, "_VALIDATING_HOOK", counting)
    monkeypatch.setattr(cst.CSTNode, "__post_init__", counting)
    parse("x = 1\n")
    assert seen, "a text CPython has not accepted is validated"
    seen.clear()
    parse("x = 1\n", accepted_by_cpython=True)
    assert seen == []
    cst.Name("y")
    assert seen == ["Name"]
