"""Starting a server in the background, at most one per key, without making the caller wait.

A server holds an exclusive flock on its lock file for its whole life, from
before it loads anything. A client that finds the lock taken knows a server
is starting or serving and starts none; two clients racing past the check
start two processes, and the second exits at once when it cannot take the
lock. The server is a grandchild in its own session (double fork), so it is
never this process's child: no zombie, no terminal signals, no waiting.
"""

from __future__ import annotations

import os
import sys

from . import location

_BOOT = (
    "import sys; sys.path[:] = sys.argv[4:]; "
    "from copguard_lint.daemon.server import main; main(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
)


def start_in_background(socket_path: str, lock_path: str, wait_for_caller: bool = True) -> bool:
    """Start a server for `socket_path` unless one holds the lock; True when one was started.

    `wait_for_caller`: the server warms up only once this process has ended,
    so that the caller's own run (in-process, right after this) does not
    compete with the warm-up for the CPU: the first call costs what a normal
    call costs.
    """
    if server_alive(lock_path):
        return False
    caller = str(os.getpid() if wait_for_caller else 0)
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # pragma: no cover - runs in the intermediate child
        code = 0
        try:
            os.setsid()
            if os.fork() == 0:
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.closerange(3, 1 << 16)  # nothing of the caller's (a hook runner's pipes) stays open
                # Built here, in the grandchild, so the caller does not pay for importing subprocess.
                command = [sys.executable, *_interpreter_flags(), "-c", _BOOT, socket_path, lock_path, caller,
                           *location.import_path()]
                os.chdir("/")
                os.execv(sys.executable, command)
        except BaseException:
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)
    return True


def server_alive(lock_path: str) -> bool:
    """Whether a server (starting or serving) holds the lock of this key."""
    import fcntl

    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return True  # cannot tell: do not start another one
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # releases the lock if we took it
    return False


def server_pid(lock_path: str):
    """The pid a server wrote into its lock file, or None."""
    try:
        with open(lock_path, "rb") as handle:
            return int(handle.read(32) or 0) or None
    except (OSError, ValueError):
        return None


def _interpreter_flags():
    """-O, -X, -W... of this interpreter, so the server runs the way a fresh process would."""
    try:
        import subprocess

        return subprocess._args_from_interpreter_flags()
    except (ImportError, AttributeError):  # pragma: no cover
        return []
