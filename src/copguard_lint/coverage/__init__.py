"""The auditor's coverage report: clause by clause, what a scan checked, found and could not check.

`model.build_report` turns a RunResult, the clause catalog, the rule registry
and the effective settings into a plain-data `CoverageReport`; the renderers
(`render_md`, `render_html`, `render_json`) only format it.
"""

from __future__ import annotations

from .model import (
    STATUS_CHECKED,
    STATUS_MANUAL,
    STATUS_NO_RULE,
    STATUS_RULES_DISABLED,
    STATUS_VIOLATIONS,
    CoverageReport,
    build_report,
    git_state,
)

RENDERERS = ("md", "html", "json")


def render(report: CoverageReport, output_format: str) -> str:
    """The report as text in one of RENDERERS."""
    if output_format == "md":
        from .render_md import render_md

        return render_md(report)
    if output_format == "html":
        from .render_html import render_html

        return render_html(report)
    if output_format == "json":
        from .render_json import render_json

        return render_json(report)
    raise ValueError(f"unknown coverage report format {output_format!r}")


__all__ = [
    "RENDERERS",
    "STATUS_CHECKED",
    "STATUS_MANUAL",
    "STATUS_NO_RULE",
    "STATUS_RULES_DISABLED",
    "STATUS_VIOLATIONS",
    "CoverageReport",
    "build_report",
    "git_state",
    "render",
]
