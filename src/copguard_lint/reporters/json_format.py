"""One JSON object per run; other tools parse this shape, so it only grows.

    {"version": "<tool version>",
     "findings": [{"rule", "path", "line", "column", "end_line", "end_column",
                   "severity", "message", "clauses", "fingerprint"}, ...],
     "errors": [{"path", "reason", "line", "column"}, ...],
     "suppressed": [{"finding": {...}, "kind", "codes", "reason", "line"}, ...],
     "suppressions": [{"path", "line", "kind", "codes", "reason", "used"}, ...],
     "baseline": {"file", "matched", "stale": [{"fingerprint", "rule", "path", "message"}, ...]},
                                                        (only with `check --baseline`)
     "summary": {"files", "findings", "errors", "suppressed", "by_rule", "by_severity"}}
"""

from __future__ import annotations

import json

from .. import __version__
from ..engine import RunResult


def render(result: RunResult, *, baseline=None, **_: object) -> str:
    by_severity = {}
    for finding in result.findings:
        by_severity[finding.severity.label] = by_severity.get(finding.severity.label, 0) + 1
    payload = {
        "version": __version__,
        "findings": [finding.to_json() for finding in result.findings],
        "errors": [error.to_json() for error in result.errors],
        "suppressed": [
            {
                "finding": finding.to_json(),
                "kind": comment.kind,
                "codes": list(comment.codes),
                "reason": comment.reason,
                "line": comment.line,
            }
            for finding, comment in result.suppressed
        ],
        "suppressions": _suppressions(result),
        "summary": {
            "files": len(result.files),
            "findings": len(result.findings),
            "errors": len(result.errors),
            "suppressed": len(result.suppressed),
            "by_rule": result.counts_by_rule,
            "by_severity": dict(sorted(by_severity.items())),
        },
    }
    if baseline is not None:
        payload["baseline"] = baseline.to_json()
    return json.dumps(payload, indent=2, ensure_ascii=True) + "\n"


def _suppressions(result: RunResult) -> list:
    """Every suppression comment of the run, with its reason and whether it suppressed anything."""
    used = {comment for _, comment in result.suppressed}
    return [
        {
            "path": comment.path,
            "line": comment.line,
            "kind": comment.kind,
            "codes": list(comment.codes),
            "reason": comment.reason,
            "used": comment in used,
        }
        for comment in sorted(result.suppression_comments)
    ]
