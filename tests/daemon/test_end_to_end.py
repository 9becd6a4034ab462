"""The daemon end to end: real clients (`python -m copguard_lint`), real servers.

Each test has its own socket directory (see daemon_harness.py) and stops
every server it started. "Served by the server" is proved by the server's own
count of the runs it served, not by timing.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from daemon_harness import process_gone
from copguard_lint.daemon.launch import server_alive
from helpers import write_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the daemon is POSIX-only")

LEAKY = """\
import logging

def register(child):
    logging.info("new child %s", child.email)
"""
CLEAN = "x = 1\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return write_tree(tmp_path / "project", {"leaky.py": LEAKY, "clean.py": CLEAN, "pkg/views.py": LEAKY})


def same(a, b) -> None:
    assert (a.returncode, a.stdout.decode(), a.stderr.decode()) == (b.returncode, b.stdout.decode(), b.stderr.decode())


CASES = {
    "findings, text": (["check", "--no-cache", "leaky.py"], None),
    "findings, json": (["check", "--no-cache", "--format", "json", "leaky.py", "pkg"], None),
    "clean file": (["check", "--no-cache", "clean.py"], None),
    "missing path": (["check", "--no-cache", "clean.py", "nowhere.py"], None),
    "stdin": (["check", "-", "--stdin-filename", "pkg/views.py"], LEAKY.encode()),
    "exit zero": (["check", "--no-cache", "--exit-zero", "leaky.py"], None),
    "statistics, cache": (["check", "--statistics", "."], None),
}


def test_runs_match_in_process_runs(daemon, project):
    status = daemon.start(cwd=project)
    socket_path = status["socket"]
    for name, (args, stdin) in CASES.items():
        expected = daemon.run(args, project, input=stdin)
        served_before = daemon.status(socket_path)["served"]
        got = daemon.run([*args, "--daemon"], project, input=stdin)
        same(got, expected)
        assert daemon.status(socket_path)["served"] == served_before + 1, name
    assert {"findings, text", "missing path"} <= set(CASES)
    codes = {name: daemon.run(args, project, input=stdin).returncode for name, (args, stdin) in CASES.items()}
    assert codes["findings, text"] == 1 and codes["clean file"] == 0 and codes["missing path"] == 2
    assert codes["exit zero"] == 0


def test_env_variable_opts_in_and_daemon_commands_stay_local(daemon, project):
    status = daemon.start()
    got = daemon.run(["check", "--no-cache", "leaky.py"], project, COPGUARD_DAEMON="1")
    assert got.returncode == 1 and b"COP101" in got.stdout
    assert daemon.status(status["socket"])["served"] == 1
    shown = daemon.run(["daemon", "status"], project, COPGUARD_DAEMON="1")
    assert shown.returncode == 0 and f"pid {status['pid']}".encode() in shown.stdout
    assert daemon.status(status["socket"])["served"] == 1  # `daemon status` was not forwarded


def test_a_config_change_is_honoured_on_the_next_call(daemon, project):
    status = daemon.start()
    first = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    assert first.returncode == 1 and b"COP101" in first.stdout
    (project / "pyproject.toml").write_text('[tool.copguard]\nignore = ["COP101"]\n', encoding="utf-8")
    second = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    assert second.returncode == 0 and b"COP101" not in second.stdout
    assert daemon.status(status["socket"])["served"] == 2


def test_first_call_starts_a_server_and_runs_itself_then_the_server_serves(daemon, project):
    socket_path = daemon.socket_path()
    assert daemon.status(socket_path) is None
    expected = daemon.run(["check", "--no-cache", "leaky.py"], project)
    first = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    same(first, expected)
    status = daemon.wait_for(lambda: daemon.status(socket_path), "the auto-started server")
    assert status["served"] == 0  # the first call ran in its own process
    second = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    same(second, expected)
    assert daemon.status(socket_path)["served"] == 1


def test_a_ci_job_starts_no_server_but_uses_one_that_runs(daemon, project):
    socket_path = daemon.socket_path()
    expected = daemon.run(["check", "--no-cache", "leaky.py"], project)
    first = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project, CI="true")
    same(first, expected)
    # A started server takes its lock file before loading anything (launch.py): within a second.
    lock_path = socket_path[: -len(".sock")] + ".lock"
    time.sleep(1.0)
    assert not server_alive(lock_path)
    assert daemon.status(socket_path) is None
    daemon.start()
    served = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project, CI="true")
    same(served, expected)
    assert daemon.status(socket_path)["served"] == 1


def test_concurrent_first_calls_start_one_server(daemon, project):
    clients = [daemon.popen(["check", "--no-cache", "--daemon", "leaky.py"], project) for _ in range(3)]
    for process in clients:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 1 and b"COP101" in out
    socket_path = daemon.socket_path()
    daemon.wait_for(lambda: daemon.status(socket_path), "the server")
    time.sleep(1)  # any duplicate has long given up by now (it exits when it cannot take the lock)
    assert len(daemon.live_servers()) == 1


def test_concurrent_clients_get_their_own_results(daemon, project):
    status = daemon.start()
    args = {
        "leaky": ["check", "--no-cache", "--daemon", "leaky.py"],
        "clean": ["check", "--no-cache", "--daemon", "--format", "json", "clean.py"],
        "both": ["check", "--no-cache", "--daemon", "-q", "."],
    }
    expected = {name: daemon.run([a for a in argv if a != "--daemon"], project) for name, argv in args.items()}
    running = {name: daemon.popen(argv, project) for name, argv in args.items()}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        wanted = expected[name]
        assert (process.returncode, out, err) == (wanted.returncode, wanted.stdout, wanted.stderr), name
    assert daemon.status(status["socket"])["served"] == len(args)


def test_another_installation_key_gets_its_own_server(daemon, project):
    # PYTHON* variables shape interpreter start-up, so they are part of the key;
    # an unknown one is a harmless way to make "another installation".
    old = daemon.start(PYTHONCOPGUARDTESTKEY="one")
    new_socket = daemon.socket_path(PYTHONCOPGUARDTESTKEY="two")
    assert new_socket != old["socket"]
    first = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project, PYTHONCOPGUARDTESTKEY="two")
    assert first.returncode == 1
    new = daemon.wait_for(lambda: daemon.status(new_socket), "the new server")
    assert new["pid"] != old["pid"]
    daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project, PYTHONCOPGUARDTESTKEY="two")
    assert daemon.status(new_socket)["served"] == 1
    assert daemon.status(old["socket"])["served"] == 0


def test_stop(daemon, project):
    status = daemon.start()
    stopped = daemon.run(["daemon", "stop"], project)
    assert stopped.returncode == 0 and f"stopped: pid {status['pid']}".encode() in stopped.stdout
    daemon.wait_for(lambda: process_gone(status["pid"]), "the server to exit")
    assert not os.path.exists(status["socket"])
    assert daemon.run(["daemon", "status"], project).stdout.strip() == b"not running"
    assert daemon.run(["daemon", "stop"], project).stdout.strip() == b"not running"


def test_idle_timeout(daemon, project):
    status = daemon.start(COPGUARD_DAEMON_IDLE="1")
    daemon.wait_for(lambda: process_gone(status["pid"]), "the idle server to exit")
    assert not os.path.exists(status["socket"])
    assert daemon.live_servers() == []


def test_a_killed_server_falls_back_to_in_process(daemon, project):
    status = daemon.start()
    os.kill(status["pid"], signal.SIGKILL)
    daemon.wait_for(lambda: process_gone(status["pid"]), "the server to die")
    assert os.path.exists(status["socket"])  # stale: nobody listens
    expected = daemon.run(["check", "--no-cache", "leaky.py"], project)
    got = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    same(got, expected)
    restarted = daemon.wait_for(lambda: daemon.status(status["socket"]), "a new server")
    assert restarted["pid"] != status["pid"]


def test_a_killed_worker_is_reported_not_rerun(daemon, project):
    status = daemon.start()
    slow = project / "slow"
    slow.mkdir()
    client = daemon.popen(["check", "--no-cache", "--daemon", "-j", "1", "-"], slow)
    # the worker reads stdin (the pipe stays open) until it is killed
    worker = daemon.wait_for(lambda: _worker_of(status["pid"]), "the worker process")
    os.kill(worker, signal.SIGKILL)
    out, err = client.communicate(b"x = 1\n", timeout=120)
    assert client.returncode == 2
    assert b"signal 9" in err and out == b""


def _worker_of(server_pid: int):
    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        pytest.skip("needs /proc/PID/task/TID/children (Linux)")
    return int(children[0]) if children else None


def test_an_unsafe_socket_directory_is_refused(daemon, project):
    os.chmod(daemon.directory, 0o755)
    expected = daemon.run(["check", "--no-cache", "leaky.py"], project)
    got = daemon.run(["check", "--no-cache", "--daemon", "leaky.py"], project)
    assert (got.returncode, got.stdout) == (expected.returncode, expected.stdout)
    assert b"daemon mode unavailable" in got.stderr and b"accessible to other users" in got.stderr
    time.sleep(0.5)
    assert daemon.locks() == []  # no server was started
    os.chmod(daemon.directory, 0o700)


def test_the_scanned_tree_is_never_imported_by_the_server(daemon, tmp_path):
    from robustness.test_security import TRAP_NAMES, trap_tree

    markers = tmp_path / "markers"
    markers.mkdir()
    tree = tmp_path / "tree"
    trap_tree(tree, markers)
    status = daemon.start(cwd=tree)  # the server is even started from inside the tree
    got = daemon.run(["check", "--no-cache", "--daemon", "."], tree)
    assert got.returncode == 1 and b"COP101" in got.stdout
    assert daemon.status(status["socket"])["served"] == 1
    assert sorted(p.name for p in markers.iterdir()) == [], TRAP_NAMES


def test_ctrl_c_at_the_client_interrupts_the_run(daemon, project):
    status = daemon.start()
    client = daemon.popen(["check", "--daemon", "-"], project)
    daemon.wait_for(lambda: _worker_of(status["pid"]), "the worker process")
    time.sleep(1.0)  # it takes milliseconds to get to reading stdin, where it then waits
    client.send_signal(signal.SIGINT)
    client.wait(timeout=120)  # stdin stays open: the run can only end by the interrupt
    out, err = client.stdout.read(), client.stderr.read()
    client.stdin.close()
    # what click does with Ctrl-C in a normal run (it catches KeyboardInterrupt before copguard does)
    assert (client.returncode, out, err.decode().strip()) == (1, b"", "Aborted!")


def test_a_vanished_client_ends_its_run(daemon, project):
    status = daemon.start()
    client = daemon.popen(["check", "--daemon", "-"], project)
    worker = daemon.wait_for(lambda: _worker_of(status["pid"]), "the worker process")
    client.kill()
    client.communicate(timeout=120)
    daemon.wait_for(lambda: process_gone(worker), "the orphaned run to end")
    daemon.wait_for(lambda: daemon.status(status["socket"])["running"] == 0 or None, "the server to reap it")


def test_a_request_without_go_never_runs_and_does_not_keep_the_server(daemon, project):
    """The client may give up after "accepted" and run the request itself: the server must not run it too."""
    from copguard_lint.daemon import client, wire

    status = daemon.start(COPGUARD_DAEMON_IDLE="1")
    sock = client.connect(status["socket"])
    request = client._request(["check", "--no-cache", "-o", "report.txt", "leaky.py"])
    request["cwd"] = os.fsencode(str(project))
    with open(os.devnull, "rb") as devnull:
        wire.send(sock, request, fds=[devnull.fileno()] * 3)
    assert "accepted" in wire.receive(sock)[0]
    # ...and never say "go": the server drops the request, then idles out
    daemon.wait_for(lambda: process_gone(status["pid"]), "the server to exit")
    sock.close()
    assert not (project / "report.txt").exists()
