"""`copguard explain CODE` and `copguard coverage [PATH...]`.

Registered on the main command group at the bottom of cli.py. The scan done
by `coverage` is the one `check` does (same settings, discovery and engine),
so the two never disagree about what was found.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import click

from .cli_cache import cache_options, make_engine

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"copguard: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


# -- explain ---------------------------------------------------------------------


def _find_rule(code: str):
    from . import registry

    rules = registry.all_rules()
    wanted = code.strip()
    for rule in rules:
        if rule.code == wanted.upper() or rule.name == wanted.lower():
            return rule
    candidates = [rule.code for rule in rules] + [rule.name for rule in rules]
    close = difflib.get_close_matches(wanted.upper() if wanted.upper().startswith("COP") else wanted, candidates, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    _fail(f"unknown rule {code!r}{hint} (`copguard rules` lists every rule)")


def page_text(rule) -> str:
    """The rule's page as a reader sees it, with generated parts fresh from the catalog."""
    from .catalog import load_catalog
    from .resources import rules_dir
    from .rule_docs import page_filename, strip_markers, update_page

    path = rules_dir() / page_filename(rule.code)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        _fail(f"no documentation page for {rule.code} ({path}: {error.strerror or error}); "
              "reinstall copguard-lint")
    return strip_markers(update_page(text, rule, load_catalog()))


@click.command("explain")
@click.argument("code")
def explain_command(code: str) -> None:
    """Show a rule's documentation page; CODE is its code (COP101) or name."""
    from .output import write_stdout

    rule = _find_rule(code)
    write_stdout(page_text(rule))


# -- coverage --------------------------------------------------------------------


def _git_pathspecs(paths: Sequence[str], base: Path) -> List[str]:
    out = []
    for path in paths:
        absolute = (Path.cwd() / path).resolve()
        try:
            out.append(absolute.relative_to(base).as_posix() or ".")
        except ValueError:
            out.append(str(absolute))
    return out


def _scan_base(paths: Sequence[str]) -> Path:
    import os

    existing = [str((Path.cwd() / p).resolve()) for p in paths if (Path.cwd() / p).exists()]
    if not existing:
        return Path.cwd().resolve()
    common = Path(os.path.commonpath(existing))
    return common if common.is_dir() else common.parent


@click.command("coverage")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(("md", "html", "json")), default="md",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file (atomically) instead of stdout.")
@click.option("--framework", "frameworks", multiple=True, metavar="ID",
              help="Report only this framework (repeatable), e.g. KH-COP, COPPA, UK-AADC.")
@click.option("--fail-on-violations", is_flag=True,
              help="Exit 1 if a checkable clause of the selected frameworks has findings.")
@click.option("--require-coverage", is_flag=True,
              help="Exit 1 if a checkable clause of the selected frameworks is mapped to no enabled rule.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Read settings from this TOML file instead of the nearest pyproject.toml.")
@click.option("--select", help="Comma-separated rule codes or prefixes to run (replaces the config's select).")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to skip (added to the config's ignore).")
@click.option("--jobs", "-j", type=click.IntRange(0, 256), default=None, help="Worker processes (0: one per core).")
@cache_options
def coverage_command(
    paths: Sequence[str],
    output_format: str,
    output: Optional[str],
    frameworks: Sequence[str],
    fail_on_violations: bool,
    require_coverage: bool,
    config_file: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    jobs: Optional[int],
    no_cache: bool,
    cache_dir: Optional[str],
) -> None:
    """Report, clause by clause, what a scan of PATHS checked, found and left to check by hand.

    For each framework clause: whether code can show it, the rules mapped to
    it, the findings (and suppressions with their reasons) in the scanned
    code, and a checklist item where a person must verify it. The header
    records the tool and catalog versions, the git commit, a digest of the
    effective configuration and the time (UTC; SOURCE_DATE_EPOCH fixes it
    for reproducible reports), as evidence for an audit.
    """
    from . import registry
    from .catalog import CatalogError, load_catalog
    from .cli import _settings
    from .coverage import build_report, git_state, render
    from .coverage.model import utc_now
    from .discovery import discover
    from .engine import default_jobs
    from .output import write_atomic, write_stdout

    paths = tuple(paths) or (".",)
    if "-" in paths:
        _fail("coverage reads files and directories, not stdin (`-`)")
    try:
        catalog = load_catalog()
    except CatalogError as error:
        _fail(str(error))
    wanted = []
    for framework in frameworks:
        if framework not in catalog.frameworks:
            close = difflib.get_close_matches(framework.upper(), list(catalog.frameworks), n=2)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            _fail(f"unknown framework {framework!r}{hint} (known: {', '.join(catalog.frameworks)})")
        if framework not in wanted:
            wanted.append(framework)

    settings = _settings(paths, config_file, select, ignore, None, None)
    engine = make_engine(settings, no_cache, cache_dir)
    found = discover(list(paths), settings, cwd=Path.cwd())
    for display, reason in found.skipped:
        click.echo(f"copguard: skipped {display}: {reason}", err=True)
    if found.missing:
        for path in found.missing:
            click.echo(f"copguard: error: {path}: no such file or directory", err=True)
        sys.exit(EXIT_ERROR)
    result = engine.run(found.files, jobs=default_jobs(jobs if jobs is not None else settings.jobs))

    base = _scan_base(paths)
    report = build_report(
        result, catalog, registry.all_rules(), settings,
        frameworks=wanted, scanned_paths=paths, skipped=found.skipped,
        git=git_state(base, _git_pathspecs(paths, base)), clock=utc_now,
    )
    text = render(report, output_format)
    if output:
        try:
            write_atomic(Path(output), text)
        except OSError as error:
            _fail(f"cannot write {output}: {error.strerror or error}")
        counts = report.counts
        click.echo(
            f"copguard: coverage report written to {output}: {counts['violations']} clause(s) with violations, "
            f"{counts['checked']} checked and clean, {counts['no-rule'] + counts['rules-disabled']} checkable "
            f"without an enabled rule, {counts['manual']} to check by hand.",
            err=True,
        )
    else:
        write_stdout(text)

    status = EXIT_OK
    if fail_on_violations:
        violated = report.violated_checkable()
        if violated:
            click.echo(
                f"copguard: {len(violated)} checkable clause(s) with violations: "
                + ", ".join(c.id for c in violated[:10]) + (" ..." if len(violated) > 10 else ""),
                err=True,
            )
            status = EXIT_FAILED
    if require_coverage:
        uncovered = report.uncovered_checkable()
        if uncovered:
            click.echo(
                f"copguard: {len(uncovered)} checkable clause(s) mapped to no enabled rule: "
                + ", ".join(c.id for c in uncovered[:10]) + (" ..." if len(uncovered) > 10 else ""),
                err=True,
            )
            status = EXIT_FAILED
    sys.exit(status)


COMMANDS = (explain_command, coverage_command)
