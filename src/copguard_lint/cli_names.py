"""`copguard explain-name NAME`: how the personal-data vocabulary reads an identifier.

Users of name-based privacy scanners cannot tell why a field was or was not
flagged; this shows the words, the phrase and category matched, whose data it
is, or the exclusion that stopped a match, using the effective configuration
(vocabulary extensions included).
"""

from __future__ import annotations

from typing import Optional, Sequence

import click

from .output import write_stdout

SUBJECTS = ("child", "adult", "person")


@click.command("explain-name")
@click.argument("names", nargs=-1, required=True)
@click.option("--owner", type=click.Choice(SUBJECTS),
              help="Read the name as a field of an object about this kind of person (e.g. `child.name`).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Read vocabulary extensions from this TOML file instead of the nearest pyproject.toml.")
def explain_name_command(names: Sequence[str], owner: Optional[str], config_file: Optional[str]) -> None:
    """Show how each NAME is classified as personal data, and why."""
    from .analysis.flow import _vocabulary_for
    from .cli import _settings

    settings = _settings((".",), config_file, None, None, None, None)
    vocabulary = _vocabulary_for(settings)
    blocks = [vocabulary.explain(name, subject_hint=owner) for name in names]
    write_stdout("\n\n".join(block.rstrip() for block in blocks) + "\n")
