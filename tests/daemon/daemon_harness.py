"""Test harness for the daemon: a private socket directory per test, and no process left behind.

Every server a test starts lives in the harness's own directory (through
COPGUARD_DAEMON_DIR), never in the user's, and `cleanup` stops (or, failing
that, kills) each one by the pid in its lock file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import pytest

from copguard_lint.daemon import client, launch, location
from copguard_lint.daemon.server import IDLE_ENV
from helpers import PYTHON

SOURCE_ROOT = os.path.dirname(location.package_dir())
DEADLINE = 60.0  # seconds; generous, for a loaded 2-core machine


class Harness:
    def __init__(self) -> None:
        directory = tempfile.mkdtemp(prefix="cgd")
        if len(os.fsencode(directory)) + 30 > location.MAX_SOCKET_PATH:
            shutil.rmtree(directory)
            pytest.skip("the temporary directory is too deep for a Unix socket path")
        os.chmod(directory, 0o700)
        self.directory = directory

    # -- running copguard ------------------------------------------------------------------------

    def env(self, **extra: str) -> Dict[str, str]:
        env = dict(os.environ)
        for name in ("COPGUARD_DEBUG", "COPGUARD_DAEMON", "COPGUARD_CACHE_DIR", "CI"):
            env.pop(name, None)
        env[location.DIR_ENV] = self.directory
        # The copguard under test, whatever the working directory (a relative PYTHONPATH would not be).
        env["PYTHONPATH"] = os.pathsep.join([SOURCE_ROOT, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
        env[IDLE_ENV] = "300"  # a server a test forgets still goes away
        env.update(extra)
        return env

    def run(self, args: Sequence[str], cwd: Path, input: Optional[bytes] = None,
            **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "-m", "copguard_lint", *args], cwd=str(cwd), env=self.env(**env),
                              input=input, capture_output=True, timeout=300)

    def popen(self, args: Sequence[str], cwd: Path, **env: str) -> subprocess.Popen:
        return subprocess.Popen([PYTHON, "-m", "copguard_lint", *args], cwd=str(cwd), env=self.env(**env),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    # -- the server ------------------------------------------------------------------------------

    def socket_path(self, **env: str) -> str:
        """The socket a client with this environment would use (computed by such a client)."""
        done = subprocess.run(
            [PYTHON, "-c", "from copguard_lint.daemon import location; print(location.paths()[0])"],
            env=self.env(**env), capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip()

    def start(self, cwd: Optional[Path] = None, **env: str) -> Dict:
        done = self.run(["daemon", "start"], cwd or Path(self.directory), **env)
        assert done.returncode == 0, done.stderr.decode()
        status = self.status(self.socket_path(**env))
        assert status is not None
        return status

    def status(self, socket_path: str) -> Optional[Dict]:
        return client.control("status", socket_path)

    def wait_for(self, predicate, what: str):
        deadline = time.monotonic() + DEADLINE
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def locks(self) -> List[str]:
        return sorted(str(path) for path in Path(self.directory).glob("*.lock"))

    def live_servers(self) -> List[str]:
        return [lock for lock in self.locks() if launch.server_alive(lock)]

    def cleanup(self) -> None:
        for lock in self.locks():
            socket_path = lock[: -len(".lock")] + ".sock"
            if launch.server_alive(lock):
                client.control("stop", socket_path)
        deadline = time.monotonic() + 20
        while self.live_servers() and time.monotonic() < deadline:
            time.sleep(0.05)
        for lock in self.live_servers():  # stuck: kill it, by its own pid
            pid = launch.server_pid(lock)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(self.directory, ignore_errors=True)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a zombie is gone for our purposes (the server is never our child: init reaps it)
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().split(b") ", 1)[1][:1] == b"Z"
    except OSError:
        return False
