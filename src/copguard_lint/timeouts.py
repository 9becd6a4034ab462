"""A per-file time limit that never kills the parser from another thread.

`file_time_limit(seconds)` arms a POSIX interval timer (`signal.setitimer`)
whose handler raises `FileTimeout` in the thread that runs the analysis, so
the exception unwinds through ordinary Python frames and the half-built tree
is simply dropped: nothing is torn down mid-way from outside. The engine
catches it and reports the file as COP001 ("analysis exceeded N s").

Limitations, by design:

* Python runs signal handlers between bytecodes, so while libcst's native
  parser is inside one call the handler waits for that call to return; the
  file is then still reported, just later than the limit.
* Signals exist only on POSIX and only in the main thread. On Windows, or
  when copguard is called from another thread (an embedding application,
  some flake8 modes), there is no limit and files run to completion.
* An interval timer already armed by the caller is suspended while the limit
  is active and re-armed, with its handler, when the limit ends.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class FileTimeout(BaseException):
    """The per-file limit ran out. A BaseException, so `except Exception` in rules cannot swallow it."""


def limits_available() -> bool:
    """Whether a limit can be enforced in this thread on this platform."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _expired(signum, frame) -> None:
    raise FileTimeout()


@contextmanager
def file_time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout inside the block once `seconds` have passed (0 or less: no limit)."""
    if not seconds or seconds <= 0 or not limits_available():
        yield
        return
    previous_handler = signal.signal(signal.SIGALRM, _expired)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)
