"""The server: accept a request, fork a child to run it, report the child's exit status.

Fork per request: each run gets a clean copy of the warm process, so its
working directory, environment, standard streams and any global state die
with it, and a crash ends only that child. The parent never runs a request
itself; it only accepts, forks, forwards Ctrl-C, reaps and answers, in one
single-threaded select loop (fork from a threaded process is unsafe).

A request goes: client sends the request with its stdin/stdout/stderr
attached; server answers "accepted"; client answers "go"; server forks.
Until "go" the client may still give up and run the request itself, and
nothing has run twice. After it, the child's exit status is the answer.
Ctrl-C at the client arrives as an "interrupt" frame and becomes SIGINT for
the child's process group (the child and its worker processes), as the
terminal would have sent it; a client that disappears gets its run stopped
(SIGTERM).

The server exits after COPGUARD_DAEMON_IDLE seconds without requests
(default 900) or on `copguard daemon stop`, removing its socket.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import struct
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

from . import wire

IDLE_ENV = "COPGUARD_DAEMON_IDLE"
DEFAULT_IDLE = 900.0
REQUEST_TIMEOUT = 5.0


CALLER_WAIT = 60.0  # seconds at most to wait for the starting client to end its own run


def main(socket_path: str, lock_path: str, caller: int = 0) -> None:
    """Entry of a server process started by launch.py (stdio already on /dev/null).

    `caller`: the pid of the client that started it, which is running its
    request in-process; warming up only after it ended leaves it the CPU.
    """
    lock_fd = _take_lock(lock_path)
    if lock_fd is None:
        return  # another server has this key
    _wait_for(caller)
    from . import warmup

    warmup.load()
    listener, inode = _listen(socket_path)
    server = Server(listener, socket_path, inode, idle_timeout())
    try:
        server.serve()
    finally:
        server.stop_listening()
        os.close(lock_fd)


def _wait_for(pid: int) -> None:
    deadline = time.monotonic() + CALLER_WAIT
    while pid > 0 and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        except OSError:
            return
        time.sleep(0.02)


def idle_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get(IDLE_ENV, "") or DEFAULT_IDLE))
    except ValueError:
        return DEFAULT_IDLE


def _take_lock(lock_path: str) -> Optional[int]:
    import fcntl

    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    for attempt in range(5):  # a client's liveness check (launch.server_alive) holds it for microseconds
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if attempt == 4:
                os.close(fd)
                return None
            time.sleep(0.02)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())  # for `daemon status` while warming up, and for tests
    return fd


def _listen(socket_path: str) -> Tuple[socket.socket, int]:
    try:
        os.unlink(socket_path)  # we hold the lock: whatever is there is a dead server's
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(socket_path)
    finally:
        os.umask(old_umask)
    listener.listen(64)
    return listener, os.stat(socket_path).st_ino


def _remove_socket(listener: socket.socket, socket_path: str, inode: int) -> None:
    """Close the listener; unlink the socket file only if it is still the one we bound."""
    try:
        if os.stat(socket_path).st_ino == inode:
            os.unlink(socket_path)
    except OSError:
        pass
    listener.close()


class Server:
    """The select loop. Handlers are stored as selector data: `handler(sock)`."""

    def __init__(self, listener: socket.socket, socket_path: str, inode: int, idle: float) -> None:
        self.listener, self.socket_path, self.inode, self.idle = listener, socket_path, inode, idle
        self.stop_requested = False
        self.selector = selectors.DefaultSelector()
        # accepted requests awaiting the client's "go": conn -> (request, fds, deadline)
        self.waiting: Dict[socket.socket, Tuple[Dict[str, Any], List[int], float]] = {}
        self.running: Dict[int, socket.socket] = {}
        self.served = 0
        self.started = time.time()
        self.last_activity = time.monotonic()
        self.listening = True
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that SIGCHLD wakes the loop
        signal.signal(signal.SIGTERM, self._on_sigterm)
        self.selector.register(listener, selectors.EVENT_READ, self._accept)
        self.selector.register(self.wake_read, selectors.EVENT_READ, self._drain)

    def serve(self) -> None:
        while True:
            self._reap()
            if self.stop_requested:
                self.stop_listening()
            self._expire_waiting()
            busy = self.waiting or self.running
            if not busy and (not self.listening or time.monotonic() - self.last_activity >= self.idle):
                return
            if self.waiting:  # wake up for the next deadline
                timeout = max(0.0, min(entry[2] for entry in self.waiting.values()) - time.monotonic())
            elif busy:
                timeout = None  # a SIGCHLD wakes the loop
            else:
                timeout = max(0.0, self.idle - (time.monotonic() - self.last_activity))
            for key, _ in self.selector.select(timeout):
                key.data(key.fileobj)

    def stop_listening(self) -> None:
        """New clients go elsewhere at once; runs in progress finish and get their answers."""
        if self.listening:
            self.listening = False
            self.selector.unregister(self.listener)
            _remove_socket(self.listener, self.socket_path, self.inode)

    def _on_sigterm(self, *_) -> None:
        self.stop_requested = True  # acted on by the loop, which the signal wakes up

    def _expire_waiting(self) -> None:
        """A client that never says "go" (stopped, hung) must not keep the server busy forever."""
        now = time.monotonic()
        for conn, (_, fds, deadline) in list(self.waiting.items()):
            if now >= deadline:
                del self.waiting[conn]
                self.selector.unregister(conn)
                _close_all(fds)
                conn.close()

    # -- handlers -----------------------------------------------------------------------------

    def _drain(self, _fd) -> None:
        try:
            while os.read(self.wake_read, 512):
                pass
        except BlockingIOError:
            pass

    def _accept(self, _listener) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.last_activity = time.monotonic()
        if not _same_user(conn):
            conn.close()
            return
        conn.settimeout(REQUEST_TIMEOUT)
        try:
            request, fds = wire.receive(conn, with_fds=True)
        except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
            conn.close()
            return
        op = request.get("op") if isinstance(request, dict) else None
        try:
            if op == "run" and len(fds) == 3:
                wire.send(conn, {"accepted": os.getpid()})
                self.waiting[conn] = (request, fds, time.monotonic() + REQUEST_TIMEOUT)
                self.selector.register(conn, selectors.EVENT_READ, self._go)
                return
            _close_all(fds)
            if op == "status":
                wire.send(conn, self.status())
            elif op == "stop":
                wire.send(conn, {"stopped": os.getpid()})
                self.stop_listening()
        except OSError:
            pass
        if conn not in self.waiting:
            conn.close()

    def _go(self, conn: socket.socket) -> None:
        self.selector.unregister(conn)
        request, fds, _ = self.waiting.pop(conn)
        try:
            frame, _ = wire.receive(conn)
        except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
            frame = None
        if frame != "go":  # the client gave up and runs the request itself
            _close_all(fds)
            conn.close()
            return
        pid = self._fork(conn, request, fds)
        _close_all(fds)
        if pid is None:
            conn.close()
            return
        self.running[pid] = conn
        self.selector.register(conn, selectors.EVENT_READ, lambda c, pid=pid: self._client_says(pid, c))

    def _fork(self, conn: socket.socket, request: Dict[str, Any], fds: List[int]) -> Optional[int]:
        try:
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:  # pragma: no cover - the child; coverage cannot follow os._exit
            code = 2
            try:
                self._become_child(conn)
                from . import worker

                code = worker.run(request, fds)
            except KeyboardInterrupt:  # Ctrl-C before the CLI took over
                code = _say("copguard: interrupted")
            except BaseException as error:  # noqa: BLE001 - nothing may escape into the server's loop
                code = _say(f"copguard: internal error in the daemon's worker: {type(error).__name__}: {error}")
            finally:
                os._exit(code)
        try:
            os.setpgid(pid, pid)  # also done by the child: whichever runs first
        except OSError:
            pass
        return pid

    def _become_child(self, conn: socket.socket) -> None:
        """Drop everything of the server but the warm modules; keep `conn` open.

        The open `conn` keeps the client waiting until this child ends even if
        the server dies meanwhile, so the client never returns while the
        child may still write to its terminal.
        """
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        os.setpgid(0, 0)
        self.selector.close()
        self.listener.close()
        os.close(self.wake_read)
        os.close(self.wake_write)
        for other in [*self.waiting, *self.running.values()]:
            if other is not conn:
                other.close()

    def _client_says(self, pid: int, conn: socket.socket) -> None:
        try:
            frame, _ = wire.receive(conn)
        except (OSError, wire.ProtocolError, ValueError, EOFError, TypeError):
            frame = None
        if frame == "interrupt":
            _signal_group(pid, signal.SIGINT)
            return
        # The client is gone (killed, or closed the terminal): nobody reads the run's output.
        self.selector.unregister(conn)
        _signal_group(pid, signal.SIGTERM)

    def _reap(self) -> None:
        while self.running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.running.pop(pid, None)
            if conn is None:
                continue
            self.served += 1
            self.last_activity = time.monotonic()
            code = os.waitstatus_to_exitcode(status)
            try:
                self.selector.unregister(conn)
            except (KeyError, ValueError):
                pass
            try:
                wire.send(conn, {"exit": code} if code >= 0 else {"signal": -code})
            except OSError:
                pass
            conn.close()

    def status(self) -> Dict[str, Any]:
        return {
            "pid": os.getpid(),
            "started": self.started,
            "served": self.served,
            "running": len(self.running),
            "idle_timeout": self.idle,
            "idle_for": time.monotonic() - self.last_activity,
            "python": sys.version.split()[0],
            "executable": sys.executable,
            "socket": self.socket_path,
        }


def _same_user(conn: socket.socket) -> bool:
    """Linux: the peer's uid must be ours (the 0700 directory already keeps others out)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    try:
        _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    except OSError:
        return False
    return uid == os.getuid()


def _signal_group(pid: int, number: int) -> None:
    try:
        os.killpg(pid, number)
    except OSError:
        try:
            os.kill(pid, number)
        except OSError:
            pass


def _say(message: str) -> int:
    """Write `message` to the request's stderr (fd 2, the client's once the worker took it); exit 2."""
    try:
        os.write(2, message.encode("utf-8", "backslashreplace") + b"\n")
    except OSError:
        pass
    return 2


def _close_all(fds: List[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
