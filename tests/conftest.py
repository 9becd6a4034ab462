"""Shared fixtures for the foundation tests (see helpers.py for the test-only rules)."""

from __future__ import annotations

import os
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
        runner = CliRunner()
        return runner.invoke(cli, list(args), input=input, prog_name="copguard")

    return run
