"""Helpers for the CI-gate tests (output formats, baseline, --diff, pre-commit).

`cli()` runs `copguard` in-process with stdout and stderr kept apart on every
click version (click < 8.2 mixes them unless told not to), so a test can parse
a machine format from stdout while copguard writes notes to stderr.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, Optional, Sequence

from click.testing import CliRunner


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2 always keeps stderr apart


def cli(*args: str, input: Optional[str] = None):
    from copguard_lint.cli import cli as command

    return _runner().invoke(command, list(args), input=input, prog_name="copguard")


GIT_ENV: Dict[str, str] = {
    "GIT_AUTHOR_NAME": "copguard tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "copguard tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` with a fixed identity and no signing; return stdout, fail loudly."""
    env = dict(os.environ)
    env.update(GIT_ENV)
    done = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false", *args],
        cwd=str(cwd), env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def write(root: Path, files: Dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def lines(text: str) -> Sequence[str]:
    return [line for line in text.splitlines() if line]
