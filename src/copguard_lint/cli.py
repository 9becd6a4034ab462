"""The `copguard` command. Thin: parse options, call the engine, call a reporter.

Exit codes: 0 no findings at or above `--fail-on`; 1 findings; 2 usage,
configuration or internal error (`--exit-zero` never hides a 2).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import click

from . import __version__
from .cli_cache import attach_cache, cache_options
from .config import ConfigError, Settings, load_settings
from .discovery import discover, display_path
from .engine import Engine, RunResult, default_jobs
from .findings import Severity
from .output import write_atomic, write_stdout
from . import registry
from .registry import known_codes

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json")
CHECK_FORMATS = (*FORMATS, "sarif", "github", "gitlab")
SEVERITIES = ("low", "medium", "high", "critical")


class DefaultToCheck(click.Group):
    """`copguard PATH...` means `copguard check PATH...`, and a bare `copguard` checks `.`.

    A name that is also a command (`rules`) is the command; `copguard ./rules`
    or `copguard check rules` checks a directory of that name.
    """

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _codes(value: Optional[str]) -> Tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def fail(message: str) -> None:
    click.echo(f"copguard: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="copguard")
def cli() -> None:
    """Find where Python app code puts children at risk.

    Each finding names the child online protection clauses it concerns
    (Cambodia MPTC 2023, ITU COP, UK Children's Code, COPPA, GDPR Art. 8,
    DSA Art. 28, California AADC).
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(CHECK_FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of stdout.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Read settings from this TOML file instead of the nearest pyproject.toml.")
@click.option("--select", help="Comma-separated rule codes or prefixes to run (replaces the config's select).")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to skip (added to the config's ignore).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity that makes the exit code 1.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings (errors still exit 2).")
@click.option("--force-exclude", is_flag=True,
              help="Apply excludes and .gitignore to files named on the command line too (for pre-commit).")
@click.option("--jobs", "-j", type=click.IntRange(0, 256), default=None,
              help="Worker processes (0: one per core).")
@click.option("--statistics", is_flag=True, help="Print a count of findings per rule.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary (text format).")
@click.option("--stdin-filename", help="Path to report for source read from stdin (`-`).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Leave out findings listed in this baseline file (see `copguard baseline create`).")
@click.option("--diff", "diff_ref", metavar="REF",
              help="Report only findings on lines changed since git revision REF (and in untracked files).")
@click.option("--file-timeout", type=click.FloatRange(0, 86400), default=None, metavar="SECONDS",
              help="Report a file that takes longer than this as COP001 (0: no limit; default 60).")
@click.option("--daemon", is_flag=True,
              help="Let a warm background server do the run (opt-in; also COPGUARD_DAEMON=1; "
                   "see `copguard daemon --help`).")
@cache_options
def check(
    paths: Sequence[str],
    output_format: str,
    output: Optional[str],
    config_file: Optional[str],
    select: Optional[str],
    ignore: Optional[str],
    fail_on: Optional[str],
    exit_zero: bool,
    force_exclude: bool,
    jobs: Optional[int],
    statistics: bool,
    quiet: bool,
    stdin_filename: Optional[str],
    baseline_file: Optional[str],
    diff_ref: Optional[str],
    file_timeout: Optional[float],
    daemon: bool,
    no_cache: bool,
    cache_dir: Optional[str],
) -> None:
    """Check PATHS (files or directories; default: the current directory)."""
    del daemon  # entry.py handles it before this runs; here (no server reachable) the run is in-process
    from .cli_ci import emit_statistics, prepare_gates, run_with_progress

    paths = tuple(paths) or (".",)
    settings = _settings(paths, config_file, select, ignore, fail_on, stdin_filename)
    if file_timeout is not None:
        from dataclasses import replace

        settings = replace(settings, file_timeout=file_timeout)
    _check_output_directory(output)  # before scanning, not after minutes of work
    # The cache serves files read from disk; stdin is linted every time.
    engine = attach_cache(Engine(settings), no_cache or paths == ("-",), cache_dir)
    cwd = Path.cwd()
    gates = prepare_gates(baseline_file, diff_ref, cwd)  # before scanning: a bad file or REF exits 2 at once
    missing: List[str] = []
    if paths == ("-",):
        display = stdin_filename or "<stdin>"
        if stdin_filename:
            display = display_path(Path(stdin_filename), cwd)
        data = sys.stdin.buffer.read()
        result = engine.finish_run([engine.lint_source(display, data)])
    else:
        found = discover([p for p in paths if p != "-"], settings, force_exclude=force_exclude, cwd=cwd)
        missing = found.missing
        for display, reason in found.skipped:
            click.echo(f"copguard: skipped {display}: {reason}", err=True)
        result = run_with_progress(engine, found.files, default_jobs(jobs if jobs is not None else settings.jobs))
    result, extra = gates.apply(result, paths, cwd)
    if missing:  # in the report too, so that a CI step reading only the JSON or SARIF sees why it failed
        from dataclasses import replace

        from .findings import FileError

        errors = tuple(FileError(path, "no such file or directory (given on the command line)") for path in missing)
        result = replace(result, errors=tuple(sorted(result.errors + errors, key=lambda e: e.path)))
    _emit(result, output_format, output, statistics, quiet, **extra)
    emit_statistics(result, output_format, statistics)
    gates.report()
    for path in missing:
        click.echo(f"copguard: error: {path}: no such file or directory", err=True)
    if missing:
        sys.exit(EXIT_ERROR)
    sys.exit(_exit_code(result, settings.fail_on, exit_zero))


def _settings(paths, config_file, select, ignore, fail_on, stdin_filename) -> Settings:
    from dataclasses import replace

    from .config import check_codes

    codes = known_codes()
    config_paths = [stdin_filename] if paths == ("-",) and stdin_filename else list(paths)
    try:
        settings = load_settings(config_paths, codes, config_file)
        changes = {}
        if select:
            check_codes(_codes(select), codes, "--select")
            changes["select"] = _codes(select)
        if ignore:
            check_codes(_codes(ignore), codes, "--ignore")
            changes["ignore"] = (*settings.ignore, *_codes(ignore))
        if fail_on:
            changes["fail_on"] = Severity.parse(fail_on)
        return replace(settings, **changes)
    except ConfigError as error:
        fail(str(error))
        raise  # pragma: no cover - fail() exits


def _check_output_directory(output: Optional[str]) -> None:
    if not output:
        return
    directory = Path(output).parent
    if not directory.is_dir():
        fail(f"cannot write {output}: directory {directory.as_posix()} does not exist")


def _emit(result: RunResult, output_format: str, output: Optional[str], statistics: bool, quiet: bool,
          **extra) -> None:
    from .reporters import REPORTERS

    text = REPORTERS[output_format](result, statistics=statistics, quiet=quiet, **extra)
    if output:
        try:
            write_atomic(Path(output), text)
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}")
        if output_format != "text":
            from .reporters.text import summary_line

            click.echo(summary_line(result), err=True)
    else:
        write_stdout(text)


def _exit_code(result: RunResult, fail_on: Severity, exit_zero: bool) -> int:
    if exit_zero:
        return EXIT_OK
    if any(finding.severity >= fail_on for finding in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@cli.command("rules")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: code, name, severity, clauses."""
    rules = sorted(registry.all_rules(), key=lambda rule: rule.code)
    if output_format == "json":
        payload = [
            {
                "code": rule.code,
                "name": rule.name,
                "summary": rule.summary,
                "severity": rule.severity.label,
                "confidence": rule.confidence.label,
                "clauses": list(rule.clauses),
                "scope": "project" if _is_project(rule) else "file",
            }
            for rule in rules
        ]
        write_stdout(json.dumps(payload, indent=2) + "\n")
        return
    for rule in rules:
        clauses = ", ".join(rule.clauses) or "-"
        write_stdout(f"{rule.code}  {rule.name:<34} {rule.severity.label:<8} {clauses}\n")


def _is_project(rule) -> bool:
    from .rule import ProjectRule

    return isinstance(rule, type) and issubclass(rule, ProjectRule)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point: no traceback ever reaches the user."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="copguard", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("copguard: interrupted", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as error:  # noqa: BLE001
        if os.environ.get("COPGUARD_DEBUG"):
            raise
        click.echo(
            f"copguard: internal error: {type(error).__name__}: {error} "
            "(set COPGUARD_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        sys.exit(EXIT_ERROR)


from .cli_docs import coverage_command, explain_command  # noqa: E402  (commands defined in cli_docs.py)

cli.add_command(explain_command)
cli.add_command(coverage_command)

from .cli_ci import baseline_group  # noqa: E402  (`copguard baseline create|prune`, in cli_ci.py)

cli.add_command(baseline_group)

from .cli_names import explain_name_command  # noqa: E402  (`copguard explain-name`, in cli_names.py)

cli.add_command(explain_name_command)

from .daemon.commands import daemon_group  # noqa: E402  (`copguard daemon status|start|stop`)

cli.add_command(daemon_group)
