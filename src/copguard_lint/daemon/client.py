"""The thin client's side of one request: hand the run to a warm server, or say it cannot.

Runs on every `--daemon` call before anything heavy is imported, so it uses
only builtin and cheap stdlib modules (`_socket`, not `socket`, which pulls
in enum and selectors). Every failure before the server has started the run
answers None: the caller then runs the request in-process and nothing is
lost. Once the server has started it (after the "go" frame), the output may
already be on the terminal, so a lost server is reported (exit 2) rather
than run a second time.
"""

from __future__ import annotations

import os
import sys

from . import location, wire

TYPE_CHECKING = False  # typing costs milliseconds to import, and this runs in the thin client
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, Dict, List, Optional

ACCEPT_TIMEOUT = 5.0  # seconds for the server to take the request; then the client runs it itself
EXIT_ERROR = 2


def run(argv: List[str]) -> Optional[int]:
    """The exit code of `argv` run by the server, or None when the caller must run it in-process."""
    if not location.supported():
        return None
    for fd in (0, 1, 2):  # a closed standard stream cannot be passed: in-process handles it as usual
        try:
            os.fstat(fd)
        except OSError:
            return None
    try:
        directory = location.socket_dir()
        socket_path, lock_path = location.paths(directory)
    except (location.UnsafeDirectory, OSError) as error:
        _warn(f"daemon mode unavailable: {error}")
        return None
    sock = connect(socket_path)
    if sock is None:
        if not _in_ci():
            from . import launch

            launch.start_in_background(socket_path, lock_path)
        return None
    try:
        return _converse(sock, argv)
    finally:
        sock.close()


def _in_ci() -> bool:
    """A CI job (`CI=true`, set by GitHub Actions, GitLab, CircleCI...): no server is started.

    A job scans once and ends; a server it started would idle on a shared
    runner for the idle timeout. A server that is already there is still used.
    """
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def connect(socket_path: str):
    """A connected socket, or None when no server listens there."""
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(ACCEPT_TIMEOUT)
    try:
        sock.connect(socket_path)
    except OSError:
        sock.close()
        return None
    return sock


def _converse(sock, argv: List[str]) -> Optional[int]:
    try:
        wire.send(sock, _request(argv), fds=(0, 1, 2))
        reply, _ = wire.receive(sock)
        if not isinstance(reply, dict) or "accepted" not in reply:
            return None
        sock.settimeout(None)  # a run may take minutes
        wire.send(sock, "go")
    except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
        return None  # the server has not started the run: it is safe to run it here
    return _wait(sock)


def _wait(sock) -> int:
    """The run's exit code; Ctrl-C is passed on, as a terminal would deliver it to an in-process run."""
    while True:
        try:
            reply, _ = wire.receive(sock)
        except KeyboardInterrupt:
            try:
                wire.send(sock, "interrupt")
            except OSError:
                pass
            continue
        except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
            _warn("error: the copguard daemon stopped before reporting the result; "
                  "run again (or without --daemon)", prefix=False)
            return EXIT_ERROR
        if isinstance(reply, dict) and "exit" in reply:
            return int(reply["exit"])
        if isinstance(reply, dict) and "signal" in reply:
            _warn(f"error: the daemon's worker process was ended by signal {reply['signal']}; "
                  "run again without --daemon to see whether this happens in-process too", prefix=False)
            return EXIT_ERROR


def _request(argv: List[str]) -> Dict[str, Any]:
    umask = os.umask(0o022)
    os.umask(umask)
    return {
        "op": "run",
        "argv": list(argv),
        "cwd": os.getcwdb(),
        "env": dict(os.environb),
        "umask": umask,
        "streams": [_stream_settings(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)],
    }


def _stream_settings(stream) -> Optional[Dict[str, Any]]:
    """How this process's text stream encodes: the worker rebuilds its streams the same way."""
    if stream is None or not hasattr(stream, "encoding"):
        return None
    return {
        "encoding": stream.encoding,
        "errors": stream.errors,
        "line_buffering": bool(getattr(stream, "line_buffering", False)),
        "write_through": bool(getattr(stream, "write_through", False)),
    }


def control(op: str, socket_path: str) -> Optional[Dict[str, Any]]:
    """Send a control request ("status" or "stop"); the reply, or None when no server answers."""
    sock = connect(socket_path)
    if sock is None:
        return None
    try:
        wire.send(sock, {"op": op})
        reply, _ = wire.receive(sock)
        return reply if isinstance(reply, dict) else None
    except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
        return None
    finally:
        sock.close()


def _warn(message: str, prefix: bool = True) -> None:
    text = f"copguard: {'warning: ' if prefix else ''}{message}\n"
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass
