"""Turning a file's bytes into text exactly as Python would, or saying why not."""

from __future__ import annotations

import io
import re
import tokenize
from typing import List, Optional, Tuple

# Python ends a physical line at \r\n, \r or \n and nowhere else. str.splitlines()
# also splits at form feeds, \x1c-\x1e, \x85 and \u2028/\u2029, which may sit
# inside strings and comments, so line numbers taken from it drift from the parser's.
_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> List[str]:
    """The physical lines of source text as Python counts them, without their endings."""
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def normalise_newlines(text: str) -> str:
    """`text` with every line ending as LF, line numbers unchanged.

    The tokenizer reads lines with io.StringIO, which only splits at LF, so a
    file saved with old-Mac CR endings would otherwise be one long line.
    """
    return _NEWLINE.sub("\n", text)


# Larger files are COP001 without being read: libcst needs memory many times a
# file's size, and no hand-written module comes near this.
MAX_SOURCE_BYTES = 10 * 1024 * 1024


def too_large(size: int) -> str:
    return f"file is too large to analyse ({size / 1048576:.1f} MB; the limit is {MAX_SOURCE_BYTES // 1048576} MB)"


class SourceError(Exception):
    """The bytes are not Python source text; `reason` is shown to the user."""

    def __init__(self, reason: str, line: Optional[int] = None, column: Optional[int] = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def decode_source(data: bytes) -> Tuple[str, str]:
    """(text, encoding) of Python source bytes, honouring a BOM and a PEP 263 cookie.

    The BOM is dropped from the text. NUL bytes are refused here because
    CPython refuses them too, and because they almost always mean a binary file
    that happens to be named `.py`.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        return _raise(SourceError("file contains NUL bytes (binary data, not Python source)", line))
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if str(error).startswith("invalid or missing encoding declaration"):
            # Not a bad cookie: a first line that is not UTF-8 and has none (often a
            # binary file named .py). The decoding below names the byte and where it is.
            encoding = "utf-8"
        else:
            reason = error.msg if hasattr(error, "msg") else str(error)
            return _raise(SourceError(f"bad encoding declaration: {reason}", getattr(error, "lineno", None)))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return _raise(
            SourceError(
                f"cannot be decoded as {encoding}: byte 0x{data[error.start]:02x} at offset {error.start}"
                + ("; add a coding declaration (PEP 263) if the file is not UTF-8" if encoding == "utf-8" else ""),
                line,
            )
        )
    except LookupError:
        return _raise(SourceError(f"unknown encoding {encoding!r} in coding declaration", 1))
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _raise(error: SourceError):
    raise error
