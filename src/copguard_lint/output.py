"""Writing reports: to stdout, or atomically to a file."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file and a rename, so readers never see half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # backslashreplace, as write_stdout: a surrogate-escaped file name (not UTF-8 on
        # Linux) becomes a `\udcff` escape, which is still valid JSON inside a string.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_stdout(text: str) -> None:
    stream = sys.stdout
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.buffer.write(text.encode(stream.encoding or "utf-8", "backslashreplace"))
    stream.flush()


def escape_surrogates(json_text: str) -> str:
    """JSON text (made with ensure_ascii=False) with lone surrogates as `\\udcXX` escapes.

    A Linux file name that is not UTF-8 reaches the reports surrogate-escaped;
    written as is, it would make the output invalid UTF-8 (or fail to encode).
    Surrogates only ever occur inside JSON strings, where the escape is valid.
    """
    return json_text.encode("utf-8", "backslashreplace").decode("utf-8")
