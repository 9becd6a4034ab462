"""The coverage report as plain data.

`build_report()` needs no I/O of its own apart from asking git about the
scanned tree (which callers can replace with `git=`), and takes the time from
an injectable clock, so the same inputs give the same report.

Per clause, the status is one of:

* ``violations``     - findings in the scanned code (suppressed ones do not count);
* ``checked``        - checked by N enabled rules, none found;
* ``rules-disabled`` - rules exist for the clause, but the configuration turned them off;
* ``no-rule``        - checkable in code, but copguard has no rule for it yet;
* ``manual``         - not checkable in code: a checklist item says what to verify by hand.

An umbrella clause (one that other clauses name as their parent) is checked
through its sub-clauses too: their rules and findings count for it, and the
report says which sub-clause they come through.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from .. import __version__
from ..catalog import Catalog, Clause, Framework
from ..config import Settings
from ..findings import Finding, SuppressionComment

STATUS_VIOLATIONS = "violations"
STATUS_CHECKED = "checked"
STATUS_RULES_DISABLED = "rules-disabled"
STATUS_NO_RULE = "no-rule"
STATUS_MANUAL = "manual"
STATUSES = (STATUS_VIOLATIONS, STATUS_CHECKED, STATUS_RULES_DISABLED, STATUS_NO_RULE, STATUS_MANUAL)
STATUS_LABELS = {
    STATUS_VIOLATIONS: "violations found",
    STATUS_CHECKED: "checked, none found",
    STATUS_RULES_DISABLED: "checkable, rules disabled",
    STATUS_NO_RULE: "checkable, no rule yet",
    STATUS_MANUAL: "not checkable in code: manual check",
}
CHECKABLE = ("yes", "partly")
MAX_LOCATIONS = 5  # findings listed per clause; the count is always complete

Clock = Callable[[], _dt.datetime]


# -- the data ------------------------------------------------------------------


@dataclass(frozen=True)
class GitState:
    """What git says about the scanned tree; `commit` None when it cannot say."""

    commit: Optional[str]
    dirty: Optional[bool]
    note: str  # "clean", "uncommitted changes", "not a git repository", ...

    def describe(self) -> str:
        if self.commit is None:
            return self.note
        return f"{self.commit} ({self.note})"


@dataclass(frozen=True)
class Location:
    path: str
    line: int
    column: int
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class SuppressedFinding:
    path: str
    line: int
    column: int
    rule: str
    message: str
    kind: str  # "copguard" or "noqa"
    reason: str  # "" when the comment gave none
    comment_line: int


@dataclass(frozen=True)
class RuleRef:
    code: str
    name: str
    enabled: bool
    via: Optional[str] = None  # the sub-clause this rule is mapped to, for an umbrella clause


@dataclass(frozen=True)
class ClauseCoverage:
    id: str
    framework: str
    title: str
    label: str  # catalog.describe(): title plus the derived-numbering note where due
    citation: str
    parent: Optional[str]
    checkable: str  # yes | partly | no
    derived_numbering: bool
    rules: Tuple[RuleRef, ...]
    status: str  # one of STATUSES
    status_text: str  # "checked by 2 rules, none found"
    findings: int
    locations: Tuple[Location, ...]  # the first MAX_LOCATIONS findings
    suppressed: Tuple[SuppressedFinding, ...]
    checklist: Optional[str]  # what to verify by hand, when something must be
    hints: Tuple[str, ...]  # the catalog's code signals, shown with a checklist item
    subclauses: Tuple[str, ...] = ()

    @property
    def enabled_rules(self) -> Tuple[RuleRef, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)

    @property
    def is_checkable(self) -> bool:
        return self.checkable in CHECKABLE


@dataclass(frozen=True)
class FrameworkCoverage:
    id: str
    title: str
    publisher: str
    year: int
    binding: str
    url: str
    derived_numbering: bool
    note: Optional[str]  # the derived-numbering note, for KH-COP
    clauses: Tuple[ClauseCoverage, ...]

    def count(self, status: str) -> int:
        return sum(1 for clause in self.clauses if clause.status == status)

    @property
    def counts(self) -> Dict[str, int]:
        return {status: self.count(status) for status in STATUSES}


@dataclass(frozen=True)
class InventoryItem:
    """One place where personal data that may be a child's reaches a sink."""

    family: str  # "log", "http"... (the rule's family), or the rule code
    rule: str
    path: str
    line: int
    column: int
    sink: str  # what it reaches, from the finding's message
    suppressed: bool
    reason: str = ""


@dataclass(frozen=True)
class UnanalysableFile:
    path: str
    reason: str
    line: Optional[int]


@dataclass(frozen=True)
class Evidence:
    tool: str
    tool_version: str
    catalog_version: str
    catalog_digest: str
    git: GitState
    config_digest: str
    config_path: Optional[str]
    generated_at: str  # UTC, ISO 8601
    scanned_paths: Tuple[str, ...]
    files_scanned: int
    not_analysable: Tuple[UnanalysableFile, ...]
    skipped: Tuple[Tuple[str, str], ...]  # (path, reason): passed over by discovery, not scanned
    rules_enabled: Tuple[str, ...]
    frameworks: Tuple[str, ...]
    audience: str


@dataclass(frozen=True)
class CoverageReport:
    evidence: Evidence
    frameworks: Tuple[FrameworkCoverage, ...]
    inventory: Tuple[InventoryItem, ...]
    findings_total: int
    suppressed_total: int

    def clauses(self) -> Iterable[ClauseCoverage]:
        for framework in self.frameworks:
            yield from framework.clauses

    @property
    def counts(self) -> Dict[str, int]:
        out = {status: 0 for status in STATUSES}
        for clause in self.clauses():
            out[clause.status] += 1
        return out

    def violated_checkable(self) -> List[ClauseCoverage]:
        """Checkable clauses (yes or partly) with findings: `--fail-on-violations`."""
        return [c for c in self.clauses() if c.is_checkable and c.status == STATUS_VIOLATIONS]

    def uncovered_checkable(self) -> List[ClauseCoverage]:
        """Checkable clauses with no enabled rule: `--require-coverage`."""
        return [c for c in self.clauses() if c.is_checkable and not c.enabled_rules]

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts
        for framework, raw in zip(self.frameworks, data["frameworks"]):
            raw["counts"] = framework.counts
            for clause, raw_clause in zip(framework.clauses, raw["clauses"]):
                raw_clause["status_label"] = STATUS_LABELS[clause.status]
        return data


# -- evidence --------------------------------------------------------------------


def git_state(directory: Path, pathspecs: Sequence[str] = ()) -> GitState:
    """The commit checked out in `directory` and whether the scanned paths have changes."""

    def git(*args: str) -> Optional[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=str(directory), capture_output=True, text=True, timeout=30,
                env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    inside = git("rev-parse", "--is-inside-work-tree")
    if inside is None or inside.strip() != "true":
        return GitState(None, None, "not a git repository")
    head = git("rev-parse", "--verify", "-q", "HEAD")
    if head is None or not head.strip():
        return GitState(None, None, "git repository without commits")
    status = git("status", "--porcelain", "--", *(pathspecs or (".",)))
    if status is None:
        return GitState(head.strip(), None, "working tree state unknown")
    dirty = bool(status.strip())
    return GitState(head.strip(), dirty, "uncommitted changes" if dirty else "clean")


def utc_now() -> _dt.datetime:
    """Now, or SOURCE_DATE_EPOCH when set (reproducible reports)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
    return _dt.datetime.now(tz=_dt.timezone.utc)


def _iso(moment: _dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- building ----------------------------------------------------------------------


def build_report(
    result: Any,
    catalog: Catalog,
    rules: Sequence[Any],
    settings: Settings,
    *,
    frameworks: Sequence[str] = (),
    scanned_paths: Sequence[str] = (),
    skipped: Sequence[Tuple[str, str]] = (),
    git: Optional[GitState] = None,
    clock: Clock = utc_now,
) -> CoverageReport:
    """The coverage report of one run.

    `result` is the engine's RunResult; `rules` every registered rule (the
    enabled ones are those in `result.rules`, or selected by `settings`);
    `frameworks` limits the report to these framework ids (all when empty);
    `skipped` lists (path, reason) pairs that discovery passed over.
    """
    from ..registry import is_selected

    unknown = [f for f in frameworks if f not in catalog.frameworks]
    if unknown:
        catalog.framework(unknown[0])  # raises KeyError with suggestions
    enabled_codes = (
        {rule.code for rule in result.rules}
        if getattr(result, "rules", None)
        else {rule.code for rule in rules if is_selected(rule.code, settings.select, settings.ignore)}
    )
    known: Dict[str, Any] = {rule.code: rule for rule in rules}
    for rule in getattr(result, "rules", None) or ():
        known.setdefault(rule.code, rule)
    rules = [known[code] for code in sorted(known)]
    rules_by_clause: Dict[str, List[Any]] = {}
    for rule in rules:
        for clause_id in rule.clauses:
            rules_by_clause.setdefault(clause_id, []).append(rule)
    children: Dict[str, List[str]] = {}
    for clause in catalog.clauses.values():
        if clause.parent:
            children.setdefault(clause.parent, []).append(clause.id)

    findings_by_clause: Dict[str, List[Finding]] = {}
    for finding in result.findings:
        for clause_id in finding.clauses:
            findings_by_clause.setdefault(clause_id, []).append(finding)
    suppressed_by_clause: Dict[str, List[Tuple[Finding, SuppressionComment]]] = {}
    for finding, comment in result.suppressed:
        for clause_id in finding.clauses:
            suppressed_by_clause.setdefault(clause_id, []).append((finding, comment))

    wanted = list(frameworks) or list(catalog.frameworks)
    framework_reports = []
    for framework_id in catalog.frameworks:
        if framework_id not in wanted:
            continue
        framework = catalog.framework(framework_id)
        clause_reports = tuple(
            _clause_coverage(
                catalog, clause, _descendants(clause.id, children), rules_by_clause, enabled_codes,
                findings_by_clause, suppressed_by_clause,
            )
            for clause in catalog.clauses_of(framework_id)
        )
        framework_reports.append(_framework_coverage(framework, clause_reports))

    evidence = Evidence(
        tool="copguard-lint",
        tool_version=__version__,
        catalog_version=catalog.version,
        catalog_digest=catalog.digest(),
        git=git if git is not None else GitState(None, None, "not determined"),
        config_digest=settings.digest(),
        config_path=settings.config_path,
        generated_at=_iso(clock()),
        scanned_paths=tuple(scanned_paths),
        files_scanned=len(result.files),
        not_analysable=tuple(
            UnanalysableFile(error.path, error.reason, error.line) for error in result.errors
        ),
        skipped=tuple((str(path), str(reason)) for path, reason in skipped),
        rules_enabled=tuple(sorted(enabled_codes)),
        frameworks=tuple(f for f in catalog.frameworks if f in wanted),
        audience=settings.audience,
    )
    return CoverageReport(
        evidence=evidence,
        frameworks=tuple(framework_reports),
        inventory=build_inventory(result.findings, result.suppressed, rules),
        findings_total=len(result.findings),
        suppressed_total=len(result.suppressed),
    )


def _descendants(clause_id: str, children: Dict[str, List[str]]) -> List[str]:
    out: List[str] = []
    stack = list(children.get(clause_id, ()))
    while stack:
        child = stack.pop(0)
        if child not in out:
            out.append(child)
            stack.extend(children.get(child, ()))
    return out


def _clause_coverage(
    catalog: Catalog,
    clause: Clause,
    descendants: List[str],
    rules_by_clause: Dict[str, List[Any]],
    enabled_codes: set,
    findings_by_clause: Dict[str, List[Finding]],
    suppressed_by_clause: Dict[str, List[Tuple[Finding, SuppressionComment]]],
) -> ClauseCoverage:
    refs: List[RuleRef] = []
    seen = set()
    for source in (clause.id, *descendants):
        for rule in rules_by_clause.get(source, ()):
            if rule.code in seen:
                continue
            seen.add(rule.code)
            refs.append(RuleRef(
                rule.code, rule.name, rule.code in enabled_codes, None if source == clause.id else source,
            ))
    found: Dict[Tuple, Finding] = {}
    hidden: Dict[Tuple, Tuple[Finding, SuppressionComment]] = {}
    for source in (clause.id, *descendants):
        for finding in findings_by_clause.get(source, ()):
            found.setdefault(_finding_key(finding), finding)
        for finding, comment in suppressed_by_clause.get(source, ()):
            hidden.setdefault(_finding_key(finding), (finding, comment))
    findings = sorted(found.values())
    enabled = [ref for ref in refs if ref.enabled]
    if findings:
        status = STATUS_VIOLATIONS
        text = f"violations found ({len(findings)} finding{'s' if len(findings) != 1 else ''})"
    elif clause.checkable not in CHECKABLE:
        status, text = STATUS_MANUAL, STATUS_LABELS[STATUS_MANUAL]
    elif enabled:
        status = STATUS_CHECKED
        text = f"checked by {len(enabled)} rule{'s' if len(enabled) != 1 else ''}, none found"
    elif refs:
        status = STATUS_RULES_DISABLED
        text = "checkable, rules disabled in the configuration: " + ", ".join(ref.code for ref in refs)
    else:
        status, text = STATUS_NO_RULE, STATUS_LABELS[STATUS_NO_RULE]
    if enabled and any(ref.via for ref in enabled) and status in (STATUS_CHECKED, STATUS_VIOLATIONS):
        covered = [d for d in descendants if any(ref.via == d for ref in enabled)]
        checkable_children = [d for d in descendants if catalog.clause(d).checkable in CHECKABLE]
        text += f"; through sub-clauses ({len(covered)} of {len(checkable_children)} checkable have rules)"
    checklist = _checklist(clause, status)
    framework = catalog.framework(clause.framework)
    return ClauseCoverage(
        id=clause.id,
        framework=clause.framework,
        title=clause.title,
        label=catalog.describe(clause.id),
        citation=clause.citation,
        parent=clause.parent,
        checkable=clause.checkable,
        derived_numbering=framework.derived_numbering,
        rules=tuple(refs),
        status=status,
        status_text=text,
        findings=len(findings),
        locations=tuple(
            Location(f.path, f.line, f.column, f.rule, f.severity.label, f.message) for f in findings[:MAX_LOCATIONS]
        ),
        suppressed=tuple(
            SuppressedFinding(f.path, f.line, f.column, f.rule, f.message, c.kind, c.reason, c.line)
            for f, c in sorted(hidden.values(), key=lambda pair: pair[0])
        ),
        checklist=checklist,
        hints=tuple(clause.signals) if checklist else (),
        subclauses=tuple(descendants),
    )


def _finding_key(finding: Finding) -> Tuple:
    return (finding.path, finding.line, finding.column, finding.rule, finding.end_line, finding.end_column,
            finding.message)


def _checklist(clause: Clause, status: str) -> Optional[str]:
    summary = clause.summary.strip()
    if status == STATUS_MANUAL:
        return f"Verify by hand: {summary}"
    if status in (STATUS_NO_RULE, STATUS_RULES_DISABLED):
        return f"No enabled rule checks this; verify by hand: {summary}"
    if clause.checkable == "partly":
        return f"Only partly checkable in code; also verify by hand: {summary}"
    return None


def _framework_coverage(framework: Framework, clauses: Tuple[ClauseCoverage, ...]) -> FrameworkCoverage:
    note = None
    if framework.derived_numbering:
        note = (
            f"{framework.id} clause numbering is derived by copguard: no public text of the "
            f"{framework.title} ({framework.year}) was found, so these clause IDs follow copguard's own "
            "structure, taken from the published launch summary, not the publisher's numbering."
        )
    return FrameworkCoverage(
        id=framework.id,
        title=framework.title,
        publisher=framework.publisher,
        year=framework.year,
        binding=framework.binding,
        url=framework.url,
        derived_numbering=framework.derived_numbering,
        note=note,
        clauses=clauses,
    )


# -- the child-data inventory ---------------------------------------------------

_SINK = re.compile(r"\breaches (?P<sink>.+?)(?::\s|$)")


def build_inventory(
    findings: Sequence[Finding],
    suppressed: Sequence[Tuple[Finding, SuppressionComment]],
    rules: Sequence[Any],
) -> Tuple[InventoryItem, ...]:
    """Where personal data that may be a child's goes, by rule family.

    First version: built from the COP1xx findings (kept and suppressed), with
    the sink taken from the message ("... reaches a log via logger.info: ...").
    It is the one place to change when richer facts from the flow analysis
    (data categories per location) become available.
    """
    families = {rule.code: getattr(rule, "family", "") or rule.code for rule in rules}
    items = []
    pairs = [(finding, None) for finding in findings] + list(suppressed)
    for finding, comment in pairs:
        if not finding.rule.startswith("COP1"):
            continue
        match = _SINK.search(finding.message)
        sink = match.group("sink") if match else finding.message
        items.append(InventoryItem(
            family=families.get(finding.rule, finding.rule),
            rule=finding.rule,
            path=finding.path,
            line=finding.line,
            column=finding.column,
            sink=sink,
            suppressed=comment is not None,
            reason=comment.reason if comment is not None else "",
        ))
    return tuple(sorted(items, key=lambda i: (i.family, i.path, i.line, i.column, i.rule, i.sink)))


__all__ = [
    "CHECKABLE",
    "ClauseCoverage",
    "CoverageReport",
    "Evidence",
    "FrameworkCoverage",
    "GitState",
    "InventoryItem",
    "Location",
    "RuleRef",
    "STATUSES",
    "STATUS_LABELS",
    "SuppressedFinding",
    "UnanalysableFile",
    "build_inventory",
    "build_report",
    "git_state",
    "utc_now",
]
