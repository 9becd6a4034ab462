"""GitLab Code Quality: a JSON array of issues for `artifacts:reports:codequality`.

Each issue has the fields GitLab reads: `description`, `check_name`,
`fingerprint` (unique per issue: copguard's fingerprint, which already tells
apart repeated findings on identical lines), `severity` (`minor`, `major`,
`critical` or `blocker`) and `location.path` with `location.lines.begin`.
"""

from __future__ import annotations

import json

from ..engine import RunResult
from ..output import escape_surrogates
from ..findings import Severity

SEVERITIES = {
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}


def render(result: RunResult, **_: object) -> str:
    issues = [
        {
            "description": f"{finding.rule}: {finding.message}",
            "check_name": finding.rule,
            "fingerprint": finding.fingerprint,
            "severity": SEVERITIES[finding.severity],
            "categories": ["Security"],
            "location": {
                "path": finding.path,
                "lines": {"begin": finding.line, "end": max(finding.end_line, finding.line)},
            },
        }
        for finding in result.findings
    ]
    return escape_surrogates(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
