"""Shared fixtures for the foundation tests (see helpers.py for the test-only rules)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import helpers


@pytest.fixture
def test_rules(monkeypatch):
    """Make the CLI (in this process) see the test rules instead of the shipped ones."""
    import copguard_lint.registry as registry

    monkeypatch.setattr(registry, "all_rules", lambda: helpers.TEST_RULES)
    return helpers.TEST_RULES


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    """Run the test with the working directory set to a fresh temporary directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def invoke(monkeypatch):
    """Call the `copguard` CLI in-process: invoke(*args, input=None) -> click Result."""
    from copguard_lint.cli import cli

    monkeypatch.delenv("COPGUARD_DEBUG", raising=False)

    def run(*args, input=None):
        return invoke_cli(cli, list(args), input=input)

    return run


class CliOutcome:
    """click's Result with click 8.2's meaning on every click version.

    `stdout` and `stderr` are kept apart; `output` is both, as click 8.2 gives
    it. click 8.1 (the newest on Python 3.9) mixes stderr into stdout unless
    asked not to, which would make JSON on stdout unparsable in the tests.
    """

    def __init__(self, result, stderr: str) -> None:
        self.result = result
        self.exit_code = result.exit_code
        self.exception = result.exception
        self.stdout = result.stdout
        self.stderr = stderr
        self.output = result.stdout + stderr if stderr and stderr not in result.output else result.output

    def __getattr__(self, name):
        return getattr(self.result, name)


def invoke_cli(command, args, input=None):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps result.stdout and result.stderr apart
    result = runner.invoke(command, args, input=input, prog_name="copguard")
    return CliOutcome(result, result.stderr)
