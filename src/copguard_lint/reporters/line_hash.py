"""GitHub code scanning's `primaryLocationLineHash`, computed the way GitHub computes it.

GitHub identifies an alert across commits by a hash of the text at and after
its first line. When a SARIF file has no such hash, the upload action computes
one; when the file is uploaded through the REST API, nothing does and every
upload opens duplicate alerts. So copguard computes the same value itself.

The algorithm, as GitHub documents and implements it:

* the file is read as UTF-8 and handled as UTF-16 code units;
* spaces and tabs are skipped; CR and CRLF count as one LF;
* every line is hashed from its first kept character over the next 100 kept
  characters (running on into the lines after it), with a rolling polynomial
  hash in base 37 over signed 64-bit integers that wrap around;
* the text is followed by an end-of-file sentinel (65535), then zeros;
* a line's value is `<hash as unsigned hex>:<n>`, where n counts how many
  lines of the file so far had the same hash.

Only the arithmetic matters for compatibility; see the unit tests for the
reference values published with GitHub's implementation.
"""

from __future__ import annotations

from array import array
from typing import Dict, List

WINDOW = 100
BASE = 37
END_OF_FILE = 0xFFFF
_MASK = (1 << 64) - 1
_TAB, _LF, _CR, _SPACE = 9, 10, 13, 32
# BASE ** WINDOW modulo 2**64: the weight of the character leaving the window.
_OUTGOING_WEIGHT = pow(BASE, WINDOW, 1 << 64)


def utf16_units(text: str) -> List[int]:
    """`text` as UTF-16 code units (what JavaScript's charCodeAt sees)."""
    units = array("H")
    units.frombytes(text.encode("utf-16-le", "surrogatepass"))
    return units.tolist()


class _RollingHasher:
    """Feeds characters in; reports (line number, hash) once a line's window is full."""

    def __init__(self) -> None:
        self.window = [0] * WINDOW
        self.starts = [0] * WINDOW  # line number that starts at this slot, 0 for none
        self.slot = 0
        self.value = 0
        self.line = 0
        self.at_line_start = True
        self.after_cr = False
        self.seen: Dict[str, int] = {}
        self.out: Dict[int, str] = {}

    def feed(self, unit: int) -> None:
        if unit in (_SPACE, _TAB) or (unit == _LF and self.after_cr):
            self.after_cr = False
            return
        self.after_cr = unit == _CR
        if unit == _CR:
            unit = _LF
        if self.starts[self.slot]:
            self._emit()
        if self.at_line_start:
            self.at_line_start = False
            self.line += 1
            self.starts[self.slot] = self.line
        if unit == _LF:
            self.at_line_start = True
        self._roll(unit)

    def flush(self) -> None:
        for _ in range(WINDOW):
            if self.starts[self.slot]:
                self._emit()
            self._roll(0)

    def _roll(self, unit: int) -> None:
        leaving = self.window[self.slot]
        self.window[self.slot] = unit
        self.value = (self.value * BASE + unit - _OUTGOING_WEIGHT * leaving) & _MASK
        self.slot = (self.slot + 1) % WINDOW

    def _emit(self) -> None:
        digest = format(self.value, "x")
        count = self.seen.get(digest, 0) + 1
        self.seen[digest] = count
        self.out[self.starts[self.slot]] = f"{digest}:{count}"
        self.starts[self.slot] = 0


def line_hashes(text: str) -> Dict[int, str]:
    """{1-based line number: primaryLocationLineHash} for every line of `text`.

    A text ending in a newline has one more entry, for the empty last line, as
    in GitHub's implementation.
    """
    hasher = _RollingHasher()
    for unit in utf16_units(text):
        hasher.feed(unit)
    hasher.feed(END_OF_FILE)
    hasher.flush()
    return hasher.out


def file_line_hashes(data: bytes) -> Dict[int, str]:
    """Line hashes of a file's bytes, decoded as GitHub decodes them (UTF-8, bad bytes replaced)."""
    return line_hashes(data.decode("utf-8", "replace"))
