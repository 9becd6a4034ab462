"""`copguard explain-name`: the classification of identifiers, explained."""

from __future__ import annotations

from click.testing import CliRunner

from copguard_lint.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, ["explain-name", *args])


def test_explains_a_match_with_its_subject() -> None:
    result = run("childFirstName")
    assert result.exit_code == 0, result.output
    assert "words: child, first, name" in result.output
    assert "first name" in result.output
    assert "subject: child" in result.output


def test_explains_the_exclusion_that_stopped_a_match() -> None:
    result = run("email_template")
    assert result.exit_code == 0
    assert "not personal data" in result.output
    assert "template" in result.output


def test_owner_turns_a_weak_phrase_into_data() -> None:
    assert "not personal data" in run("name").output
    assert "personal data - person's name" in run("name", "--owner", "child").output


def test_several_names_and_usage_errors() -> None:
    result = run("email", "dob")
    assert result.output.count("identifier:") == 2
    assert run().exit_code == 2
    assert run("x", "--owner", "robot").exit_code == 2
