"""Plain, frozen result data.

Everything a run produces is made of these types: no CST nodes, no exceptions,
nothing that cannot be pickled to a worker process, written to the cache as JSON
or compared for equality in a determinism test.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Optional, Tuple


class Severity(enum.IntEnum):
    """How much harm a finding can do; ordered so `--fail-on` is a comparison."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: expected one of low, medium, high, critical"
            ) from None


class Confidence(enum.IntEnum):
    """How sure a rule is that a match is a real problem (SARIF `precision`)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Span:
    """A source range: lines 1-based, columns 1-based, end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def whole_line(cls, line: int, length: int = 0) -> "Span":
        return cls(line, 1, line, length + 1)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. Field order is the output sort order."""

    path: str
    line: int
    column: int
    rule: str
    end_line: int
    end_column: int
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    clauses: Tuple[str, ...] = field(compare=False, default=())
    fingerprint: str = field(compare=False, default="")

    @property
    def span(self) -> Span:
        return Span(self.line, self.column, self.end_line, self.end_column)

    def to_json(self) -> Dict[str, Any]:
        return {
            "rule": self.rule,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity.label,
            "message": self.message,
            "clauses": list(self.clauses),
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Finding":
        return cls(
            path=data["path"],
            line=data["line"],
            column=data["column"],
            rule=data["rule"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            severity=Severity.parse(data["severity"]),
            message=data["message"],
            clauses=tuple(data["clauses"]),
            fingerprint=data["fingerprint"],
        )


@dataclass(frozen=True, order=True)
class Fact:
    """Something a file says about itself, for project-level rules.

    `data` holds only JSON types (str, int, float, bool, None, lists, dicts with
    str keys) so facts can be cached and sent between processes unchanged.
    """

    kind: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    data: Tuple[Tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        for name, value in self.data:
            if name == key:
                return value
        return default

    @property
    def span(self) -> Span:
        return Span(self.line, self.column, self.end_line, self.end_column)

    def to_json(self) -> Dict[str, Any]:
        out = asdict(self)
        out["data"] = dict(self.data)
        return out

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Fact":
        return cls(
            kind=data["kind"],
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            data=freeze_data(data["data"]),
        )


def freeze_data(data: Dict[str, Any]) -> Tuple[Tuple[str, Any], ...]:
    """Turn a JSON-like dict into the hashable, ordered form a Fact stores."""
    return tuple(sorted((key, _freeze(value)) for key, value in data.items()))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True)
class FileError:
    """A file the engine could not fully analyse (also reported as COP001)."""

    path: str
    reason: str
    line: Optional[int] = None
    column: Optional[int] = None

    def to_json(self) -> Dict[str, Any]:
        return {"path": self.path, "reason": self.reason, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class FileResult:
    """What one file contributes to a run: findings (before suppression), facts and suppression comments."""

    path: str
    findings: Tuple[Finding, ...] = ()
    facts: Tuple[Fact, ...] = ()
    error: Optional[FileError] = None
    suppressions: Tuple["SuppressionComment", ...] = ()
    parsed: bool = True
    # Fact-recording analyses the prefilter left out of this file (all of them if
    # it was not parsed): Engine.lint_linked lints it in full if a link asks.
    skipped: Tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class SuppressionComment:
    """A `# copguard: ignore[...]` or `# noqa: ...` comment found in a file.

    `codes` empty means a bare `# noqa` (which copguard does not honour).
    `lines` are the physical lines the comment covers (its logical line, or the
    next statement's lines for a comment standing alone on its line).
    """

    path: str
    line: int
    kind: str  # "copguard" or "noqa"
    codes: Tuple[str, ...]
    reason: str
    lines: Tuple[int, ...]
