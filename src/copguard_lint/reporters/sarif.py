"""SARIF 2.1.0, shaped for GitHub code scanning.

What GitHub needs, and how it is met here:

* every enabled rule is described (not only the ones that fired), with a short
  and a full description, help as text and Markdown (the rule's own page from
  `rules/COPnnn.md`), a `helpUri`, `precision`, `security-severity` and tags
  that include the guideline clauses the rule concerns (at most 20 tags);
* every result has `partialFingerprints.primaryLocationLineHash`, computed
  from the file's lines exactly as GitHub does (`line_hash.py`), plus
  copguard's own line-independent fingerprint under `copguard/v1`;
* locations are relative URIs against `%SRCROOT%` (the directory copguard ran
  in, declared in `originalUriBaseIds`), with 1-based lines and columns;
* files that could not be analysed are `toolExecutionNotifications` of the
  invocation, as well as COP001 results, so the tool-status page and the
  alert list both show them;
* suppressed findings are left out: GitHub does not honour SARIF
  suppressions by default and would open alerts for them. With
  `include_suppressed=True` they are included with an `inSource`
  suppression and its justification, for auditors.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import quote

from .. import __version__
from ..engine import RunResult
from ..output import escape_surrogates
from ..findings import Confidence, FileError, Finding, Severity, SuppressionComment
from ..links import REPOSITORY_URL, rule_doc_url
from .line_hash import file_line_hashes

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
TOOL_NAME = "copguard-lint"
OWN_FINGERPRINT = "copguard/v1"
MAX_TAGS = 20
MAX_DESCRIPTION = 1024

LEVELS = {
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.CRITICAL: "error",
}
# GitHub: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY = {
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.5",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}
PRECISION = {Confidence.LOW: "low", Confidence.MEDIUM: "medium", Confidence.HIGH: "high"}


def render(
    result: RunResult,
    *,
    root: Optional[Path] = None,
    include_suppressed: bool = False,
    **_: object,
) -> str:
    """The run as one SARIF log (a JSON text ending in a newline)."""
    return escape_surrogates(json.dumps(build_log(result, root=root, include_suppressed=include_suppressed),
                      indent=2, ensure_ascii=False)) + "\n"


def build_log(result: RunResult, *, root: Optional[Path] = None, include_suppressed: bool = False) -> Dict[str, Any]:
    root = Path(root) if root is not None else Path.cwd()
    rules = sorted(result.rules, key=lambda rule: rule.code)
    descriptors = [rule_descriptor(rule) for rule in rules]
    index = {rule.code: number for number, rule in enumerate(rules)}
    hashes = _LineHashes(root)

    items: List[Tuple[Finding, Optional[SuppressionComment]]] = [(f, None) for f in result.findings]
    if include_suppressed:
        items.extend(result.suppressed)
    items.sort(key=lambda item: item[0])
    results = [_result(finding, comment, index, hashes) for finding, comment in items]

    run: Dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "semanticVersion": __version__,
                "informationUri": REPOSITORY_URL,
                "rules": descriptors,
            }
        },
        "invocations": [_invocation(result.errors, index)],
        "originalUriBaseIds": {
            SRCROOT: {
                "uri": _directory_uri(root),
                "description": {"text": "The directory copguard was run from; result paths are relative to it."},
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


# -- rules ----------------------------------------------------------------------------


def rule_descriptor(rule) -> Dict[str, Any]:
    """The reportingDescriptor of one rule."""
    page = _rule_page(rule.code)
    summary = rule.summary.strip()
    full = _full_description(rule, page)
    help_markdown = page if page else f"**{rule.code}: {rule.name}**\n\n{full}\n"
    help_text = _plain(help_markdown)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _clip(summary)},
        "fullDescription": {"text": _clip(full)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": rule_doc_url(rule.code),
        "properties": {
            "tags": rule_tags(rule),
            "precision": PRECISION[rule.confidence],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "clauses": list(rule.clauses),
        },
    }


def rule_tags(rule) -> List[str]:
    """`security` (so GitHub applies security-severity), the topic, the clause IDs and their frameworks."""
    tags = ["security"]
    if rule.clauses:
        tags += ["privacy", "children"]
    else:
        tags.append("reliability")
    tags += list(rule.clauses)
    tags += _frameworks(rule.clauses)
    unique: List[str] = []
    for tag in tags:
        if tag not in unique:
            unique.append(tag)
    return unique[:MAX_TAGS]


def _frameworks(clauses: Sequence[str]) -> List[str]:
    if not clauses:
        return []
    try:
        from ..catalog import load_catalog

        catalog = load_catalog()
        return [catalog.clause(clause_id).framework for clause_id in clauses]
    except Exception:  # noqa: BLE001 - tags are a convenience; a catalog problem is reported elsewhere
        return []


def _rule_page(code: str) -> str:
    """The rule's documentation page as a reader sees it, or "" when there is none."""
    try:
        from ..resources import rules_dir
        from ..rule_docs import page_filename, strip_markers

        text = (rules_dir() / page_filename(code)).read_text(encoding="utf-8")
    except (OSError, RuntimeError, UnicodeDecodeError):
        return ""
    return strip_markers(text).strip() + "\n"


def _full_description(rule, page: str) -> str:
    """The first paragraph of the page's `What it does`, else the class docstring, else the summary."""
    if page:
        from ..rule_docs import section

        body = section(page, "What it does")
        if body:
            paragraph = body.strip().split("\n\n")[0]
            text = " ".join(line.strip() for line in paragraph.splitlines())
            if text:
                return text
    doc = (rule.__doc__ or "").strip()
    if doc:
        return " ".join(doc.split("\n\n")[0].split())
    return rule.summary


def _clip(text: str, limit: int = MAX_DESCRIPTION) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _plain(markdown: str) -> str:
    """Markdown made readable as plain text: links as `text (url)`, no heading marks."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        lines.append(_MD_LINK.sub(r"\1 (\2)", line).replace("**", ""))
    return "\n".join(lines).strip() + "\n"


# -- results --------------------------------------------------------------------------


class _LineHashes:
    """GitHub line hashes per file, computed once per file from its bytes on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: Dict[str, Dict[int, str]] = {}

    def get(self, path: str, line: int) -> Optional[str]:
        if path not in self.cache:
            candidate = Path(path) if Path(path).is_absolute() else self.root / path
            try:
                self.cache[path] = file_line_hashes(candidate.read_bytes())
            except OSError:
                self.cache[path] = {}
        return self.cache[path].get(line)


def _result(
    finding: Finding,
    comment: Optional[SuppressionComment],
    index: Dict[str, int],
    hashes: _LineHashes,
) -> Dict[str, Any]:
    line_hash = hashes.get(finding.path, finding.line)
    if line_hash is None:
        # The file cannot be read (stdin, deleted since): no hash GitHub could compute either;
        # a value derived from our own fingerprint keeps the alert stable across runs.
        line_hash = f"{(finding.fingerprint or '0')[:16]}:1"
    out: Dict[str, Any] = {"ruleId": finding.rule}
    if finding.rule in index:
        out["ruleIndex"] = index[finding.rule]
    out.update(
        {
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [_location(finding.path, finding.line, finding.column, finding.end_line, finding.end_column)],
            "partialFingerprints": {"primaryLocationLineHash": line_hash, OWN_FINGERPRINT: finding.fingerprint},
            "properties": {"severity": finding.severity.label, "clauses": list(finding.clauses)},
        }
    )
    if comment is not None:
        suppression: Dict[str, Any] = {"kind": "inSource", "status": "accepted"}
        if comment.reason:
            suppression["justification"] = comment.reason
        out["suppressions"] = [suppression]
    return out


def _location(path: str, line: int, column: int, end_line: int, end_column: int) -> Dict[str, Any]:
    line = max(1, line)
    column = max(1, column)
    end_line = max(line, end_line)
    end_column = max(1, end_column)
    if end_line == line and end_column < column:
        end_column = column
    return {
        "physicalLocation": {
            "artifactLocation": artifact_location(path),
            "region": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
        }
    }


def artifact_location(path: str) -> Dict[str, str]:
    """A display path as a SARIF artifactLocation: relative to %SRCROOT%, or an absolute file URI."""
    if PurePosixPath(path).is_absolute() or re.match(r"^[A-Za-z]:[\\/]", path):
        return {"uri": Path(path).resolve().as_uri()}
    # A Linux file name that is not UTF-8 reaches us surrogate-escaped: its original bytes, %-encoded.
    raw = (path.replace("\\", "/") if os.sep == "\\" else path).encode("utf-8", "surrogateescape")
    return {"uri": quote(raw, safe="/"), "uriBaseId": SRCROOT}


def _directory_uri(root: Path) -> str:
    uri = Path(root).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _invocation(errors: Iterable[FileError], index: Dict[str, int]) -> Dict[str, Any]:
    notifications = []
    for error in errors:
        line = error.line or 1
        column = error.column or 1
        notification: Dict[str, Any] = {
            "level": "error",
            "message": {"text": f"{error.path}: not checked: {error.reason}"},
            "locations": [_location(error.path, line, column, line, column)],
        }
        if "COP001" in index:
            notification["associatedRule"] = {"id": "COP001", "index": index["COP001"]}
        notifications.append(notification)
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}
