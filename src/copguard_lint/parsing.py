"""libcst's parse, as the engine runs it.

Every node libcst builds validates itself in `__post_init__` (parentheses
balanced, whitespace where the grammar needs it...). For a tree its own
parser built from text that CPython has already accepted, those checks
cannot fail, yet they are ~18% of the parse (1.6 of 9.1 s CPU on Django's
885 files); libcst's source says as much ("avoid validating the tree when
parsing a file"). So when the caller knows CPython accepted the text, the
parse runs with validation off. Text CPython rejected (or never saw) is
parsed with validation on, so whatever libcst would refuse it still refuses.
Nodes built at any other time (by rules, by tests) are validated as usual:
the switch is undone before `parse` returns, also on errors and timeouts.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from typing import Iterator

import libcst as cst

# libcst's recursive descent can exhaust the default stack on deeply nested
# expressions; a deeper limit turns most such files into results, and the
# engine's RecursionError handler turns the rest into a COP001 finding.
RECURSION_LIMIT = 10_000

_BASE = cst.CSTNode
# None if a future libcst validates elsewhere: then nothing is switched off.
_VALIDATING_HOOK = _BASE.__dict__.get("__post_init__")


def _no_validation(self) -> None:
    """Stands in for CSTNode.__post_init__ while a checked text is parsed."""


@contextmanager
def _validation_off() -> Iterator[None]:
    if _VALIDATING_HOOK is None:
        yield
        return
    _BASE.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        yield
    finally:
        _BASE.__post_init__ = _VALIDATING_HOOK  # type: ignore[method-assign]


def parse(text: str, *, accepted_by_cpython: bool = False) -> cst.Module:
    """libcst's tree of `text`; skips node validation if CPython accepted `text`."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not accepted_by_cpython:
            return cst.parse_module(text)
        with _validation_off():
            return cst.parse_module(text)
