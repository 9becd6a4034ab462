"""The rule API.

A per-file rule is a libcst batchable visitor that carries its own metadata.
The engine instantiates every enabled rule once per file, puts them all in one
batched traversal, and calls `finish()` on each afterwards. Rules never see
positions: they hand nodes to `report()`, and the engine resolves positions
only for files that have something to report, because libcst's position
metadata costs several times a parse.

Shared work (import tables, per-function data flow) lives in `Analysis`
classes. A rule lists the analyses it needs in `requires`; each analysis runs
once per file, ahead of the rules, and only when some enabled rule needs it.

Project rules see the whole tree through facts: plain data recorded by
analyses during the per-file pass. They run after every file is done, in the
CLI only (flake8 sees one file at a time).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Dict, Iterable, Iterator, Optional, Sequence, Tuple, Type, Union

import libcst as cst

from .findings import Confidence, Fact, Severity, Span

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .context import FileContext
    from .project import Project

RULE_CODE = re.compile(r"^COP[0-9]{3}$")


class RuleMeta:
    """Metadata shared by per-file and project rules."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""  # kebab-case slug, e.g. "child-data-in-logs"
    summary: ClassVar[str] = ""  # one line, shown by `copguard rules`
    severity: ClassVar[Severity] = Severity.MEDIUM
    confidence: ClassVar[Confidence] = Confidence.MEDIUM
    clauses: ClassVar[Tuple[str, ...]] = ()  # clause IDs from rules/clauses.toml
    # Words (matched case-insensitively in the raw file text) without which
    # this rule cannot find anything in a file. None: the rule may fire anywhere.
    # The engine skips parsing a file only if no enabled rule or analysis that
    # records facts can use it; this is a pure speed-up and never changes results.
    prefilter: ClassVar[Optional[Tuple[str, ...]]] = None
    # Analyses the rule's per-file part uses: they run wherever the rule runs.
    requires: ClassVar[Tuple[Type["Analysis"], ...]] = ()
    # Analyses whose facts only the project part reads: each runs where its own
    # filter says it has something (or where a link asks for it), not wherever
    # the rule runs.
    facts_from: ClassVar[Tuple[Type["Analysis"], ...]] = ()

    @classmethod
    def triggers(cls, settings: "Settings") -> Optional[Sequence[Sequence[Iterable[str]]]]:
        """Identifier words without which this rule finds nothing in a file.

        The word-level counterpart of `prefilter` (see prefilter.py): each
        trigger is a sequence of word sets and fires when the file holds a word
        of every set. None: no word-level trigger.
        """
        return None


class Analysis(cst.BatchableCSTVisitor):
    """Shared per-file work that rules build on (never reports by itself).

    May record facts for project rules with `self.ctx.record(...)`.
    """

    requires: ClassVar[Tuple[Type["Analysis"], ...]] = ()
    # Same meaning as RuleMeta.prefilter, for analyses that record facts: the
    # words without which a file has nothing of its own for this analysis.
    prefilter: ClassVar[Optional[Tuple[str, ...]]] = None
    # For an analysis with a prefilter whose facts project rules join across
    # files: fact kind -> the fields (a string or a list of strings) that name
    # code defined or called in another file (`pkg.mod.audit`, `*.save`). A
    # file the prefilter skipped is linted after all when it mentions one of
    # those names (Engine.lint_linked), so skipping it cannot change a result.
    links: ClassVar[Optional[Dict[str, Tuple[str, ...]]]] = None

    @classmethod
    def triggers(cls, settings: "Settings") -> Optional[Sequence[Sequence[Iterable[str]]]]:
        """Same meaning as RuleMeta.triggers, for analyses that record facts."""
        return None

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx

    def finish(self) -> None:
        """Called once after the traversal, before any rule's `finish`."""


class Rule(RuleMeta, cst.BatchableCSTVisitor):
    """A per-file rule: visit nodes, call `report()`."""

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx

    def report(
        self,
        node: Union[cst.CSTNode, Span],
        message: str,
        *,
        severity: Optional[Severity] = None,
    ) -> None:
        self.ctx.report(self, node, message, severity=severity)

    def finish(self) -> None:
        """Called once after the traversal; report here what needs the whole file."""

    @classmethod
    def check_project(cls, project: "Project") -> Iterable["ProjectFinding"]:
        """Findings that need other files' facts (CLI only; flake8 sees one file)."""
        return ()

    @classmethod
    def has_project_part(cls) -> bool:
        return cls.check_project.__func__ is not Rule.check_project.__func__  # type: ignore[attr-defined]


class ProjectFinding:
    """A finding a project rule makes, anchored on a fact's location."""

    __slots__ = ("path", "span", "message", "severity")

    def __init__(self, path: str, span: Span, message: str, severity: Optional[Severity] = None):
        self.path = path
        self.span = span
        self.message = message
        self.severity = severity

    @classmethod
    def at(cls, fact: Fact, message: str, severity: Optional[Severity] = None) -> "ProjectFinding":
        return cls(fact.path, fact.span, message, severity)


class ProjectRule(RuleMeta):
    """A rule over the facts of the whole scanned tree."""

    def check(self, project: "Project") -> Iterable[ProjectFinding]:
        raise NotImplementedError


AnyRule = Union[Type[Rule], Type[ProjectRule]]


def analyses_for(rules: Iterable[AnyRule], facts: bool = True) -> Tuple[Type[Analysis], ...]:
    """Every analysis the given rules need, dependencies first, each once.

    `facts=False`: only what their per-file parts need (`requires`, not `facts_from`).
    """
    ordered: list = []

    def visit(analysis: Type[Analysis]) -> None:
        if analysis in ordered:
            return
        for dependency in analysis.requires:
            visit(dependency)
        ordered.append(analysis)

    for rule in rules:
        for analysis in (*rule.requires, *(getattr(rule, "facts_from", ()) if facts else ())):
            visit(analysis)
    return tuple(ordered)


def iter_rule_problems(rule: AnyRule) -> Iterator[str]:
    """Ways a rule class's metadata is malformed (used by the registry's self-test)."""
    if not RULE_CODE.match(rule.code):
        yield f"{rule.__name__}: code {rule.code!r} is not COP followed by three digits"
    if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", rule.name):
        yield f"{rule.__name__}: name {rule.name!r} is not a kebab-case slug"
    if not rule.summary:
        yield f"{rule.__name__}: summary is empty"
    if not isinstance(rule.severity, Severity):
        yield f"{rule.__name__}: severity is not a Severity"
