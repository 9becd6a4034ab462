"""The values of string literals, for every analysis and rule.

libcst's `SimpleString.evaluated_value` runs `ast.literal_eval` (a compile)
each time it is asked, and analyses ask about the same few literals (field
names, dict keys, settings) over and over: on Django's db and auth packages
that was 17,000 compiles, about 8% of a scan. Literals are evaluated once per
spelling here.
"""

from __future__ import annotations

import ast
import warnings
from functools import lru_cache
from typing import Optional, Union

import libcst as cst


@lru_cache(maxsize=1 << 14)
def _evaluate(literal: str) -> Union[str, bytes, None]:
    plain = _plain_body(literal)
    if plain is not None:
        return plain
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes ("\d") warn; the value is still right
            value = ast.literal_eval(literal)
    except Exception:  # noqa: BLE001 - a literal libcst accepted but Python does not
        return None
    return value if isinstance(value, (str, bytes)) else None


def _plain_body(literal: str) -> Optional[str]:
    """The value of a str literal that needs no decoding (no escapes, no bytes), without compiling it.

    Most literals are like that (names, keys, messages, docstrings); the rest,
    and anything unusual, go through `ast.literal_eval`. CR characters inside a
    literal are left to Python, which reads them as newlines.
    """
    start = 0
    while start < len(literal) and literal[start] not in "\'\"":
        start += 1
    prefix = literal[:start].lower()
    if prefix.strip("ru") or "b" in prefix:
        return None
    quote = literal[start : start + 3] if literal[start : start + 3] in ('"""', "'''") else literal[start : start + 1]
    if not quote or len(literal) < start + 2 * len(quote) or not literal.endswith(quote):
        return None
    body = literal[start + len(quote) : len(literal) - len(quote)]
    if "\r" in body or ("\\" in body and "r" not in prefix):
        return None
    return body


def string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain string literal; None for bytes, f-strings and anything else."""
    if isinstance(node, cst.SimpleString):
        value = _evaluate(node.value)
        return value if isinstance(value, str) else None
    return None


def joined_string_value(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """Same, also for literals written side by side (`"a" "b"`)."""
    if isinstance(node, cst.ConcatenatedString):
        left, right = joined_string_value(node.left), joined_string_value(node.right)
        return None if left is None or right is None else left + right
    return string_value(node)
