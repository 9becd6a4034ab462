"""Where a server's socket lives, and which server a client may talk to.

The socket's name carries a key: a digest of everything that decides what a
run would do in a fresh process (this package's files and version, the
interpreter and its flags, where click and libcst come from, the variables
that shape interpreter start-up). An upgraded or edited copguard, or another
venv, computes another key, so it never talks to an old server; old servers
just time out. Only stdlib modules that are cheap to import are used: this
runs in the thin client on every `--daemon` call.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False  # typing costs milliseconds to import, and this runs in the thin client
if TYPE_CHECKING:  # pragma: no cover
    from typing import List, Optional, Tuple

DIR_ENV = "COPGUARD_DAEMON_DIR"  # tests and unusual setups: the socket directory to use
MAX_SOCKET_PATH = 100  # sun_path is 104-108 bytes depending on the platform
_DEPENDENCIES = ("click", "libcst") + (("tomli",) if sys.version_info < (3, 11) else ())
_STARTUP_ENV_PREFIXES = ("PYTHON", "LC_")
_STARTUP_ENV = ("LANG", "LANGUAGE")


class UnsafeDirectory(Exception):
    """The socket directory exists but is not private to this user."""


# POSIX's temporary directory (tempfile.gettempdir() would cost the thin client its imports).
_SYSTEM_TEMP = os.sep + "tmp"


def supported() -> bool:
    """Unix sockets, fd passing and fork: the daemon needs all three."""
    import _socket

    return hasattr(os, "fork") and hasattr(_socket, "AF_UNIX") and hasattr(_socket, "SCM_RIGHTS")


def socket_dir() -> str:
    """A private per-user directory; created (0700) when missing, refused when not ours."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        candidates = [configured]
    else:
        candidates = []
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and os.path.isabs(runtime):
            candidates.append(os.path.join(runtime, "copguard"))
        temp = os.environ.get("TMPDIR") or _SYSTEM_TEMP
        candidates.append(os.path.join(temp, f"copguard-{os.getuid()}"))
        candidates.append(os.path.join(_SYSTEM_TEMP, f"copguard-{os.getuid()}"))  # TMPDIR too deep for sun_path
    problem: Optional[Exception] = None
    for directory in candidates:
        if len(os.fsencode(directory)) + 30 > MAX_SOCKET_PATH:
            continue
        try:
            _ensure_private(directory)
            return directory
        except (UnsafeDirectory, OSError) as error:
            if configured:
                raise
            problem = problem or error  # e.g. XDG_RUNTIME_DIR of another user after sudo: try the next
    raise problem or UnsafeDirectory(f"no socket directory short enough for a Unix socket ({candidates[0]})")


def _ensure_private(directory: str) -> None:
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectory(f"{directory} is not a directory")
    if info.st_uid != os.getuid():
        raise UnsafeDirectory(f"{directory} belongs to another user")
    if info.st_mode & 0o077:
        raise UnsafeDirectory(f"{directory} is accessible to other users (mode {stat.S_IMODE(info.st_mode):o})")


def key() -> str:
    """16 hex digits naming the server that runs exactly this installation."""
    try:
        from _blake2 import blake2b  # builtin; hashlib would load OpenSSL (milliseconds)
    except ImportError:  # pragma: no cover - a Python built without _blake2
        from hashlib import blake2b

    digest = blake2b(digest_size=8)
    for part in _key_parts():
        digest.update(os.fsencode(part) if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _key_parts() -> List[str]:
    from .. import __version__

    parts = [__version__, sys.executable, sys.version, repr(sys.flags), repr(sorted(sys._xoptions.items())),
             repr(sys.warnoptions), str(os.getuid())]
    parts += sorted(f"{name}={value}" for name, value in os.environ.items()
                    if name.startswith(_STARTUP_ENV_PREFIXES) or name in _STARTUP_ENV)
    package = package_dir()
    for root in (package, *rules_dirs(package)):
        parts += _tree_stats(root)
    for name in _DEPENDENCIES:
        parts.append(_dependency_stamp(name))
    return parts


def package_dir() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rules_dirs(package: str) -> List[str]:
    """The rule data folders `resources.rules_dir` may choose from (installed or checkout)."""
    candidates = [os.path.join(package, "_rules"), os.path.join(os.path.dirname(os.path.dirname(package)), "rules")]
    return [candidate for candidate in candidates if os.path.isdir(candidate)]


def _tree_stats(root: str) -> List[str]:
    found: List[str] = []
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            else:
                try:
                    info = entry.stat()
                except OSError:
                    continue
                found.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
    return sorted(found)


def _dependency_stamp(name: str) -> str:
    """Where `name` would be imported from, and when that was (re)installed; without importing it."""
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(name)
    origin = getattr(spec, "origin", None) if spec is not None else None
    if not origin:
        return f"{name}:?"
    try:
        info = os.stat(os.path.dirname(origin) if spec.submodule_search_locations else origin)
    except OSError:
        return f"{name}:{origin}:?"
    return f"{name}:{origin}:{info.st_mtime_ns}"


def paths(directory: Optional[str] = None, server_key: Optional[str] = None) -> Tuple[str, str]:
    """(socket path, lock path) of the server for this installation."""
    directory = directory or socket_dir()
    server_key = server_key or key()
    base = os.path.join(directory, server_key)
    return base + ".sock", base + ".lock"


def import_path() -> List[str]:
    """The client's sys.path for the server, absolute, without the working directory.

    A relative entry would be resolved against the directory each child
    changes into, that is, against the scanned tree: it must never be used.
    """
    cwd = os.getcwd()
    result = []
    for entry in sys.path:
        if not entry or not os.path.isabs(entry):
            continue
        if os.path.realpath(entry) == os.path.realpath(cwd) and entry != os.path.dirname(package_dir()):
            continue
        result.append(entry)
    return result
