"""Frames, and standard streams travelling with them."""

from __future__ import annotations

import os
import socket

import pytest

from copguard_lint.daemon import wire

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or not hasattr(socket, "send_fds"),
                                reason="needs Unix sockets with fd passing")


def test_a_frame_round_trips_plain_values_and_file_descriptors(tmp_path):
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    value = {"argv": ["check", "caf\udcc3.py"], "env": {b"A": b"\xff"}, "umask": 0o22, "streams": [None]}
    path = tmp_path / "f"
    path.write_bytes(b"passed")
    with open(path, "rb") as handle, left, right:
        wire.send(left, value, fds=[handle.fileno()])
        got, fds = wire.receive(right, with_fds=True)
        assert got == value and len(fds) == 1
        with os.fdopen(fds[0], "rb") as passed:
            assert passed.read() == b"passed"


def test_a_large_frame_arrives_whole():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    value = ["file%d.py" % i for i in range(100_000)]
    with left, right:
        import threading

        sender = threading.Thread(target=wire.send, args=(left, value, [0]))
        sender.start()
        got, fds = wire.receive(right, with_fds=True)
        sender.join()
        for fd in fds:
            os.close(fd)
        assert got == value


def test_a_closed_connection_is_a_protocol_error():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    left.sendall(wire.encode("go")[:3])
    left.close()
    with right, pytest.raises(wire.ProtocolError):
        wire.receive(right)


def test_frames_are_read_one_at_a_time():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        left.sendall(wire.encode("go") + wire.encode({"exit": 1}))
        assert wire.receive(right)[0] == "go"
        assert wire.receive(right)[0] == {"exit": 1}
