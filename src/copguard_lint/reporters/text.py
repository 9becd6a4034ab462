"""`path:line:col: CODE message`, one finding a line, then a summary line."""

from __future__ import annotations

import re
from typing import List

from ..engine import RunResult


def render(result: RunResult, *, statistics: bool = False, quiet: bool = False, **_: object) -> str:
    lines: List[str] = []
    if not quiet:
        for finding in result.findings:
            lines.append(
                f"{printable(finding.path)}:{finding.line}:{finding.column}: {finding.rule} {printable(finding.message)}"
            )
    if statistics:
        names = {rule.code: rule.name for rule in result.rules}
        for code, count in result.counts_by_rule.items():
            lines.append(f"{count:>6}  {code}  {names.get(code, '')}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def summary_line(result: RunResult) -> str:
    count = len(result.findings)
    files = len(result.files)
    parts = [
        f"Found {count} problem{'s' if count != 1 else ''}" if count else "No problems found",
        f"in {files} file{'s' if files != 1 else ''}",
    ]
    extra = []
    if result.errors:
        extra.append(f"{len(result.errors)} not analysable")
    if result.suppressed:
        extra.append(f"{len(result.suppressed)} suppressed")
    text = " ".join(parts)
    if extra:
        text += f" ({', '.join(extra)})"
    return text + "."


# C0 and C1 control characters (ESC, CR, LF, tab...): a file named `a\x1b[2J.py` must
# not drive the reader's terminal, nor a newline in a name fake a line of output.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
