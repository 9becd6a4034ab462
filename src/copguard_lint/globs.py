"""Glob matching for excludes and per-file-ignores, the way users write them.

A pattern without `/` matches any path component or the file name
(`migrations`, `*_test.py`); a pattern with `/` matches the path relative to
the config root (`src/legacy/**`, `tests/*`). `**` spans directories.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Iterable, Pattern


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> Pattern[str]:
    pattern = pattern.strip().rstrip("/")
    anchored = pattern.startswith("/")
    pattern = pattern.lstrip("/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    body = "".join(out)
    if "/" in pattern or anchored:
        return re.compile(f"^{body}(?:/.*)?$")
    return re.compile(f"(?:^|.*/){body}(?:/.*)?$")


def relative_to_root(path: str, root: str) -> str:
    """`path` relative to `root` when it lies under it (both as given or absolute)."""
    candidate = PurePosixPath(path.replace("\\", "/"))
    base = PurePosixPath(root.replace("\\", "/"))
    if candidate.is_absolute() and base.is_absolute():
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()


def matches_any(path: str, patterns: Iterable[str], root: str = ".") -> bool:
    import os

    absolute = os.path.abspath(path).replace("\\", "/")
    relative = relative_to_root(absolute, os.path.abspath(root))
    plain = path.replace("\\", "/")
    if plain.startswith("./"):
        plain = plain[2:]
    for pattern in patterns:
        regex = compile_glob(pattern)
        if regex.match(relative) or regex.match(plain):
            return True
    return False
