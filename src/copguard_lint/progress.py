"""A progress bar on stderr for long scans, only when stderr is a terminal.

Shown for scans of more than `THRESHOLD` files; redrawn in place (carriage
return) only when the shown percentage changes, and erased when the scan
ends, so nothing of it stays in the terminal and nothing at all reaches a
file, a pipe or a CI log.
"""

from __future__ import annotations

import sys
from typing import Optional, TextIO

THRESHOLD = 200
WIDTH = 30


class ProgressBar:
    def __init__(self, total: int, stream: Optional[TextIO] = None, threshold: int = THRESHOLD) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.done = 0
        self.shown_percent = -1
        self.drawn = ""
        self.enabled = total > threshold and _is_terminal(self.stream)

    def update(self, count: int = 1) -> None:
        if not self.enabled:
            return
        self.done = min(self.total, self.done + count)
        percent = self.done * 100 // self.total if self.total else 100
        if percent != self.shown_percent:
            self.shown_percent = percent
            filled = WIDTH * self.done // self.total if self.total else WIDTH
            text = f"copguard: [{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total} files"
            self._write("\r" + text)
            self.drawn = text

    def close(self) -> None:
        if self.enabled and self.drawn:
            self._write("\r" + " " * len(self.drawn) + "\r")
            self.drawn = ""

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal must not stop the scan
            self.enabled = False

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
