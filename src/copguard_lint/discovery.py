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
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .config import Settings
from .gitignore import GitIgnore
from .globs import compile_glob, is_anchored

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
    """Config excludes and .gitignore, applied the way Ruff applies them.

    While walking, a pattern without `/` is matched against the name of each
    entry met and an anchored pattern against the entry's path from the config
    root, so directories above the scanned tree never count: a checkout under
    `~/build/` or `/srv/env/` is not excluded wholesale. A file named on the
    command line is matched on its whole path from the root (or the working
    directory), and against the .gitignore rules of every directory above it,
    since no walk has pruned those for it.
    """

    def __init__(self, settings: Settings, cwd: Path) -> None:
        patterns = (*settings.exclude, *settings.extend_exclude)
        self.name_patterns = tuple(compile_glob(p) for p in patterns if not is_anchored(p))
        self.path_patterns = tuple(compile_glob(p, descendants=False) for p in patterns if is_anchored(p))
        self.whole_patterns = tuple(compile_glob(p) for p in patterns)
        self.root = Path(os.path.abspath(cwd / settings.root))
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

    def _relative(self, path: Path, *bases: Path) -> str:
        for base in (self.root, *bases):
            try:
                return path.relative_to(base).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def reason(self, path: Path, is_dir: bool, gitignore: Optional[GitIgnore], top: Path) -> Optional[str]:
        """Why an entry met while walking `top` is skipped, or None."""
        if any(regex.match(path.name) for regex in self.name_patterns) or any(
            regex.match(self._relative(path, top)) for regex in self.path_patterns
        ):
            return "excluded by configuration"
        if gitignore is not None:
            gitignore.load_directory(path.parent)
            if gitignore.ignored(path, is_dir):
                return "ignored by .gitignore"
        return None

    def reason_for_named_file(self, path: Path) -> Optional[str]:
        """Why a file named on the command line is skipped under --force-exclude, or None."""
        relative = self._relative(path, self.cwd)
        if any(regex.match(relative) for regex in self.whole_patterns):
            return "excluded by configuration"
        gitignore = self.gitignore_for(path)
        if gitignore is not None and gitignore.ignored_with_parents(path):
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
            if force_exclude and excluder.reason_for_named_file(path) is not None:
                continue
            add(path)
    result.files.sort(key=lambda item: item[1])
    return result


def _walk(top: Path, excluder: _Excluder, add, result: Discovery, cwd: Path) -> None:
    gitignore = excluder.gitignore_for(top)
    real_top = os.path.realpath(top)
    def unlisted(error: OSError) -> None:
        where = Path(error.filename) if error.filename else top
        result.skipped.append((display_path(where, cwd), f"directory cannot be read: {error.strerror or error}"))

    for directory, dirnames, filenames in os.walk(top, followlinks=False, onerror=unlisted):
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
            if excluder.reason(child, True, gitignore, top) is None:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(PYTHON_SUFFIXES):
                continue
            child = base / name
            if excluder.reason(child, False, gitignore, top) is not None:
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
            if not _is_regular_file(child):
                # A FIFO or device named *.py would block the read forever.
                result.skipped.append((display_path(child, cwd), "not a regular file"))
                continue
            add(child)


def _is_regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # let the engine read it and report what is wrong as COP001
