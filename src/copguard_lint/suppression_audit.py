"""COP002-COP004: findings about suppression comments, made once per run.

They are made after suppressions are applied, from the comments every file
reported and from which finding each comment suppressed, so none of them can
be suppressed by the comment it is about. Each is placed on the comment's line.

* COP002: a `# copguard: ignore[...]` comment without a reason (`-- why`).
  `# noqa: COPnnn` has no place for a reason and is not reported.
* COP003: a suppression naming a code that no registered rule has (or starts),
  or a `# copguard: ignore` naming no code at all. In `# noqa` comments only
  `COP` codes are checked: the others belong to other tools.
* COP004: a `COP` code in a suppression that suppressed nothing, reported only
  when every rule the code names really ran on that file: enabled, not turned
  off there by `per-file-ignores`, with its project part run when it has one,
  and on a file that was analysed (a file with a syntax error ran no rule).
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Set, Tuple

from .findings import FileResult, Finding, Severity, SuppressionComment
from .fingerprint import fingerprint
from .rule import AnyRule, ProjectRule

REASON_CODE, UNKNOWN_CODE, UNUSED_CODE = "COP002", "COP003", "COP004"
AUDIT_CODES = (REASON_CODE, UNKNOWN_CODE, UNUSED_CODE)


def comment_text(comment: SuppressionComment) -> str:
    """The comment as a reader would recognise it, e.g. `# copguard: ignore[COP101]`."""
    codes = ", ".join(comment.codes)
    if comment.kind == "noqa":
        return f"# noqa: {codes}" if codes else "# noqa"
    return f"# copguard: ignore[{codes}]" if codes else "# copguard: ignore"


def used_comments(suppressed: Iterable[Tuple[Finding, SuppressionComment]]) -> Set[SuppressionComment]:
    """The comments that suppressed at least one finding."""
    return {comment for _, comment in suppressed}


def audit_suppressions(
    results: Sequence[FileResult],
    suppressed: Sequence[Tuple[Finding, SuppressionComment]],
    enabled: Mapping[str, AnyRule],
    known_codes: Sequence[str],
    ignored_for_file: Callable[[Finding], bool],
    *,
    honour_noqa: bool = True,
    project: bool = True,
) -> Tuple[Finding, ...]:
    """The COP002-COP004 findings of a run (only those enabled and not ignored for their file)."""
    wanted = [code for code in AUDIT_CODES if code in enabled]
    if not wanted:
        return ()
    suppressed_rules: Dict[SuppressionComment, List[str]] = {}
    for finding, comment in suppressed:
        suppressed_rules.setdefault(comment, []).append(finding.rule)

    made: List[Finding] = []
    for result in results:
        analysed = result.error is None
        for comment in result.suppressions:
            if REASON_CODE in enabled:
                made.extend(_missing_reason(comment, enabled))
            if UNKNOWN_CODE in enabled:
                made.extend(_unknown_codes(comment, enabled, known_codes))
            if UNUSED_CODE in enabled and analysed and (comment.kind == "copguard" or honour_noqa):
                active = _Active(enabled, known_codes, ignored_for_file, comment.path, project)
                made.extend(_unused_codes(comment, enabled, suppressed_rules.get(comment, []), active))
    made = [finding for finding in made if not ignored_for_file(finding)]
    return tuple(_with_fingerprints(sorted(made)))


def _make(rule: AnyRule, comment: SuppressionComment, message: str) -> Finding:
    return Finding(
        path=comment.path,
        line=comment.line,
        column=1,
        rule=rule.code,
        end_line=comment.line,
        end_column=1,
        severity=rule.severity,
        message=message,
        clauses=tuple(rule.clauses),
    )


def _missing_reason(comment: SuppressionComment, enabled: Mapping[str, AnyRule]) -> List[Finding]:
    if comment.kind != "copguard" or not comment.codes or comment.reason:
        return []
    codes = ", ".join(comment.codes)
    message = (
        f"`{comment_text(comment)}` gives no reason: say why the finding is acceptable, "
        f"e.g. `# copguard: ignore[{codes}] -- parent's address, consent flow`"
    )
    return [_make(enabled[REASON_CODE], comment, message)]


def _unknown_codes(
    comment: SuppressionComment, enabled: Mapping[str, AnyRule], known_codes: Sequence[str]
) -> List[Finding]:
    rule = enabled[UNKNOWN_CODE]
    if comment.kind == "copguard" and not comment.codes:
        message = (
            f"`{comment_text(comment)}` names no rule code, so it suppresses nothing: "
            "write `# copguard: ignore[COPnnn] -- reason`"
        )
        return [_make(rule, comment, message)]
    checked = comment.codes if comment.kind == "copguard" else [c for c in comment.codes if c.startswith("COP")]
    unknown = [code for code in checked if not any(known.startswith(code) for known in known_codes)]
    if not unknown:
        return []
    names = ", ".join(unknown)
    what = "is not a copguard rule code" if len(unknown) == 1 else "are not copguard rule codes"
    hints = []
    for code in unknown:
        close = closest_code(code, known_codes)
        if close:
            hints.append(f"{code} -> {close}?")
    hint = f" (did you mean: {'; '.join(hints)})" if hints else " (`copguard rules` lists them)"
    message = f"`{comment_text(comment)}`: {names} {what}{hint}"
    return [_make(rule, comment, message)]


def closest_code(code: str, known_codes: Sequence[str]) -> str:
    """The known code one typo away (a wrong, missing, extra or swapped character), else ""."""
    scored = sorted((_typos(code, known), known) for known in known_codes)
    return scored[0][1] if scored and scored[0][0] <= 1 else ""


def _typos(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbours as one edit (optimal string alignment)."""
    previous2: List[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class _Active:
    """Whether every registered rule a code names really ran on one file in this run."""

    def __init__(self, enabled, known_codes, ignored_for_file, path: str, project: bool) -> None:
        self.enabled = enabled
        self.known_codes = known_codes
        self.ignored_for_file = ignored_for_file
        self.path = path
        self.project = project

    def rules_named(self, code: str) -> List[str]:
        return [known for known in self.known_codes if known.startswith(code)]

    def ran(self, rule_code: str) -> bool:
        rule = self.enabled.get(rule_code)
        if rule is None:
            return False
        probe = Finding(self.path, 0, 0, rule_code, 0, 0, Severity.LOW, "")
        if self.ignored_for_file(probe):
            return False
        if not self.project and _has_project_part(rule):
            return False
        return True

    def all_ran(self, code: str) -> bool:
        named = self.rules_named(code)
        return bool(named) and all(self.ran(rule_code) for rule_code in named)


def _has_project_part(rule: AnyRule) -> bool:
    if isinstance(rule, type) and issubclass(rule, ProjectRule):
        return True
    has_part = getattr(rule, "has_project_part", None)
    return bool(has_part()) if callable(has_part) else False


def _unused_codes(
    comment: SuppressionComment,
    enabled: Mapping[str, AnyRule],
    suppressed_rules: Sequence[str],
    active: _Active,
) -> List[Finding]:
    cop_codes = [code for code in comment.codes if code.startswith("COP")]
    unused = [
        code
        for code in cop_codes
        if active.all_ran(code) and not any(rule.startswith(code) for rule in suppressed_rules)
    ]
    if not unused:
        return []
    rule = enabled[UNUSED_CODE]
    names = ", ".join(unused)
    if len(unused) == len(comment.codes):
        message = (
            f"`{comment_text(comment)}` suppresses nothing: no {names} finding on the line it covers; "
            "remove the comment"
        )
    else:
        message = f"`{comment_text(comment)}`: {names} suppresses nothing here; remove it from the comment"
    if any(code in AUDIT_CODES for code in unused):
        message += f" ({', '.join(AUDIT_CODES)} cannot be suppressed inline; use per-file-ignores)"
    return [_make(rule, comment, message)]


def _with_fingerprints(findings: Sequence[Finding]) -> List[Finding]:
    """Fingerprints from the message (which quotes the comment), so moving code keeps them."""
    from dataclasses import replace

    seen: Dict[Tuple[str, str, str], int] = {}
    out = []
    for finding in findings:
        key = (finding.rule, finding.path, finding.message)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        out.append(replace(finding, fingerprint=fingerprint(finding.rule, finding.path, finding.message, occurrence)))
    return out
