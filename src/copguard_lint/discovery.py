"""Which files a run checks.

Directories are walked for `*.py` and `*.pyi`; excluded directories are pruned
rather than filtered, so large ignored trees (node_modules, .venv) cost
nothing. Directory symlinks are never followed (no loops, nothing outside the
tree); file symlinks are followed only when they point inside the tree walked.
Everything passed over that a user might expect to be checked is returned in
`skipped` with a reason, so nothing is dropped silently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .config import Settings
from .gitignore import GitIgnore
from .globs import matches_any

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Discovery:
    files: List[Tuple[Path, str]] = field(default_factory=list)  # (path, display path)
    missing: List[str] = field(default_factory=list)  # command-line paths that do not exist
    skipped: List[Tuple[str, str]] = field(default_factory=list)  # (display path, reason)


def display_path(path: Path, cwd: Path) -> str:
    """Path relative to the working directory with `/` separators, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


class _Excluder:
    def __init__(self, settings: Settings, cwd: Path) -> None:
        self.patterns = (*settings.exclude, *settings.extend_exclude)
        self.root = settings.root
        self.respect_gitignore = settings.respect_gitignore
        self.cwd = cwd
        self._gitignores: Dict[str, Optional[GitIgnore]] = {}

    def gitignore_for(self, path: Path) -> Optional[GitIgnore]:
        if not self.respect_gitignore:
            return None
        key = str(path if path.is_dir() else path.parent)
        if key not in self._gitignores:
            self._gitignores[key] = GitIgnore.for_path(path)
        return self._gitignores[key]

    def reason(self, path: Path, is_dir: bool, gitignore: Optional[GitIgnore]) -> Optional[str]:
        if matches_any(display_path(path, self.cwd), self.patterns, self.root) or matches_any(
            str(path), self.patterns, self.root
        ):
            return "excluded by configuration"
        if gitignore is not None:
            gitignore.load_directory(path.parent)
            if gitignore.ignored(path, is_dir):
                return "ignored by .gitignore"
        return None


def discover(
    paths: Sequence[str],
    settings: Settings,
    *,
    force_exclude: bool = False,
    cwd: Optional[Path] = None,
) -> Discovery:
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    result = Discovery()
    excluder = _Excluder(settings, cwd)
    seen = set()

    def add(path: Path) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            result.files.append((path, display_path(path, cwd)))

    for given in paths:
        path = Path(given) if Path(given).is_absolute() else cwd / given
        path = Path(os.path.abspath(path))
        if not path.exists():
            if path.is_symlink():
                result.skipped.append((display_path(path, cwd), "dangling symlink"))
            else:
                result.missing.append(given)
            continue
        if path.is_dir():
            _walk(path, excluder, add, result, cwd)
        else:
            if force_exclude:
                reason = excluder.reason(path, False, excluder.gitignore_for(path))
                if reason is not None:
                    continue
            add(path)
    result.files.sort(key=lambda item: item[1])
    return result


def _walk(top: Path, excluder: _Excluder, add, result: Discovery, cwd: Path) -> None:
    gitignore = excluder.gitignore_for(top)
    real_top = os.path.realpath(top)
    for directory, dirnames, filenames in os.walk(top, followlinks=False, onerror=None):
        base = Path(directory)
        if gitignore is not None:
            gitignore.load_directory(base)
        kept = []
        for name in sorted(dirnames):
            child = base / name
            if child.is_symlink():
                if name.endswith(PYTHON_SUFFIXES):
                    result.skipped.append((display_path(child, cwd), "symlink to a directory (not followed)"))
                continue
            if excluder.reason(child, True, gitignore) is None:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES):
                continue
            child = base / name
            if excluder.reason(child, False, gitignore) is not None:
                continue
            if child.is_symlink():
                target = os.path.realpath(child)
                if not os.path.exists(target):
                    result.skipped.append((display_path(child, cwd), "dangling symlink"))
                    continue
                if not (target == real_top or target.startswith(real_top + os.sep)):
                    result.skipped.append(
                        (display_path(child, cwd), "symlink pointing outside the scanned tree (not followed)")
                    )
                    continue
                if os.path.isdir(target):
                    result.skipped.append((display_path(child, cwd), "symlink to a directory (not followed)"))
                    continue
            add(child)
