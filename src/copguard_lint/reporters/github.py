"""GitHub Actions workflow commands: one annotation per finding.

    ::error file=app/views.py,line=12,col=5,endLine=12,endColumn=48,title=COP101 child-data-in-logs::message

GitHub reads these lines from a step's output and shows them on the pull
request's changed lines. Values are escaped as the Actions runner expects:
in the message `%`, CR and LF; in properties also `:` and `,` (which would
otherwise end a property).
"""

from __future__ import annotations

from typing import Dict, List

from ..engine import RunResult
from ..findings import Severity

COMMANDS = {
    Severity.LOW: "notice",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}


def escape_data(text: str) -> str:
    """A workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: RunResult, **_: object) -> str:
    names: Dict[str, str] = {rule.code: rule.name for rule in result.rules}
    lines: List[str] = []
    for finding in result.findings:
        title = f"{finding.rule} {names[finding.rule]}" if finding.rule in names else finding.rule
        properties = [
            ("file", finding.path),
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("endLine", str(max(finding.end_line, finding.line))),
            ("endColumn", str(finding.end_column)),
            ("title", title),
        ]
        rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        lines.append(f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(finding.message)}")
    return "".join(line + "\n" for line in lines)
