"""CI gates for `copguard check` (`--baseline`, `--diff`, progress) and `copguard baseline`.

`check` calls `prepare_gates` before scanning (so a bad baseline file or an
unknown git revision stops the run at once, exit 2) and `Gates.apply` after
it; the `baseline` command group is registered on the main group at the
bottom of cli.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple

import click

from .baseline import (
    DEFAULT_BASELINE,
    Baseline,
    BaselineError,
    BaselineOutcome,
    apply_baseline,
    baseline_of,
    load_baseline,
    stale_entries,
    write_baseline,
)
from .changed import ChangedLines, DiffError, changed_lines, filter_result
from .cli_cache import cache_options

EXIT_ERROR = 2


def _fail(message: str) -> None:
    click.echo(f"copguard: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _plural(count: int, word: str, plural: Optional[str] = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def scanned_roots(paths: Sequence[str], cwd: Path) -> Tuple[str, ...]:
    """The command-line paths as display paths (what baseline entries are compared with)."""
    from .discovery import display_path

    return tuple(display_path(Path(p) if Path(p).is_absolute() else cwd / p, cwd) for p in paths if p != "-")


def run_with_progress(engine, files, jobs: int):
    """`engine.run`, with a progress bar on stderr for long scans in a terminal."""
    from .progress import ProgressBar

    with ProgressBar(len(files)) as bar:
        return engine.run(files, jobs=jobs, progress=bar.update if bar.enabled else None)


# -- check --baseline / --diff ---------------------------------------------------------


@dataclass
class Gates:
    baseline_path: Optional[str] = None
    baseline: Optional[Baseline] = None
    changed: Optional[ChangedLines] = None
    outcome: Optional[BaselineOutcome] = None

    def apply(self, result, paths: Sequence[str], cwd: Path):
        """(the run as reported, extra keyword arguments for the reporter).

        The baseline is matched against every finding first, so findings on
        unchanged lines still count as matched (not stale) under `--diff`.
        """
        extra: Dict[str, Any] = {}
        if self.baseline is not None:
            result, self.outcome = apply_baseline(
                result, self.baseline, self.baseline_path or "", scanned_roots(paths, cwd)
            )
            extra["baseline"] = self.outcome
        if self.changed is not None:
            result = filter_result(result, self.changed, cwd)
        return result, extra

    def report(self) -> None:
        """One line on stderr about the baseline: findings it accepted, entries now stale."""
        if self.outcome is None:
            return
        outcome = self.outcome
        line = (
            f"copguard: baseline {outcome.path}: {_plural(outcome.matched, 'known finding')} left out, "
            f"{_plural(len(outcome.stale), 'stale entry', 'stale entries')}"
        )
        if outcome.stale:
            line += f" (fixed or changed since; remove with `copguard baseline prune --baseline {outcome.path}`)"
        click.echo(line, err=True)


def prepare_gates(baseline_file: Optional[str], diff_ref: Optional[str], cwd: Path) -> Gates:
    gates = Gates()
    if baseline_file:
        try:
            gates.baseline = load_baseline(Path(baseline_file))
        except BaselineError as error:
            _fail(str(error))
        gates.baseline_path = baseline_file
    if diff_ref:
        try:
            gates.changed = changed_lines(diff_ref, cwd)
        except DiffError as error:
            _fail(str(error))
    return gates


def emit_statistics(result, output_format: str, statistics: bool) -> None:
    """`--statistics` for machine formats: counts per rule on stderr, stdout stays parseable."""
    if statistics and output_format != "text":
        from .reporters.statistics import render_statistics

        text = render_statistics(result)
        if text:
            click.echo(text, err=True, nl=False)


# -- copguard baseline create / prune ---------------------------------------------------


def _scan(paths: Sequence[str], config_file, select, ignore, jobs, no_cache=False, cache_dir=None):
    from .cli import _settings
    from .cli_cache import make_engine
    from .discovery import discover
    from .engine import default_jobs

    paths = tuple(paths) or (".",)
    if "-" in paths:
        _fail("baselines are made from files and directories, not stdin (`-`)")
    settings = _settings(paths, config_file, select, ignore, None, None)
    engine = make_engine(settings, no_cache, cache_dir)
    found = discover(list(paths), settings, cwd=Path.cwd())
    for display, reason in found.skipped:
        click.echo(f"copguard: skipped {display}: {reason}", err=True)
    if found.missing:
        for path in found.missing:
            click.echo(f"copguard: error: {path}: no such file or directory", err=True)
        sys.exit(EXIT_ERROR)
    result = run_with_progress(engine, found.files, default_jobs(jobs if jobs is not None else settings.jobs))
    return paths, result


def _scan_options(function):
    function = cache_options(function)
    for option in reversed(
        [
            click.argument("paths", nargs=-1, type=click.Path()),
            click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=DEFAULT_BASELINE,
                         show_default=True, help="The baseline file."),
            click.option("--config", "config_file", type=click.Path(dir_okay=False),
                         help="Read settings from this TOML file instead of the nearest pyproject.toml."),
            click.option("--select", help="Comma-separated rule codes or prefixes to run."),
            click.option("--ignore", help="Comma-separated rule codes or prefixes to skip."),
            click.option("--jobs", "-j", type=click.IntRange(0, 256), default=None,
                         help="Worker processes (0: one per core)."),
        ]
    ):
        function = option(function)
    return function


@click.group("baseline")
def baseline_group() -> None:
    """Accept the current findings, so that `check --baseline FILE` reports only new ones.

    Run these from the directory you run `copguard check` from (usually the
    repository root): entries name files by their path relative to it.
    """


@baseline_group.command("create")
@_scan_options
def baseline_create(paths, baseline_file, config_file, select, ignore, jobs, no_cache, cache_dir) -> None:
    """Scan PATHS (default: .) and write every finding's fingerprint to the baseline file."""
    _, result = _scan(paths, config_file, select, ignore, jobs, no_cache, cache_dir)
    baseline = baseline_of(result.findings)
    try:
        write_baseline(Path(baseline_file), baseline)
    except OSError as error:
        _fail(f"cannot write {baseline_file}: {error.strerror or error}")
    click.echo(
        f"copguard: wrote {_plural(len(baseline.entries), 'entry', 'entries')} to {baseline_file} "
        f"({_plural(len(result.files), 'file')} scanned)",
        err=True,
    )


@baseline_group.command("prune")
@_scan_options
def baseline_prune(paths, baseline_file, config_file, select, ignore, jobs, no_cache, cache_dir) -> None:
    """Remove baseline entries that no finding matches any more (only for the scanned PATHS and rules)."""
    try:
        baseline = load_baseline(Path(baseline_file))
    except BaselineError as error:
        _fail(str(error))
    paths, result = _scan(paths, config_file, select, ignore, jobs, no_cache, cache_dir)
    stale = stale_entries(
        baseline, result.findings, result.files, scanned_roots(paths, Path.cwd()), (r.code for r in result.rules)
    )
    if stale:
        pruned = baseline.without(stale)
        try:
            write_baseline(Path(baseline_file), pruned)
        except OSError as error:
            _fail(f"cannot write {baseline_file}: {error.strerror or error}")
        left = len(pruned.entries)
    else:
        left = len(baseline.entries)
    click.echo(
        f"copguard: removed {_plural(len(stale), 'stale entry', 'stale entries')} from {baseline_file} "
        f"({_plural(left, 'entry', 'entries')} left)",
        err=True,
    )


COMMANDS = (baseline_group,)
