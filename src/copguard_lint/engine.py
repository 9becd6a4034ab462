"""The engine: one parse and one batched traversal per file, then project rules.

Front doors (the CLI, the flake8 plugin, tests) all come through `Engine`, so
they produce the same findings with the same messages.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Type

import libcst as cst

from . import registry, suppressions
from .cache import ResultCache, run_key
from .config import Settings
from .context import FileContext
from .findings import FileError, FileResult, Finding, Severity, Span, SuppressionComment
from .fingerprint import fingerprint, normalise_line
from .globs import matches_any
from .nesting import measure as measure_nesting
from .parsing import parse
from .prefilter import Selection, Selector, build_prefilter, identifiers_in, linked_names, links_by_analysis
from .project import Project
from .registry import is_selected, split_rules
from .rule import AnyRule, Analysis, analyses_for
from .rules.engine_rules import UnanalysableFile
from .source import MAX_SOURCE_BYTES, SourceError, decode_source, split_lines, too_large
from .suppression_audit import audit_suppressions
from .timeouts import FileTimeout, file_time_limit
from .walk import visit_all

@dataclass(frozen=True)
class RunResult:
    """Everything a run found, sorted and ready for any reporter."""

    findings: Tuple[Finding, ...]
    suppressed: Tuple[Tuple[Finding, SuppressionComment], ...]
    errors: Tuple[FileError, ...]
    files: Tuple[str, ...]
    rules: Tuple[AnyRule, ...] = field(default=(), compare=False)
    suppression_comments: Tuple[SuppressionComment, ...] = ()

    @property
    def counts_by_rule(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for finding in self.findings:
            counts[finding.rule] = counts.get(finding.rule, 0) + 1
        return dict(sorted(counts.items()))


class Engine:
    """Runs a fixed set of enabled rules under fixed settings."""

    def __init__(
        self,
        settings: Settings,
        rules: Optional[Sequence[AnyRule]] = None,
        cache: Optional[ResultCache] = None,
    ) -> None:
        self.settings = settings
        # Per-file results by content (see cache.py); None: every file is linted.
        self.cache = cache
        # Looked up through the module at call time: `registry.all_rules` is the one
        # place that says which rules exist (tests and embedders replace it there).
        candidates = tuple(rules) if rules is not None else registry.all_rules()
        self.rules: Tuple[AnyRule, ...] = tuple(
            rule for rule in candidates if is_selected(rule.code, settings.select, settings.ignore)
        )
        self.rule_by_code = {rule.code: rule for rule in self.rules}
        self.known_codes: Tuple[str, ...] = tuple(rule.code for rule in candidates)  # for COP003
        self.file_rules, self.project_rules = split_rules(self.rules)
        self.analyses: Tuple[Type[Analysis], ...] = analyses_for(
            (*self.file_rules, *self.project_rules)
        )
        self.report_unanalysable = "COP001" in self.rule_by_code
        # Which rules and analyses run on each file (None: all of them on every file).
        self.prefilter: Optional[Selector] = build_prefilter(self.file_rules, self.project_rules, settings)
        # Per analysis, the fact fields that name code in other files (see Analysis.links):
        # a file where the prefilter left it out is linted after all if it mentions one.
        self.links_by_analysis = (
            links_by_analysis(self.file_rules, self.project_rules, settings) if self.prefilter is not None else {}
        )

    def cache_key(self) -> str:
        """The result cache's directory key for this engine's settings and enabled rules."""
        # Each rule's and analysis's module file (size, mtime) too: rules from outside
        # the package (plugins, tests) can change without the package changing.
        parts = [rule.code for rule in self.rules]
        parts += sorted({_module_stamp(cls) for cls in (*self.rules, *self.analyses)})
        return run_key(self.settings.digest(), parts)

    # -- one file -------------------------------------------------------
    def cached_result(self, path: Path, display: str, force: bool = False) -> Optional[FileResult]:
        """The cached result of a file as it is now, or None (no cache, not cached, unreadable)."""
        cache = self.cache
        if cache is None:
            return None
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                return None
            data = path.read_bytes()
        except OSError:
            return None  # lint_path says why
        cached = cache.get(ResultCache.entry_key(display, data, "linked" if force else ""))
        return cached if cached is not None and cached.path == display else None

    def lint_path(self, path: Path, display: str, force: bool = False) -> FileResult:
        """Read and lint one file; unreadable files become COP001 findings.

        `force` lints it even if the prefilter would skip it (a linked file, see `run`).
        """
        try:
            size = path.stat().st_size
            if size > MAX_SOURCE_BYTES:
                return self._unanalysable(display, too_large(size))
            data = path.read_bytes()
        except IsADirectoryError:
            return self._unanalysable(display, "is a directory, not a Python file")
        except PermissionError:
            return self._unanalysable(display, "cannot be read: permission denied")
        except FileNotFoundError:
            return self._unanalysable(display, "disappeared before it could be read")
        except OSError as error:
            return self._unanalysable(display, f"cannot be read: {error.strerror or error}")
        cache = self.cache
        if cache is None:
            return self._lint_read(display, data, force)
        key = ResultCache.entry_key(display, data, "linked" if force else "")
        cached = cache.get(key)
        if cached is not None and cached.path == display:
            return cached
        result = self._lint_read(display, data, force)
        if not _timed_out(result):  # depends on the machine's load, not on the file
            cache.put(key, result)
        return result

    def _lint_read(self, display: str, data: bytes, force: bool) -> FileResult:
        return self.lint_source(display, data, use_prefilter=False) if force else self.lint_source(display, data)

    def lint_source(self, display: str, data, *, use_prefilter: bool = True) -> FileResult:
        """Lint source given as bytes (decoded as Python does) or as text.

        A file that takes longer than `file-timeout` seconds is COP001 (see timeouts.py).
        """
        limit = self.settings.file_timeout
        try:
            with file_time_limit(limit), _no_cycle_collection():
                return self._lint_source(display, data, use_prefilter)
        except FileTimeout:
            return self._unanalysable(display, f"analysis exceeded {limit:g} s (file-timeout)")

    def _lint_source(self, display: str, data, use_prefilter: bool) -> FileResult:
        if isinstance(data, bytes) and len(data) > MAX_SOURCE_BYTES:
            return self._unanalysable(display, too_large(len(data)))
        if isinstance(data, bytes):
            try:
                text, _ = decode_source(data)
            except SourceError as error:
                return self._unanalysable(display, error.reason, error.line, error.column)
        else:
            text = data[1:] if data.startswith("\ufeff") else data
        comments = suppressions.scan(display, text)
        selection = self.prefilter.select(text) if use_prefilter and self.prefilter is not None else None
        if selection is not None and selection.nothing:
            problem = _cheap_syntax_check(text)
            if problem is None:
                return FileResult(display, suppressions=comments, parsed=False, skipped=selection.skipped)
        too_deep, python_tree = measure_nesting(text)
        if too_deep is not None:
            return self._unanalysable(display, too_deep, comments=comments)
        try:
            module = parse(text, accepted_by_cpython=python_tree is not None)
        except cst.ParserSyntaxError as error:
            reason, line, column = _describe_syntax_error(text, error)
            return self._unanalysable(display, reason, line, column, comments)
        except RecursionError:
            return self._unanalysable(
                display, "too deeply nested for the parser (recursion limit reached)", comments=comments
            )
        except Exception as error:  # noqa: BLE001 - the parser must never crash a run
            return self._unanalysable(
                display, f"parser failed: {type(error).__name__}: {_first_line(str(error))}", comments=comments
            )
        return self._lint_module(display, text, module, comments, python_tree, selection)

    def _lint_module(
        self,
        display: str,
        text: str,
        module: cst.Module,
        comments: Tuple[SuppressionComment, ...],
        python_tree: Optional[ast.Module] = None,
        selection: Optional[Selection] = None,
    ) -> FileResult:
        ctx = FileContext(display, text, module, self.settings)
        ctx.python_tree = python_tree
        analyses = self.analyses if selection is None else selection.analyses
        file_rules = self.file_rules if selection is None else selection.rules
        active = [analysis(ctx) for analysis in analyses]
        for analysis in active:
            ctx.add_analysis(analysis)
        rules = [rule(ctx) for rule in file_rules]
        try:
            if active or rules:
                visit_all(module, [*active, *rules])
            for analysis in active:
                analysis.finish()
            for rule in rules:
                rule.finish()
            spans = ctx.resolve_spans()
        except RecursionError:
            return self._unanalysable(
                display, "too deeply nested to analyse (recursion limit reached)", comments=comments
            )
        except Exception as error:  # noqa: BLE001 - a rule bug must not hide the file
            return self._unanalysable(
                display,
                f"internal error while analysing ({type(error).__name__}: {_first_line(str(error))}); "
                "please report this",
                comments=comments,
            )
        lines = split_lines(text)
        findings = []
        for pending in ctx.reports:
            span = pending.anchor if isinstance(pending.anchor, Span) else spans.get(id(pending.anchor))
            if span is None:  # pragma: no cover - a node from another tree
                span = Span(1, 1, 1, 1)
            findings.append(self._finding(pending.rule, display, span, pending.message, pending.severity))
        findings = _with_fingerprints(findings, lines)
        skipped = selection.skipped if selection is not None else ()
        return FileResult(display, tuple(sorted(findings)), ctx.build_facts(spans), None, comments, skipped=skipped)

    def _finding(self, rule, path: str, span: Span, message: str, severity: Optional[Severity]) -> Finding:
        return Finding(
            path=path,
            line=span.line,
            column=span.column,
            rule=rule.code,
            end_line=span.end_line,
            end_column=span.end_column,
            severity=severity or rule.severity,
            message=message,
            clauses=tuple(rule.clauses),
        )

    def _unanalysable(
        self,
        display: str,
        reason: str,
        line: Optional[int] = None,
        column: Optional[int] = None,
        comments: Tuple[SuppressionComment, ...] = (),
    ) -> FileResult:
        error = FileError(display, reason, line, column)
        findings: Tuple[Finding, ...] = ()
        if self.report_unanalysable:
            span = Span(line or 1, column or 1, line or 1, (column or 1))
            finding = self._finding(UnanalysableFile, display, span, f"not checked: {reason}", None)
            # Some reasons carry positions ("byte 0xff at offset 812", "... on line 3"):
            # without their numbers the fingerprint survives code moving up or down.
            anchor = re.sub(r"[0-9]+", "#", reason)
            findings = (replace(finding, fingerprint=fingerprint("COP001", display, anchor, 0)),)
        return FileResult(display, findings, (), error, comments, parsed=False)

    # -- a whole run ----------------------------------------------------
    def run(self, files: Sequence[Tuple[Path, str]], jobs: int = 1, progress=None) -> RunResult:
        """Lint `files` ((path, display path) pairs) and run project rules over them.

        `progress`, if given, is called with the number of files just finished.
        """
        results = self.lint_many(files, jobs, progress)
        results = self.lint_linked(files, results, jobs)
        return self.finish_run(results)

    def lint_many(
        self, files: Sequence[Tuple[Path, str]], jobs: int = 1, progress=None, force: bool = False
    ) -> List[FileResult]:
        if jobs != 1 and len(files) >= 8:
            if self.cache is not None:
                return self._lint_misses_in_pool(files, jobs, progress, force)
            from .parallel import lint_in_pool  # multiprocessing costs ~13 ms to import: not for one file

            return lint_in_pool(self, files, jobs, progress, force=force)
        out = []
        for path, display in files:
            out.append(self.lint_path(path, display, force))
            if progress is not None:
                progress(1)
        return out

    def _lint_misses_in_pool(
        self, files: Sequence[Tuple[Path, str]], jobs: int, progress, force: bool
    ) -> List[FileResult]:
        """Cache hits read here; only the misses go to worker processes.

        Starting a pool and shipping results back costs more than reading a
        few hundred cached results, so a rescan with nothing changed starts none.
        """
        found: Dict[str, FileResult] = {}
        misses = []
        for path, display in files:
            cached = self.cached_result(path, display, force)
            if cached is None:
                misses.append((path, display))
                continue
            found[display] = cached
            if progress is not None:
                progress(1)
        if misses:
            if len(misses) >= 8:
                from .parallel import lint_in_pool

                linted = lint_in_pool(self, misses, jobs, progress, force=force)
            else:
                linted = self.lint_many(misses, 1, progress, force)
            found.update((result.path, result) for result in linted)
        return [found[display] for _, display in files]

    def lint_linked(
        self, files: Sequence[Tuple[Path, str]], results: List[FileResult], jobs: int = 1
    ) -> List[FileResult]:
        """Lint in full, after all, the files where the prefilter left out an analysis that links ask for.

        The prefilter leaves an analysis out of a file (or skips the file) when
        the file holds none of the words the analysis needs *locally*. Such a
        file can still matter to project rules through code it shares with
        other files: a wrapper they call, a helper on their path. Analyses name
        that code in their facts (`Analysis.links`); any code reference spells
        the referenced name, so a file that does not mention one of those names
        cannot add to a project finding through that analysis. Files linted
        here may name more code in turn, hence the loop.
        """
        if not self.links_by_analysis:
            return results
        where = {display: path for path, display in files}
        # display -> (index in results, analyses the prefilter left out there)
        partial = {
            result.path: (index, set(result.skipped))
            for index, result in enumerate(results)
            if result.skipped and result.error is None and result.path in where
        }
        known: Dict[str, set] = {name: set() for name in self.links_by_analysis}
        new_facts = [fact for result in results for fact in result.facts]
        identifiers: Dict[str, frozenset] = {}
        while partial:
            wanted = {}
            for analysis, fields in self.links_by_analysis.items():
                names = linked_names(new_facts, fields) - known[analysis]
                if names:
                    known[analysis] |= names
                    wanted[analysis] = names
            if not wanted:
                break
            todo = []
            for display in sorted(partial):
                left_out = partial[display][1]
                names = set().union(*(wanted[a] for a in left_out if a in wanted))
                if not names:
                    continue
                mentioned = identifiers.get(display)
                if mentioned is None:
                    mentioned = identifiers[display] = identifiers_in(where[display])
                if not mentioned.isdisjoint(names):
                    todo.append((where[display], display))
            if not todo:
                break
            new_facts = []
            for result in self.lint_many(todo, jobs, None, force=True):
                results[partial.pop(result.path)[0]] = result
                new_facts.extend(result.facts)
        return results

    def finish_run(
        self, results: Sequence[FileResult], *, honour_noqa: bool = True, project: bool = True
    ) -> RunResult:
        """Project rules, per-file ignores and suppressions over per-file results."""
        results = sorted(results, key=lambda r: r.path)
        findings: List[Finding] = [f for result in results for f in result.findings]
        if project and (self.project_rules or any(r.has_project_part() for r in self.file_rules)):
            findings.extend(self.run_project_rules(results))
        findings = [f for f in findings if not self._ignored_for_file(f)]
        comments = tuple(c for result in results for c in result.suppressions)
        kept, suppressed = suppressions.apply(sorted(findings), comments, honour_noqa)
        kept += audit_suppressions(  # COP002-COP004: after suppression, so none can hide itself
            results, suppressed, self.rule_by_code, self.known_codes, self._ignored_for_file,
            honour_noqa=honour_noqa, project=project,
        )
        errors = tuple(result.error for result in results if result.error is not None)
        return RunResult(
            findings=tuple(sorted(kept)),
            suppressed=suppressed,
            errors=errors,
            files=tuple(result.path for result in results),
            rules=self.rules,
            suppression_comments=comments,
        )

    def run_project_rules(self, results: Sequence[FileResult]) -> List[Finding]:
        project = Project([fact for result in results for fact in result.facts], self.settings)
        out: List[Finding] = []
        checks = [(rule, rule().check) for rule in self.project_rules]
        checks += [(rule, rule.check_project) for rule in self.file_rules if rule.has_project_part()]
        for rule_class, check in checks:
            made = [
                self._finding(rule_class, item.path, item.span, item.message, item.severity)
                for item in check(project)
            ]
            out.extend(_with_fingerprints(sorted(made), None))
        return out

    def _ignored_for_file(self, finding: Finding) -> bool:
        for pattern, codes in self.settings.per_file_ignores:
            if matches_any(finding.path, (pattern,), self.settings.root) and any(
                code == "ALL" or finding.rule.startswith(code) for code in codes
            ):
                return True
        return False


def _module_stamp(cls: type) -> str:
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    try:
        stat = os.stat(filename) if filename else None
    except OSError:
        stat = None
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}" if stat else "-"
    return f"{cls.__module__}.{cls.__qualname__}@{stamp}"


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off while one file is linted.

    A file's trees (CPython's and libcst's) are hundreds of thousands of
    container objects, nearly all freed by reference counting when the file
    is done; meanwhile their allocation keeps triggering collections that
    walk them, and every older object, again (~7% of a cold scan's CPU).
    Whatever cyclic garbage one file leaves is collected once the collector
    is back on, so memory stays bounded by the largest file.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _timed_out(result: FileResult) -> bool:
    return result.error is not None and result.error.reason.endswith("(file-timeout)")


def _describe_syntax_error(text: str, error: cst.ParserSyntaxError) -> Tuple[str, int, int]:
    """CPython's own message and location when it agrees the file is invalid.

    CPython's messages ("'(' was never closed") are the ones users know; libcst's
    are used only when CPython accepts what libcst cannot parse.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as cpython:
        return f"syntax error: {cpython.msg}", cpython.lineno or 1, cpython.offset or 1
    except (ValueError, RecursionError, MemoryError):
        pass
    return (
        f"syntax error (libcst parser): {_first_line(error.message)}",
        error.raw_line,
        error.raw_column + 1,
    )


def _cheap_syntax_check(text: str) -> Optional[str]:
    """None if CPython's own parser accepts `text` (used for prefiltered files)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return str(error)
    return None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _with_fingerprints(findings: Sequence[Finding], lines: Optional[Sequence[str]]) -> List[Finding]:
    """Fingerprints that survive code moving up or down: no line numbers in them."""
    seen: Dict[Tuple[str, str, str], int] = {}
    out = []
    for finding in findings:
        if lines is not None and 0 < finding.line <= len(lines):
            anchor = normalise_line(lines[finding.line - 1])
        else:
            anchor = finding.message
        key = (finding.rule, finding.path, anchor)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        out.append(replace(finding, fingerprint=fingerprint(finding.rule, finding.path, anchor, occurrence)))
    return out


def default_jobs(requested: int) -> int:
    if requested > 0:
        return requested
    return max(1, os.cpu_count() or 1)
