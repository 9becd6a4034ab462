"""One request in a forked child: become the client's process, then run the normal CLI.

The child takes the client's working directory, environment, umask and
standard streams (the passed file descriptors, wrapped with the client's
encodings), so colours, tty detection, piping and stdin behave as they would
in-process. Everything it changes dies with it. sys.path is the server's,
which never contains the scanned tree (see launch.py and location.py).
"""

from __future__ import annotations

import io
import os
import sys
from typing import Any, Dict, List, Optional

_NAMES = ("<stdin>", "<stdout>", "<stderr>")


def run(request: Dict[str, Any], fds: List[int]) -> int:
    """Run the request's argv with the CLI; its exit code."""
    os.umask(int(request["umask"]))
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    _adopt_streams(request.get("streams") or [None, None, None])
    _adopt_environment(request["env"])
    argv = [str(arg) for arg in request["argv"]]
    sys.argv = ["copguard", *argv]
    try:
        os.chdir(request["cwd"])
    except OSError as error:
        sys.stderr.write(f"copguard: error: cannot enter the working directory: {error.strerror}\n")
        return _flush(2)
    from ..cli import main

    try:
        main(argv)
        code: Any = 0
    except SystemExit as exit_:
        code = exit_.code
    return _flush(_exit_status(code))


def _adopt_environment(env: Dict[bytes, bytes]) -> None:
    os.environb.clear()
    os.environb.update(env)
    if "tempfile" in sys.modules:  # it caches $TMPDIR's choice on first use
        sys.modules["tempfile"].tempdir = None


def _adopt_streams(settings: List[Optional[Dict[str, Any]]]) -> None:
    streams = [_text_stream(fd, settings[fd] if fd < len(settings) else None) for fd in (0, 1, 2)]
    sys.stdin, sys.stdout, sys.stderr = streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = streams


def _text_stream(fd: int, settings: Optional[Dict[str, Any]]) -> io.TextIOWrapper:
    """What Python builds for a standard stream at start-up, on the client's terms."""
    settings = settings or {}
    raw = io.FileIO(fd, "rb" if fd == 0 else "wb", closefd=False)
    raw.name = _NAMES[fd]
    buffer = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
    return io.TextIOWrapper(
        buffer,
        encoding=settings.get("encoding") or "utf-8",
        errors=settings.get("errors") or "strict",
        newline="\n",
        line_buffering=bool(settings.get("line_buffering", fd == 2)),
        write_through=bool(settings.get("write_through", False)),
    )


def _exit_status(code: Any) -> int:
    """sys.exit's meaning of `code`, as the interpreter applies it at exit."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(f"{code}\n")
    except (OSError, ValueError):
        pass
    return 1


def _flush(code: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return code
