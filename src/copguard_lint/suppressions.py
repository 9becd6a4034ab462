"""Inline suppressions: `# copguard: ignore[COP101] -- reason` and `# noqa: COP101`.

Comments are found with `tokenize`, not by walking the CST, and apply to the
whole logical line they stand on, as flake8's `noqa` does. A comment alone on
its line applies to the next logical line, so formatters that move a long
comment above its statement cannot break it. A bare `# noqa` names no code and
was probably written for another tool: copguard does not honour it.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Iterable, List, Sequence, Tuple

from .findings import Finding, SuppressionComment

COPGUARD_RE = re.compile(
    r"#\s*copguard\s*:\s*ignore\s*(?:\[(?P<codes>[^\]]*)\])?\s*(?:(?:--|:|—)\s*(?P<reason>.*))?$",
    re.IGNORECASE,
)
NOQA_RE = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
CODE_RE = re.compile(r"[A-Z]+[0-9]+")


def might_have_suppressions(text: str) -> bool:
    lowered = text.lower()
    return "noqa" in lowered or "copguard" in lowered


def scan(path: str, text: str) -> Tuple[SuppressionComment, ...]:
    """Every suppression comment in `text`, with the lines it covers."""
    if not might_have_suppressions(text):
        return ()
    try:
        comments = _comments_with_coverage(text)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        comments = _comments_by_line(text)
    out: List[SuppressionComment] = []
    for line, comment, lines in comments:
        parsed = _parse(path, line, comment, lines)
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def _parse(path: str, line: int, comment: str, lines: Tuple[int, ...]):
    match = COPGUARD_RE.search(comment)
    if match:
        codes = tuple(c.upper() for c in CODE_RE.findall((match.group("codes") or "").upper()))
        reason = (match.group("reason") or "").strip()
        return SuppressionComment(path, line, "copguard", codes, reason, lines)
    match = NOQA_RE.search(comment)
    if match:
        codes = tuple(CODE_RE.findall((match.group("codes") or "").upper()))
        return SuppressionComment(path, line, "noqa", codes, "", lines)
    return None


def _comments_with_coverage(text: str) -> List[Tuple[int, str, Tuple[int, ...]]]:
    """(line, comment text, covered lines) for each comment, by logical line.

    A comment after code covers the physical lines of its logical line; a
    comment with no code before it on its logical line covers the next one.
    """
    out: List[Tuple[int, str, Tuple[int, ...]]] = []
    logical_start = None
    pending: List[Tuple[int, str]] = []
    trivia = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
              tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NEWLINE)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            pending.append((token.start[0], token.string))
        elif token.type == tokenize.NEWLINE:
            start = logical_start if logical_start is not None else token.start[0]
            covered = tuple(range(start, token.end[0] + 1))
            out.extend((row, comment, covered) for row, comment in pending)
            pending = []
            logical_start = None
        elif token.type not in trivia and logical_start is None:
            logical_start = token.start[0]
    out.extend((row, comment, (row,)) for row, comment in pending)
    return out


def _comments_by_line(text: str) -> List[Tuple[int, str, Tuple[int, ...]]]:
    """Fallback for text that does not tokenize: each `#` comment covers its own line."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        index = line.find("#")
        if index >= 0:
            covered = (number, number + 1) if not line[:index].strip() else (number,)
            out.append((number, line[index:], covered))
    return out


def covers(comment: SuppressionComment, finding: Finding, honour_noqa: bool = True) -> bool:
    if finding.line not in comment.lines:
        return False
    if comment.kind == "noqa" and not honour_noqa:
        return False
    if not comment.codes:
        return False  # bare `# noqa` / `# copguard: ignore` without codes silences nothing
    return any(finding.rule.startswith(code) for code in comment.codes)


def apply(
    findings: Sequence[Finding],
    comments: Iterable[SuppressionComment],
    honour_noqa: bool = True,
) -> Tuple[Tuple[Finding, ...], Tuple[Tuple[Finding, SuppressionComment], ...]]:
    """(kept findings, (suppressed finding, by which comment) pairs)."""
    by_path: Dict[str, List[SuppressionComment]] = {}
    for comment in comments:
        by_path.setdefault(comment.path, []).append(comment)
    kept: List[Finding] = []
    suppressed: List[Tuple[Finding, SuppressionComment]] = []
    for finding in findings:
        for comment in by_path.get(finding.path, ()):
            if covers(comment, finding, honour_noqa):
                suppressed.append((finding, comment))
                break
        else:
            kept.append(finding)
    return tuple(kept), tuple(suppressed)
