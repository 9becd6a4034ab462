"""The coverage report as Markdown, for a pull request, a wiki or an audit file.

Every string that comes from the scanned code or its configuration (paths,
messages, suppression reasons) is escaped, so a file name or a message cannot
inject Markdown or HTML into the rendered report.
"""

from __future__ import annotations

import re
from typing import List

from .model import STATUS_LABELS, STATUSES, ClauseCoverage, CoverageReport, FrameworkCoverage

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~&])")


def esc(text: object) -> str:
    """Plain text made safe inside Markdown (one line, specials backslash-escaped)."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def render_md(report: CoverageReport) -> str:
    out: List[str] = []
    ev = report.evidence
    out.append("# copguard coverage report")
    out.append("")
    out.append(
        "Clause by clause: which child online protection clauses copguard checked in this code, what it "
        "found, and what must be verified by hand."
    )
    out.append("")
    out.append("## Evidence")
    out.append("")
    out.append("| | |")
    out.append("| --- | --- |")
    rows = [
        ("Tool", f"{ev.tool} {ev.tool_version}"),
        ("Clause catalog", f"{ev.catalog_version} (sha256 {ev.catalog_digest})"),
        ("Scanned tree", ev.git.describe()),
        ("Scanned paths", ", ".join(ev.scanned_paths) or "."),
        ("Configuration", f"sha256 {ev.config_digest} ({ev.config_path or 'defaults'}; audience: {ev.audience})"),
        ("Generated (UTC)", ev.generated_at),
        ("Files scanned", str(ev.files_scanned)),
        ("Files not analysable", str(len(ev.not_analysable))),
        ("Rules enabled", ", ".join(ev.rules_enabled) or "none"),
        ("Frameworks", ", ".join(ev.frameworks)),
    ]
    for name, value in rows:
        out.append(f"| {name} | {esc(value)} |")
    out.append("")
    if ev.not_analysable:
        out.append(
            "**Not every file was checked.** These files could not be analysed, so no rule looked at "
            "them; \"none found\" below does not cover them:"
        )
        out.append("")
        for item in ev.not_analysable:
            where = f"{item.path}:{item.line}" if item.line else item.path
            out.append(f"- `{_code(where)}`: {esc(item.reason)}")
        out.append("")
    if ev.skipped:
        out.append("Passed over when the files were collected (not scanned):")
        out.append("")
        for path, reason in ev.skipped:
            out.append(f"- `{_code(path)}`: {esc(reason)}")
        out.append("")

    out.append("## Summary")
    out.append("")
    out.append("| Framework | Clauses | " + " | ".join(STATUS_LABELS[s] for s in STATUSES) + " |")
    out.append("| --- | --- | " + " | ".join("---" for _ in STATUSES) + " |")
    for framework in report.frameworks:
        counts = framework.counts
        out.append(
            f"| {esc(framework.id)} | {len(framework.clauses)} | "
            + " | ".join(str(counts[s]) for s in STATUSES) + " |"
        )
    totals = report.counts
    out.append(
        f"| **all** | {sum(totals.values())} | " + " | ".join(str(totals[s]) for s in STATUSES) + " |"
    )
    out.append("")
    out.append(
        f"{report.findings_total} finding(s) in the scanned code, {report.suppressed_total} suppressed with a "
        "comment (listed with their reasons under each clause)."
    )
    out.append("")

    for framework in report.frameworks:
        out.extend(_framework(framework))

    out.extend(_inventory(report))
    return "\n".join(out).rstrip("\n") + "\n"


def _framework(framework: FrameworkCoverage) -> List[str]:
    out = [f"## {esc(framework.id)}: {esc(framework.title)} ({framework.year})", ""]
    out.append(f"{esc(framework.publisher)}. Status: {esc(framework.binding)}.")
    out.append("")
    if framework.note:
        out.append(f"> **Note:** {esc(framework.note)}")
        out.append("")
    out.append("| Clause | Title | Checkable | Rules | Findings | Status |")
    out.append("| --- | --- | --- | --- | --- | --- |")
    for clause in framework.clauses:
        rules = ", ".join(
            (ref.code if ref.enabled else f"{ref.code} (disabled)") + (f" via {ref.via}" if ref.via else "")
            for ref in clause.rules
        ) or "none"
        title = ("↳ " if clause.parent else "") + clause.label[len(clause.id) + 1:]
        out.append(
            f"| {esc(clause.id)} | {esc(title)} | {clause.checkable} | {esc(rules)} | {clause.findings} | "
            f"{esc(clause.status_text)} |"
        )
    out.append("")
    for clause in framework.clauses:
        details = _clause_details(clause)
        if details:
            out.extend(details)
    return out


def _clause_details(clause: ClauseCoverage) -> List[str]:
    if not (clause.locations or clause.suppressed or clause.checklist):
        return []
    out = [f"### {esc(clause.label)}", "", f"*{esc(clause.citation)}*. Status: **{esc(clause.status_text)}**.", ""]
    if clause.locations:
        more = clause.findings - len(clause.locations)
        shown = f", first {len(clause.locations)} shown" if more else ""
        out.append(f"Findings ({clause.findings}{shown}):")
        out.append("")
        for loc in clause.locations:
            where = _code(f"{loc.path}:{loc.line}:{loc.column}")
            out.append(f"- `{where}` {loc.rule} ({loc.severity}): {esc(loc.message)}")
        out.append("")
    if clause.suppressed:
        out.append(f"Suppressed ({len(clause.suppressed)}):")
        out.append("")
        for item in clause.suppressed:
            reason = esc(item.reason) if item.reason else "*no reason given*"
            out.append(
                f"- `{_code(f'{item.path}:{item.line}')}` {item.rule}, by `{item.kind}` comment on line "
                f"{item.comment_line}: {reason}"
            )
        out.append("")
    if clause.checklist:
        out.append(f"- [ ] {esc(clause.checklist)}")
        for hint in clause.hints:
            out.append(f"  - {esc(hint)}")
        out.append("")
    return out


def _inventory(report: CoverageReport) -> List[str]:
    out = ["## Child-data inventory", ""]
    out.append(
        "Where personal data that may be a child's reaches logs, exceptions, error trackers, other "
        "services, URLs and cookies, from the COP1xx findings (suppressed ones included and marked)."
    )
    out.append("")
    if not report.inventory:
        out.append("No personal data was found reaching any of these sinks.")
        out.append("")
        return out
    out.append("| Family | Rule | Location | Reaches | Suppressed |")
    out.append("| --- | --- | --- | --- | --- |")
    for item in report.inventory:
        suppressed = f"yes: {esc(item.reason) or 'no reason given'}" if item.suppressed else "no"
        out.append(
            f"| {esc(item.family)} | {item.rule} | `{_code(f'{item.path}:{item.line}:{item.column}', table=True)}` | "
            f"{esc(item.sink)} | {suppressed} |"
        )
    out.append("")
    return out


def _code(text: str, table: bool = False) -> str:
    """Text for inside a single-backtick code span; in a table cell, `|` is escaped too."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat.replace("|", "\\|") if table else flat
