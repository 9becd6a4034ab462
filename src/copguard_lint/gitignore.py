"""The subset of git's ignore rules a file walker needs, without running git.

Supports comments, negation, directory-only patterns, anchoring (a pattern
with a `/` before its end is relative to its .gitignore's directory), `*`,
`?`, `[...]` and `**`. Rules are checked in order and the last match wins,
as in git; an ignored directory is pruned, so its files cannot be re-included,
also as in git.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Pattern


@dataclass(frozen=True)
class IgnoreRule:
    base: str  # directory of the .gitignore, relative to the repository root ("" for the root)
    regex: Pattern[str]
    negated: bool
    directory_only: bool


def _translate(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
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
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def parse_lines(lines: List[str], base: str) -> List[IgnoreRule]:
    rules = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip("\r")
        if not line or line.startswith("#"):
            continue
        # Trailing spaces are ignored unless escaped.
        while line.endswith(" ") and not line.endswith("\\ "):
            line = line[:-1]
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        elif line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _translate(line)
        regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$")
        rules.append(IgnoreRule(base, regex, negated, directory_only))
    return rules


class GitIgnore:
    """The ignore rules of one repository, loaded lazily per directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rules: List[IgnoreRule] = []
        self._loaded: set = set()
        exclude = root / ".git" / "info" / "exclude"
        self._load_file(exclude, "")

    @classmethod
    def for_path(cls, path: Path) -> Optional["GitIgnore"]:
        """The repository containing `path`, or None outside a git work tree."""
        start = Path(os.path.abspath(path if path.is_dir() else path.parent))
        for directory in (start, *start.parents):
            if (directory / ".git").exists():
                return cls(directory)
        return None

    def _load_file(self, path: Path, base: str) -> None:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        self.rules.extend(parse_lines(lines, base))

    def load_directory(self, directory: Path) -> None:
        """Read `directory/.gitignore` once (call for every directory walked, top down)."""
        try:
            relative = Path(os.path.abspath(directory)).relative_to(self.root).as_posix()
        except ValueError:
            return
        relative = "" if relative == "." else relative
        if relative in self._loaded:
            return
        self._loaded.add(relative)
        # Parents first, so a nested .gitignore is read after the ones above it.
        if relative:
            parent = str(Path(relative).parent.as_posix())
            if parent != "." and parent not in self._loaded:
                self.load_directory(self.root / parent)
            elif "" not in self._loaded:
                self.load_directory(self.root)
        self._load_file(directory / ".gitignore", relative)

    def ignored_with_parents(self, path: Path, is_dir: bool = False) -> bool:
        """Whether git would ignore `path` or any directory between the root and it.

        For a path met outside a walk (a file named on the command line), where
        no pruning has already dealt with its ignored parent directories.
        """
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return False
        self.load_directory(path.parent)
        for depth in range(1, len(parts)):
            if self.ignored(self.root.joinpath(*parts[:depth]), True):
                return True
        return self.ignored(path, is_dir)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether git would ignore `path` (an absolute path under the root)."""
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        result = False
        for rule in self.rules:
            if rule.directory_only and not is_dir:
                continue
            if rule.base:
                if not relative.startswith(rule.base + "/"):
                    continue
                candidate = relative[len(rule.base) + 1 :]
            else:
                candidate = relative
            if rule.regex.match(candidate):
                result = not rule.negated
        return result
