"""The progress bar: on stderr for long scans in a terminal, nothing at all otherwise."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from ci_support import cli

import helpers
from copguard_lint.progress import THRESHOLD, ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def many_files(root: Path, count: int) -> None:
    for number in range(count):
        (root / f"m{number:04d}.py").write_text(f"value_{number} = {number}\n", encoding="utf-8")


def test_bar_in_a_terminal_is_drawn_and_erased():
    stream = Terminal()
    with ProgressBar(THRESHOLD + 50, stream) as bar:
        assert bar.enabled
        for _ in range(THRESHOLD + 50):
            bar.update()
        drawn = stream.getvalue()
    text = stream.getvalue()
    assert drawn.startswith("\rcopguard: [")
    assert f"{THRESHOLD + 50}/{THRESHOLD + 50} files" in drawn
    assert "#" * 30 in drawn
    # Redrawn only when the percentage changes, then erased with spaces.
    assert drawn.count("\r") <= 101
    last = drawn.rsplit("\r", 1)[1]
    assert text == drawn + "\r" + " " * len(last) + "\r"


def test_bar_counts_chunks():
    stream = Terminal()
    bar = ProgressBar(1000, stream)
    bar.update(500)
    assert "500/1000 files" in stream.getvalue() and "#" * 15 + "." * 15 in stream.getvalue()
    bar.update(10_000)  # never past the total
    assert "1000/1000 files" in stream.getvalue()


def test_no_bar_for_short_scans_even_in_a_terminal():
    stream = Terminal()
    with ProgressBar(THRESHOLD, stream) as bar:
        bar.update(THRESHOLD)
    assert not bar.enabled and stream.getvalue() == ""


def test_no_bar_when_not_a_terminal():
    stream = io.StringIO()
    with ProgressBar(10_000, stream) as bar:
        bar.update(10_000)
    assert not bar.enabled and stream.getvalue() == ""


@pytest.mark.parametrize("jobs", [1, 2])
def test_engine_reports_every_file_to_the_progress_callback(tmp_path, jobs):
    many_files(tmp_path, 30)
    files = sorted((path, path.name) for path in tmp_path.glob("*.py"))
    counts = []
    result = helpers.make_engine().run(files, jobs=jobs, progress=counts.append)
    assert sum(counts) == 30 and len(result.files) == 30


def test_cli_adds_nothing_when_stderr_is_not_a_terminal(in_tmp, test_rules):
    many_files(in_tmp, THRESHOLD + 20)
    result = cli("check", "--format", "json", ".")
    assert result.exit_code == 0
    assert result.stderr == ""
    result = cli("check", ".")
    assert result.stderr == ""
    assert result.stdout == f"No problems found in {THRESHOLD + 20} files.\n"


@pytest.mark.skipif(not hasattr(os, "openpty") or sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_cli_draws_the_bar_on_a_real_terminal(tmp_path):
    many_files(tmp_path, THRESHOLD + 20)
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "copguard_lint", "check", "--select", "COP0,COP1", "--jobs", "1", "."],
            cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
        )
        os.close(slave)
        slave = -1
        captured = b""
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                captured += chunk
            elif process.poll() is not None:
                break
        stdout = process.communicate(timeout=300)[0].decode()
    finally:
        os.close(master)
        if slave != -1:
            os.close(slave)
    text = captured.decode()
    assert process.returncode == 0
    assert stdout == f"No problems found in {THRESHOLD + 20} files.\n"  # the bar never reaches stdout
    assert f"{THRESHOLD + 20}/{THRESHOLD + 20} files" in text
    assert text.rstrip(" ").endswith("\r")  # erased at the end
