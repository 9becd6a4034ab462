"""Rules the engine itself reports: files it could not analyse, and suppression comments
that give no reason, name no known rule, or suppress nothing.

None of these visits a syntax tree. COP001 is made while a file is read and
parsed; COP002-COP004 are made once per run, after suppressions are applied
(`suppression_audit.py`), so no suppression comment can hide a finding about
itself.
"""

from __future__ import annotations

from typing import ClassVar, Tuple

from ..findings import Confidence, Severity
from ..rule import Rule


class UnanalysableFile(Rule):
    """A file that cannot be read, decoded or parsed is a finding, never a silent skip.

    A gate that skips what it cannot parse gives false assurance: the file might
    hold exactly what the other rules look for.
    """

    code = "COP001"
    name = "unanalysable-file"
    summary = "File could not be read, decoded or parsed, so no other rule checked it"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    clauses = ()


class _SuppressionRule(Rule):
    """Base of the run-level rules about suppression comments (no visitor work)."""

    prefilter: ClassVar[Tuple[str, ...]] = ()
    # Text of the generated `## Guideline clauses` block of the rule's page (no clauses mapped).
    no_clause_note: ClassVar[str] = (
        "This rule maps to no guideline clause. It keeps the record of suppressed findings\n"
        "trustworthy, so an auditor can see which child-protection findings were set aside and why.\n"
    )


class SuppressionWithoutReason(_SuppressionRule):
    """A `# copguard: ignore[...]` comment that does not say why the finding is acceptable.

    Each suppression sets aside a finding about children's data; the reason is
    what an auditor reads instead of the finding. `# noqa: COPnnn` (flake8
    style) has no place for a reason and is not reported.
    """

    code = "COP002"
    name = "suppression-without-reason"
    summary = "A copguard suppression comment gives no reason after `--`"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    clauses = ()


class UnknownSuppressionCode(_SuppressionRule):
    """A suppression comment naming a code that is no copguard rule, or naming none at all.

    A typo (`COP1O1`) or a rule that was renumbered leaves the intended finding
    unsuppressed and the comment misleading. In `# noqa` comments only codes
    starting with `COP` are checked; the others belong to other tools.
    """

    code = "COP003"
    name = "unknown-suppression-code"
    summary = "A suppression comment names an unknown rule code, or no code at all"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    clauses = ()


class UnusedSuppression(_SuppressionRule):
    """A suppression comment (or one code in it) that suppressed nothing in this run.

    Reported only for codes of rules that ran on the file, so a partial run
    (`--select`, `per-file-ignores`, the flake8 plugin without project rules)
    never calls a suppression unused that a full run would need.
    """

    code = "COP004"
    name = "unused-suppression"
    summary = "A suppression comment suppresses no finding of the rules it names"
    severity = Severity.LOW
    confidence = Confidence.HIGH
    clauses = ()
    # The doc example needs a rule whose finding the comment could suppress.
    doc_example_select: ClassVar[Tuple[str, ...]] = ("COP101",)


SUPPRESSION_RULES = (SuppressionWithoutReason, UnknownSuppressionCode, UnusedSuppression)
