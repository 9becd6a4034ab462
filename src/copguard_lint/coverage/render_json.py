"""The coverage report as one JSON object (stable shape; fields are only ever added).

    {"report": "copguard-coverage", "schema_version": 1,
     "evidence": {...}, "counts": {status: n},
     "frameworks": [{"id", "title", ..., "counts", "clauses": [{"id", "status", "status_label",
                     "status_text", "rules", "findings", "locations", "suppressed",
                     "checklist", "hints", ...}]}],
     "inventory": [{"family", "rule", "path", "line", "column", "sink", "suppressed", "reason"}],
     "findings_total": n, "suppressed_total": n}
"""

from __future__ import annotations

import json

from .model import CoverageReport

SCHEMA_VERSION = 1


def render_json(report: CoverageReport) -> str:
    payload = {"report": "copguard-coverage", "schema_version": SCHEMA_VERSION, **report.to_json()}
    return json.dumps(payload, indent=2, ensure_ascii=True) + "\n"
