"""Glob matching for excludes and per-file-ignores, the way users write them.

A pattern without `/` matches any path component or the file name
(`migrations`, `*_test.py`); a pattern with `/` matches the path relative to
the config root (`src/legacy/**`, `tests/*`), and so does one starting with
`./` or `/` (`./setup.py` is the root's setup.py only). `**` spans directories.
A pattern that matches a directory also matches everything below it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Iterable, Pattern


def is_anchored(pattern: str) -> bool:
    """Whether `pattern` is matched against the path from the root (else against any name in it)."""
    pattern = pattern.strip().rstrip("/")
    return "/" in pattern


@lru_cache(maxsize=512)
def compile_glob(pattern: str, descendants: bool = True) -> Pattern[str]:
    """The regex of `pattern`; with `descendants`, it also matches whatever lies below a match."""
    pattern = pattern.strip().rstrip("/")
    anchored = is_anchored(pattern)
    pattern = pattern.lstrip("/")
    while pattern.startswith("./"):
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
    below = "(?:/.*)?" if descendants else ""
    if anchored:
        return re.compile(f"^{body}{below}$")
    return re.compile(f"(?:^|.*/){body}{below}$")


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
    """Whether `path` (relative to the working directory, or absolute) matches a pattern.

    The path is matched from `root` when it lies under it, and only then, so
    `tests/*` means the root's tests/ even when copguard runs in a
    subdirectory that has a tests/ of its own. A path outside the root (a
    file named from elsewhere) is matched as given.
    """
    import os

    absolute = os.path.abspath(path).replace("\\", "/")
    relative = relative_to_root(absolute, os.path.abspath(root))
    if PurePosixPath(relative).is_absolute():
        relative = path.replace("\\", "/")
        while relative.startswith("./"):
            relative = relative[2:]
    return any(compile_glob(pattern).match(relative) for pattern in patterns)
