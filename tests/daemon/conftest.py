"""The `daemon` fixture: a Harness (see daemon_harness.py) that stops every server it started."""

from __future__ import annotations

import pytest

from copguard_lint.daemon import location


@pytest.fixture
def daemon():
    """A Harness; skipped where the daemon cannot work (no fork, Unix sockets or fd passing)."""
    if not location.supported():
        pytest.skip("the daemon needs fork, Unix sockets and fd passing")
    from daemon_harness import Harness

    harness = Harness()
    try:
        yield harness
    finally:
        harness.cleanup()
