"""Inline suppressions: `# copguard: ignore[COP101] -- reason` and `# noqa: COP101`.

Comments are found with `tokenize`, not by walking the CST, and apply to the
whole logical line they stand on, as flake8's `noqa` does. A `copguard: ignore`
comment alone on its line applies to the next logical line, so formatters that
move a long comment above its statement cannot break it; a `noqa` alone on its
line applies to nothing, as in flake8. A bare `# noqa` names no code and
was probably written for another tool: copguard does not honour it.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

from .findings import Finding, SuppressionComment
from .source import normalise_newlines, split_lines

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
    text = normalise_newlines(text)
    try:
        comments = _comments_with_coverage(text)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        comments = _comments_by_line(text)
    out: List[SuppressionComment] = []
    for comment in comments:
        parsed = _parse(path, comment)
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


class _Comment(NamedTuple):
    line: int
    text: str
    statement_lines: Tuple[int, ...]  # its logical line, or the next one if it stands alone
    noqa_lines: Tuple[int, ...]  # the lines flake8 would let a `# noqa` here cover


def _parse(path: str, comment: _Comment) -> Optional[SuppressionComment]:
    match = COPGUARD_RE.search(comment.text)
    if match:
        codes = tuple(c.upper() for c in CODE_RE.findall((match.group("codes") or "").upper()))
        reason = (match.group("reason") or "").strip()
        return SuppressionComment(path, comment.line, "copguard", codes, reason, comment.statement_lines)
    match = NOQA_RE.search(comment.text)
    if match:
        codes = tuple(CODE_RE.findall((match.group("codes") or "").upper()))
        return SuppressionComment(path, comment.line, "noqa", codes, "", comment.noqa_lines)
    return None


def _comments_with_coverage(text: str) -> List[_Comment]:
    """Every comment with the lines it covers, from one pass over the tokens.

    `copguard: ignore` covers a logical line: a comment after code covers the
    physical lines of its statement; a comment with no code before it on its
    logical line covers the next one.

    `noqa` covers what it covers in flake8, so both front doors silence the
    same findings: the run of lines between two line-ending tokens (NL or
    NEWLINE), which is one physical line unless a token such as a triple-quoted
    string spans several. A `noqa` alone on its line covers nothing else.
    """
    out: List[_Comment] = []
    logical_start = None
    pending: List[Tuple[int, str, Tuple[int, ...]]] = []  # (line, text, noqa lines)
    segment: List[Tuple[int, str]] = []  # comments since the last NL/NEWLINE
    segment_start = None
    trivia = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
              tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NEWLINE)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        if segment_start is None:
            segment_start = token.start[0]
        if token.type == tokenize.COMMENT:
            segment.append((token.start[0], token.string))
        if token.type in (tokenize.NL, tokenize.NEWLINE):
            noqa_lines = tuple(range(segment_start, token.end[0] + 1))
            pending.extend((row, comment, noqa_lines) for row, comment in segment)
            segment = []
            segment_start = None
        if token.type == tokenize.NEWLINE:
            start = logical_start if logical_start is not None else token.start[0]
            covered = tuple(range(start, token.end[0] + 1))
            out.extend(_Comment(row, comment, covered, noqa) for row, comment, noqa in pending)
            pending = []
            logical_start = None
        elif token.type not in trivia and logical_start is None:
            logical_start = token.start[0]
    pending.extend((row, comment, (row,)) for row, comment in segment)
    out.extend(_Comment(row, comment, (row,), noqa) for row, comment, noqa in pending)
    return out


def _comments_by_line(text: str) -> List[_Comment]:
    """Fallback for text that does not tokenize: each `#` comment covers its own line."""
    out = []
    for number, line in enumerate(split_lines(text), start=1):
        index = line.find("#")
        if index >= 0:
            covered = (number, number + 1) if not line[:index].strip() else (number,)
            out.append(_Comment(number, line[index:], covered, (number,)))
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
