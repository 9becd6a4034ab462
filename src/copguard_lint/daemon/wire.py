"""Frames on a Unix stream socket: a 4-byte length, then a marshal payload.

marshal is builtin (no import cost in the thin client) and round-trips the
plain values a request needs (str with surrogates, bytes, lists, dicts).
Both ends are the same interpreter (the server key includes sys.executable
and sys.version) and the same user (private directory, peer credentials),
so the payload is trusted. The first frame of a request may carry file
descriptors (SCM_RIGHTS): the client's stdin, stdout and stderr.
"""

from __future__ import annotations

import marshal
import struct

TYPE_CHECKING = False  # typing costs milliseconds to import, and this runs in the thin client
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any, List, Sequence, Tuple

MAX_FRAME = 64 << 20  # a pre-commit call with thousands of file names is well under this
MAX_FDS = 3
_HEADER = struct.Struct("!I")
_FD = struct.Struct("i")


class ProtocolError(Exception):
    """The other end closed the connection or sent something that is not a frame."""


def encode(value: Any) -> bytes:
    payload = marshal.dumps(value)
    return _HEADER.pack(len(payload)) + payload


def send(sock, value: Any, fds: Sequence[int] = ()) -> None:
    """Send one frame; `fds` travel with its first bytes."""
    data = encode(value)
    if fds:
        import _socket

        ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, b"".join(_FD.pack(fd) for fd in fds))]
        sent = sock.sendmsg([data], ancillary)
        data = data[sent:]
    if data:
        sock.sendall(data)


def receive(sock, with_fds: bool = False) -> Tuple[Any, List[int]]:
    """One frame, and any file descriptors that came with it."""
    fds: List[int] = []
    buffer = b""
    if with_fds:
        import socket

        buffer, fds, _, _ = socket.recv_fds(sock, _HEADER.size, MAX_FDS)
    try:
        buffer = _read_exactly(sock, buffer, _HEADER.size)
        (length,) = _HEADER.unpack(buffer[: _HEADER.size])
        if length > MAX_FRAME:
            raise ProtocolError(f"frame of {length} bytes")
        buffer = _read_exactly(sock, buffer, _HEADER.size + length)
        if len(buffer) != _HEADER.size + length:
            raise ProtocolError("more than one frame at once")
        return marshal.loads(buffer[_HEADER.size:]), fds
    except BaseException:
        for fd in fds:
            _close(fd)
        raise


def _read_exactly(sock, buffer: bytes, size: int) -> bytes:
    while len(buffer) < size:
        chunk = sock.recv(min(size - len(buffer), 1 << 20))  # never into the next frame
        if not chunk:
            raise ProtocolError("connection closed")
        buffer += chunk
    return buffer


def _close(fd: int) -> None:
    import os

    try:
        os.close(fd)
    except OSError:
        pass
