"""A content-addressed cache of per-file results.

Parsing dominates a run, and CI checkouts reset modification times, so the
key is the file's bytes (and its display path, which findings and facts
carry), never its mtime. Everything that can change a result is in the
directory key: tool version, the effective settings digest, the enabled
rules, and the digest of the data files (vocabulary, sink catalog). Facts
are cached with findings so project rules never need to re-parse unchanged
files. Writes are atomic; an unreadable or corrupt entry is a miss, never
an error and never a wrong result.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from . import __version__
from .findings import Fact, FileError, FileResult, Finding, SuppressionComment

SCHEMA = 1
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by copguard-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def data_digest() -> str:
    """Digest of the package's data files: a vocabulary change must invalidate the cache."""
    from importlib.resources import files

    digest = hashlib.sha256()
    data = files("copguard_lint") / "data"
    for entry in sorted(data.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()


def run_key(settings_digest: str, rule_codes: Iterable[str]) -> str:
    text = "\x1f".join((str(SCHEMA), __version__, settings_digest, ",".join(sorted(rule_codes)), data_digest()))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ResultCache:
    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        self.directory = root / f"v{SCHEMA}" / key
        self.hits = 0
        self.misses = 0
        self._ready = False

    @classmethod
    def locate(cls, cache_dir: str, settings_root: str, key: str) -> "ResultCache":
        configured = os.environ.get("COPGUARD_CACHE_DIR") or cache_dir
        path = Path(configured)
        if not path.is_absolute():
            path = Path(settings_root) / path
        return cls(path, key)

    @staticmethod
    def entry_key(display: str, data: bytes) -> str:
        digest = hashlib.sha256()
        digest.update(display.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> Optional[FileResult]:
        try:
            text = self._path(key).read_text(encoding="utf-8")
            result = result_from_json(json.loads(text))
        except (OSError, ValueError, KeyError, TypeError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        try:
            self._prepare()
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(result_to_json(result), handle, separators=(",", ":"))
            os.replace(temporary, path)
        except OSError:
            # A read-only or full disk makes the cache useless, never the run wrong.
            pass

    def _prepare(self) -> None:
        if self._ready:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(CACHEDIR_TAG, encoding="utf-8")
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by copguard-lint\n*\n", encoding="utf-8")
        self._ready = True


def result_to_json(result: FileResult) -> Dict[str, Any]:
    return {
        "path": result.path,
        "findings": [f.to_json() for f in result.findings],
        "facts": [f.to_json() for f in result.facts],
        "error": result.error.to_json() if result.error else None,
        "suppressions": [
            {"path": s.path, "line": s.line, "kind": s.kind, "codes": list(s.codes), "reason": s.reason,
             "lines": list(s.lines)}
            for s in result.suppressions
        ],
        "parsed": result.parsed,
    }


def result_from_json(data: Dict[str, Any]) -> FileResult:
    error = data["error"]
    return FileResult(
        path=data["path"],
        findings=tuple(Finding.from_json(f) for f in data["findings"]),
        facts=tuple(Fact.from_json(f) for f in data["facts"]),
        error=FileError(**error) if error else None,
        suppressions=tuple(
            SuppressionComment(s["path"], s["line"], s["kind"], tuple(s["codes"]), s["reason"], tuple(s["lines"]))
            for s in data["suppressions"]
        ),
        parsed=data["parsed"],
    )
