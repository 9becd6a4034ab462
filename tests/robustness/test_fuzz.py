"""Fuzzing: generated and mutated programs never crash copguard and give the same output twice.

Three sources of input: programs generated from Python's grammar (hypothesmith's
`from_grammar`), programs generated from libcst syntax trees (`from_node`), and
mutations (lines deleted, duplicated, swapped; files truncated at any byte) of
the example apps and of this test suite's own sources, which are full of the
patterns the rules look for.

"Crash" means any exception out of the engine or the reporters, and also a file
turned into COP001 "internal error" or "parser failed", which is how the engine
contains a bug (it would otherwise hide one). The CI budget is small and
derandomized; `python tools/fuzz.py --minutes N` runs the same properties for
longer with fresh randomness, and COPGUARD_FUZZ_EXAMPLES=N raises the budget of
a plain pytest run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copguard_lint.config import Settings
from copguard_lint.engine import Engine, RunResult
from copguard_lint.reporters import REPORTERS

try:
    import hypothesmith
except ImportError:  # pragma: no cover - hypothesmith is in the `test` extra
    hypothesmith = None

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("COPGUARD_FUZZ_EXAMPLES", "0") or 0)
RANDOM = os.environ.get("COPGUARD_FUZZ_RANDOM") == "1"
STATS = {"programs": 0}

# The engine raises the limit on its first parse; raising it here first keeps
# Hypothesis from warning that it changed during a test.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

CONTAINED_BUGS = ("internal error", "parser failed")


def budget(ci_examples: int):
    """Hypothesis settings: a small reproducible budget by default, more when asked."""
    return settings(
        max_examples=EXAMPLES or ci_examples,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


_engine: Optional[Engine] = None


def engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = Engine(Settings())  # every shipped rule
    return _engine


def render_all(result: RunResult) -> List[str]:
    out = []
    for name, render in sorted(REPORTERS.items()):
        out.append(render(result, statistics=True, quiet=False))
    return out


def check_program(source, path: str = "app/fuzz.py") -> None:
    """The property: no exception, no contained bug, valid JSON/SARIF, the same output twice."""
    STATS["programs"] += 1
    runs = []
    for _ in range(2):
        file_result = engine().lint_source(path, source)
        result = engine().finish_run([file_result])
        runs.append((file_result, result, render_all(result)))
    (first_file, first, first_text), (second_file, second, second_text) = runs
    assert first_file == second_file
    assert first == second
    assert first_text == second_text
    for error in first.errors:
        assert not error.reason.startswith(CONTAINED_BUGS), (error.reason, source)
    json.loads(REPORTERS["json"](first))
    json.loads(REPORTERS["sarif"](first))


# -- generated programs ----------------------------------------------------------------

needs_hypothesmith = pytest.mark.skipif(hypothesmith is None, reason="hypothesmith is not installed")


@needs_hypothesmith
@budget(25)
@given(source=hypothesmith.from_grammar() if hypothesmith else st.nothing())
def test_programs_from_the_grammar(source):
    check_program(source)


@needs_hypothesmith
@budget(6)
@given(source=hypothesmith.from_node() if hypothesmith else st.nothing())
def test_programs_from_syntax_trees(source):
    check_program(source)


# Program fragments the rules care about, for a generator of our own: the grammar's
# random programs almost never call a logger with a child's e-mail address.
_NAMES = st.sampled_from(["child", "user", "pupil", "parent", "self.kid", "request.user", "x", "camper"])
_FIELDS = st.sampled_from(["email", "first_name", "name", "date_of_birth", "ip", "id", "location", "age"])
_SINKS = st.sampled_from([
    "logging.info", "logger.warning", "print", "log.debug", "requests.post", "sentry_sdk.capture_message",
    "redirect", "response.set_cookie", "analytics.track", "warnings.warn", "raise ValueError",
])


@st.composite
def app_like_programs(draw):
    lines = ["import logging", "import requests", "logger = logging.getLogger(__name__)", ""]
    for number in range(draw(st.integers(1, 6))):
        owner, field, sink = draw(_NAMES), draw(_FIELDS), draw(_SINKS)
        argument = draw(st.sampled_from([f"{owner}.{field}", f"f'{{{owner}.{field}}}'", f"'%s' % {owner}.{field}",
                                         f"{{'{field}': {owner}.{field}}}", f"str({owner})"]))
        call = f"{sink} {argument}" if sink.startswith("raise") else f"{sink}({argument})"
        decorator = draw(st.sampled_from(["", "@app.route('/x')\n", "@login_required\n"]))
        lines.append(f"{decorator}def handler_{number}({owner.split('.')[0]}, request=None):")
        if draw(st.booleans()):
            lines.append(f"    if {owner}.age < 13:  # copguard: ignore[COP101] -- fuzz")
            lines.append(f"        {call}")
        else:
            lines.append(f"    {call}")
        lines.append("")
    return "\n".join(lines) + "\n"


@budget(25)
@given(source=app_like_programs())
def test_app_like_programs(source):
    check_program(source)


# -- mutated real files ------------------------------------------------------------------


def corpus() -> List[Path]:
    files = sorted((ROOT / "examples").rglob("*.py"))
    files += sorted((ROOT / "tests").rglob("*.py"))
    return [path for path in files if path.is_file()]


_CORPUS = corpus()


@st.composite
def mutated_files(draw):
    path = draw(st.sampled_from(_CORPUS))
    data = path.read_bytes()
    lines = data.splitlines(keepends=True) or [b""]
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "indent", "bytes"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if operation == "delete":
            del lines[i]
        elif operation == "duplicate":
            lines.insert(i, lines[i])
        elif operation == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif operation == "indent":
            lines[i] = draw(st.sampled_from([b" ", b"\t", b"    "])) + lines[i]
        elif operation == "bytes":
            lines.insert(i, draw(st.binary(max_size=8)))
        else:
            joined = b"".join(lines)
            lines = [joined[: draw(st.integers(0, len(joined)))]]
    return path.relative_to(ROOT).as_posix(), b"".join(lines)


@pytest.mark.skipif(not _CORPUS, reason="no corpus files")
@budget(25)
@given(case=mutated_files())
def test_mutated_files(case):
    path, data = case
    check_program(data, path)


def test_corpus_is_the_examples_and_the_tests():
    names = {path.relative_to(ROOT).parts[0] for path in _CORPUS}
    assert names == {"examples", "tests"}
