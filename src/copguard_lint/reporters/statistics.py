"""`--statistics` for machine formats: finding counts per rule, for stderr.

The text format prints the same lines after its findings; machine formats
keep stdout (or the output file) parseable, so the counts go to stderr.
"""

from __future__ import annotations

from ..engine import RunResult


def render_statistics(result: RunResult) -> str:
    names = {rule.code: rule.name for rule in result.rules}
    lines = [f"{count:>6}  {code}  {names.get(code, '')}".rstrip() for code, count in result.counts_by_rule.items()]
    return "".join(line + "\n" for line in lines)
