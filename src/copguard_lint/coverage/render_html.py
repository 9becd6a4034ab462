"""The coverage report as one self-contained HTML file.

Inline CSS, no scripts, no external URLs (the framework links are plain text
with the address shown, never fetched). Every piece of text goes through
`html.escape`, whatever its origin: paths, messages and suppression reasons
come from the scanned code and are untrusted.
"""

from __future__ import annotations

import html
from typing import List

from .model import STATUS_LABELS, STATUSES, ClauseCoverage, CoverageReport, FrameworkCoverage

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430;
       margin: 0 auto; max-width: 1200px; padding: 24px; background: #fff; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 32px 0 8px; border-bottom: 2px solid #d8dee8; padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; }
th, td { border: 1px solid #d8dee8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f9; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em;
              overflow-wrap: anywhere; }
.lede { color: #4a5568; margin-top: 0; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 8px 12px; margin: 8px 0; }
.warn { background: #fdecea; border-left: 4px solid #c62828; padding: 8px 12px; margin: 8px 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.85em; white-space: nowrap; }
.s-violations { background: #fdecea; color: #a31515; border: 1px solid #e9a3a3; }
.s-checked { background: #e8f5e9; color: #1b5e20; border: 1px solid #a5d6a7; }
.s-rules-disabled { background: #fff3e0; color: #8a4b00; border: 1px solid #ffcc80; }
.s-no-rule { background: #eef1f6; color: #37474f; border: 1px solid #c5ccd8; }
.s-manual { background: #f3e5f5; color: #5b2c6f; border: 1px solid #d1b3dc; }
.sub { padding-left: 18px; }
td.cid { white-space: nowrap; }
details { margin: 4px 0; }
summary { cursor: pointer; }
ul.tight { margin: 4px 0; padding-left: 20px; }
.muted { color: #6b7280; }
"""


def h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _status(status: str, text: str) -> str:
    return f'<span class="status s-{h(status)}">{h(text)}</span>'


def render_html(report: CoverageReport) -> str:
    ev = report.evidence
    out: List[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>copguard coverage report</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<h1 id="report-title">copguard coverage report</h1>',
        '<p class="lede">Clause by clause: which child online protection clauses copguard checked in this '
        "code, what it found, and what must be verified by hand.</p>",
        '<h2 id="evidence">Evidence</h2>',
        '<table class="evidence"><tbody>',
    ]
    rows = [
        ("Tool", f"{ev.tool} {ev.tool_version}"),
        ("Clause catalog", f"{ev.catalog_version} (sha256 {ev.catalog_digest})"),
        ("Scanned tree", ev.git.describe()),
        ("Scanned paths", ", ".join(ev.scanned_paths) or "."),
        ("Configuration", f"sha256 {ev.config_digest} ({ev.config_path or 'defaults'}; audience: {ev.audience})"),
        ("Generated (UTC)", ev.generated_at),
        ("Files scanned", ev.files_scanned),
        ("Files not analysable", len(ev.not_analysable)),
        ("Rules enabled", ", ".join(ev.rules_enabled) or "none"),
        ("Frameworks", ", ".join(ev.frameworks)),
    ]
    for name, value in rows:
        out.append(f'<tr><th scope="row">{h(name)}</th><td class="mono">{h(value)}</td></tr>')
    out.append("</tbody></table>")
    if ev.not_analysable:
        out.append(
            '<div class="warn"><strong>Not every file was checked.</strong> These files could not be '
            "analysed, so no rule looked at them; &ldquo;none found&rdquo; below does not cover them:"
            '<ul class="tight">'
        )
        for item in ev.not_analysable:
            where = f"{item.path}:{item.line}" if item.line else item.path
            out.append(f"<li><code>{h(where)}</code>: {h(item.reason)}</li>")
        out.append("</ul></div>")
    if ev.skipped:
        out.append('<div class="note">Passed over when the files were collected (not scanned):<ul class="tight">')
        for path, reason in ev.skipped:
            out.append(f"<li><code>{h(path)}</code>: {h(reason)}</li>")
        out.append("</ul></div>")

    out.append('<h2 id="summary">Summary</h2>')
    out.append("<table><thead><tr><th>Framework</th><th>Clauses</th>")
    out.extend(f"<th>{h(STATUS_LABELS[s])}</th>" for s in STATUSES)
    out.append("</tr></thead><tbody>")
    for framework in report.frameworks:
        counts = framework.counts
        out.append(
            f'<tr><td><a href="#fw-{h(framework.id)}">{h(framework.id)}</a></td><td>{len(framework.clauses)}</td>'
            + "".join(f"<td>{counts[s]}</td>" for s in STATUSES) + "</tr>"
        )
    totals = report.counts
    out.append(
        f"<tr><th>all</th><th>{sum(totals.values())}</th>"
        + "".join(f"<th>{totals[s]}</th>" for s in STATUSES) + "</tr>"
    )
    out.append("</tbody></table>")
    out.append(
        f"<p>{report.findings_total} finding(s) in the scanned code, {report.suppressed_total} suppressed with "
        "a comment (listed with their reasons under each clause).</p>"
    )

    for framework in report.frameworks:
        out.extend(_framework(framework))
    out.extend(_inventory(report))
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def _framework(framework: FrameworkCoverage) -> List[str]:
    out = [
        f'<h2 id="fw-{h(framework.id)}">{h(framework.id)}: {h(framework.title)} ({h(framework.year)})</h2>',
        f'<p class="muted">{h(framework.publisher)}. Status: {h(framework.binding)}. '
        f"Source: <span class=\"mono\">{h(framework.url)}</span></p>",
    ]
    if framework.note:
        out.append(f'<div class="note"><strong>Note:</strong> {h(framework.note)}</div>')
    out.append(
        "<table><thead><tr><th>Clause</th><th>Title</th><th>Checkable</th><th>Rules</th><th>Findings</th>"
        "<th>Status and details</th></tr></thead><tbody>"
    )
    for clause in framework.clauses:
        out.append(_clause_row(clause))
    out.append("</tbody></table>")
    return out


def _clause_row(clause: ClauseCoverage) -> str:
    rules = ", ".join(
        h(ref.code + ("" if ref.enabled else " (disabled)") + (f" via {ref.via}" if ref.via else ""))
        for ref in clause.rules
    ) or '<span class="muted">none</span>'
    title = h(clause.label[len(clause.id) + 1:])
    indent = ' class="sub"' if clause.parent else ""
    cell = [_status(clause.status, clause.status_text)]
    details = _clause_details(clause)
    if details:
        cell.append("<details><summary>details</summary>" + details + "</details>")
    return (
        f'<tr id="clause-{h(clause.id)}"><td class="cid"><code>{h(clause.id)}</code></td><td{indent}>{title}'
        f'<div class="muted">{h(clause.citation)}</div></td><td>{h(clause.checkable)}</td><td>{rules}</td>'
        f"<td>{clause.findings}</td><td>{''.join(cell)}</td></tr>"
    )


def _clause_details(clause: ClauseCoverage) -> str:
    parts: List[str] = []
    if clause.locations:
        more = clause.findings - len(clause.locations)
        shown = f", first {len(clause.locations)} shown" if more else ""
        parts.append(f"<div>Findings ({clause.findings}{shown}):</div>")
        parts.append('<ul class="tight">')
        for loc in clause.locations:
            parts.append(
                f"<li><code>{h(loc.path)}:{loc.line}:{loc.column}</code> {h(loc.rule)} ({h(loc.severity)}): "
                f"{h(loc.message)}</li>"
            )
        parts.append("</ul>")
    if clause.suppressed:
        parts.append(f"<div>Suppressed ({len(clause.suppressed)}):</div>")
        parts.append('<ul class="tight">')
        for item in clause.suppressed:
            reason = h(item.reason) if item.reason else '<em class="muted">no reason given</em>'
            parts.append(
                f"<li><code>{h(item.path)}:{item.line}</code> {h(item.rule)}, by <code>{h(item.kind)}</code> "
                f"comment on line {item.comment_line}: {reason}</li>"
            )
        parts.append("</ul>")
    if clause.checklist:
        parts.append(f"<div>&#9744; {h(clause.checklist)}</div>")
        if clause.hints:
            parts.append('<ul class="tight muted">' + "".join(f"<li>{h(hint)}</li>" for hint in clause.hints) + "</ul>")
    return "".join(parts)


def _inventory(report: CoverageReport) -> List[str]:
    out = [
        '<h2 id="inventory">Child-data inventory</h2>',
        "<p>Where personal data that may be a child's reaches logs, exceptions, error trackers, other "
        "services, URLs and cookies, from the COP1xx findings (suppressed ones included and marked).</p>",
    ]
    if not report.inventory:
        out.append("<p>No personal data was found reaching any of these sinks.</p>")
        return out
    out.append(
        "<table><thead><tr><th>Family</th><th>Rule</th><th>Location</th><th>Reaches</th><th>Suppressed</th>"
        "</tr></thead><tbody>"
    )
    for item in report.inventory:
        suppressed = f"yes: {h(item.reason) or 'no reason given'}" if item.suppressed else "no"
        out.append(
            f"<tr><td>{h(item.family)}</td><td>{h(item.rule)}</td>"
            f"<td><code>{h(item.path)}:{item.line}:{item.column}</code></td><td>{h(item.sink)}</td>"
            f"<td>{suppressed}</td></tr>"
        )
    out.append("</tbody></table>")
    return out
