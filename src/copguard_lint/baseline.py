"""Baselines: accept today's findings, report only new ones.

`copguard baseline create` writes the fingerprints of the current findings to
a JSON file (default `.copguard-baseline.json`); `copguard check --baseline
FILE` then leaves out every finding whose fingerprint is in it. Fingerprints
hash the rule, the file and the flagged line's text, never its number
(`fingerprint.py`), so code moving up or down keeps matching, while editing
the flagged line makes the finding new again.

Entries no finding matches any more are *stale*: the problem was fixed (or
the line changed). They are reported, and `copguard baseline prune` removes
them, so the baseline only ever shrinks. An entry counts as stale only when
this run could have found it again: its file was in the scanned paths and its
rule was enabled.

The file is validated strictly: a corrupted or foreign file is an error, never
an empty baseline (that would fail every CI run at once, or worse, silently
accept nothing being checked).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence, Tuple

from . import __version__
from .findings import Finding
from .output import write_atomic

TOOL = "copguard-lint"
SCHEMA_VERSION = 1
DEFAULT_BASELINE = ".copguard-baseline.json"
ABOUT = (
    "Findings accepted when this file was written. `copguard check --baseline FILE` reports only "
    "findings not listed here; `copguard baseline prune` removes entries that no longer match."
)
ENTRY_FIELDS = ("fingerprint", "rule", "path", "message")


class BaselineError(Exception):
    """The baseline file is missing, unreadable, not JSON or not a copguard baseline."""


@dataclass(frozen=True, order=True)
class BaselineEntry:
    path: str
    rule: str
    message: str
    fingerprint: str

    def to_json(self) -> Dict[str, str]:
        return {"fingerprint": self.fingerprint, "rule": self.rule, "path": self.path, "message": self.message}

    @classmethod
    def from_finding(cls, finding: Finding) -> "BaselineEntry":
        return cls(path=finding.path, rule=finding.rule, message=finding.message, fingerprint=finding.fingerprint)


@dataclass(frozen=True)
class Baseline:
    entries: Tuple[BaselineEntry, ...] = ()
    version: str = __version__

    @property
    def fingerprints(self) -> frozenset:
        return frozenset(entry.fingerprint for entry in self.entries)

    def to_json(self) -> Dict[str, Any]:
        return {
            "tool": TOOL,
            "schema_version": SCHEMA_VERSION,
            "version": self.version,
            "about": ABOUT,
            "entries": [entry.to_json() for entry in sorted(self.entries)],
        }

    def render(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def without(self, stale: Iterable[BaselineEntry]) -> "Baseline":
        gone = set(stale)
        return replace(self, entries=tuple(e for e in self.entries if e not in gone), version=__version__)


def baseline_of(findings: Iterable[Finding]) -> Baseline:
    """A baseline accepting exactly `findings`."""
    return Baseline(tuple(sorted({BaselineEntry.from_finding(f) for f in findings})))


def write_baseline(path: Path, baseline: Baseline) -> None:
    write_atomic(path, baseline.render())


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; every problem is a BaselineError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"baseline {path} does not exist (create it with `copguard baseline create --baseline {path}`)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise BaselineError(f"cannot read baseline {path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(
            f"baseline {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "recreate it with `copguard baseline create`"
        ) from None
    return parse_baseline(data, str(path))


def parse_baseline(data: Any, where: str) -> Baseline:
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise BaselineError(f"{where} is not a copguard baseline (no \"tool\": \"{TOOL}\")")
    schema = data.get("schema_version")
    if schema != SCHEMA_VERSION:
        raise BaselineError(
            f"baseline {where} has schema_version {schema!r}; this copguard reads schema_version "
            f"{SCHEMA_VERSION} (recreate it with `copguard baseline create`)"
        )
    version = data.get("version", "")
    if not isinstance(version, str):
        raise BaselineError(f"baseline {where}: \"version\" must be a string")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {where}: \"entries\" must be a list")
    out: List[BaselineEntry] = []
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BaselineError(f"baseline {where}: entries[{number}] must be an object")
        for name in ENTRY_FIELDS:
            value = entry.get(name)
            if not isinstance(value, str) or (name != "message" and not value):
                raise BaselineError(f"baseline {where}: entries[{number}].{name} must be a non-empty string")
        out.append(BaselineEntry(entry["path"], entry["rule"], entry["message"], entry["fingerprint"]))
    return Baseline(tuple(out), version)


# -- applying a baseline to a run ----------------------------------------------------


@dataclass(frozen=True)
class BaselineOutcome:
    """What a baseline did to a run: how many findings it matched, which entries are stale."""

    path: str
    matched: int
    stale: Tuple[BaselineEntry, ...]

    def to_json(self) -> Dict[str, Any]:
        return {"file": self.path, "matched": self.matched, "stale": [entry.to_json() for entry in self.stale]}


def in_scope(entry_path: str, scanned_files: Sequence[str], scanned_roots: Sequence[str]) -> bool:
    """Whether this run could have found the entry's file: scanned, or under a scanned path."""
    if entry_path in scanned_files:
        return True
    for root in scanned_roots:
        root = root.rstrip("/") or "/"
        if root == "." or entry_path == root or entry_path.startswith(root + "/"):
            return True
    return False


def split_findings(
    findings: Sequence[Finding], baseline: Baseline
) -> Tuple[Tuple[Finding, ...], Tuple[Finding, ...]]:
    """(new findings, findings the baseline accepts)."""
    known = baseline.fingerprints
    new = tuple(f for f in findings if f.fingerprint not in known)
    accepted = tuple(f for f in findings if f.fingerprint in known)
    return new, accepted


def stale_entries(
    baseline: Baseline,
    findings: Sequence[Finding],
    scanned_files: Sequence[str],
    scanned_roots: Sequence[str],
    enabled_rules: Iterable[str],
) -> Tuple[BaselineEntry, ...]:
    """Entries this run could have matched but did not."""
    current = {f.fingerprint for f in findings}
    enabled = set(enabled_rules)
    files = set(scanned_files)
    return tuple(
        sorted(
            entry
            for entry in set(baseline.entries)
            if entry.fingerprint not in current
            and entry.rule in enabled
            and in_scope(entry.path, files, scanned_roots)
        )
    )


def apply_baseline(result, baseline: Baseline, path: str, scanned_roots: Sequence[str]):
    """(the run without the findings the baseline accepts, the BaselineOutcome)."""
    new, accepted = split_findings(result.findings, baseline)
    stale = stale_entries(
        baseline, result.findings, result.files, scanned_roots, (rule.code for rule in result.rules)
    )
    return replace(result, findings=new), BaselineOutcome(path, len(accepted), stale)
