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


def code_digest() -> str:
    """Digest of the package's own modules (name, size, mtime): an edited rule invalidates the cache.

    Released versions change `__version__`; this covers editable installs, where
    the rules change under the same version. Only stat() calls, no reads.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(package).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def run_key(settings_digest: str, rule_codes: Iterable[str]) -> str:
    text = "\x1f".join(
        (str(SCHEMA), __version__, settings_digest, ",".join(sorted(rule_codes)), data_digest(), code_digest())
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class ResultCache:
    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        self.key = key
        self.directory = root / f"v{SCHEMA}" / key
        self.hits = 0
        self.misses = 0
        self._ready = False
        self._broken = False  # the directory cannot be written: stop trying

    @classmethod
    def locate(cls, cache_dir: str, settings_root: str, key: str) -> "ResultCache":
        configured = os.environ.get("COPGUARD_CACHE_DIR") or cache_dir
        path = Path(configured)
        if not path.is_absolute():
            path = Path(settings_root) / path
        return cls(path, key)

    @staticmethod
    def entry_key(display: str, data: bytes, variant: str = "") -> str:
        """Key of one file's result; `variant` tells apart a file linted despite the prefilter."""
        digest = hashlib.sha256()
        digest.update(display.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
        if variant:
            digest.update(variant.encode() + b"\x00")
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> Optional[FileResult]:
        try:
            text = self._path(key).read_text(encoding="utf-8")
            result = result_from_json(json.loads(text))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.misses += 1
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult) -> None:
        if self._broken:
            return
        try:
            text = json.dumps(result_to_json(result), separators=(",", ":"))
        except (TypeError, ValueError):  # pragma: no cover - facts hold JSON types only
            return
        temporary = None
        try:
            self._prepare()
            path = self._path(key)
            _refuse_symlinks(self.root, path.parent)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            # A read-only or full disk makes the cache useless, never the run wrong.
            self._broken = True
            if temporary is not None:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass

    def _prepare(self) -> None:
        if self._ready:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists() and not tag.is_symlink():  # a dangling link would be followed
            tag.write_text(CACHEDIR_TAG, encoding="utf-8")
        ignore = self.root / ".gitignore"
        if not ignore.exists() and not ignore.is_symlink():  # a dangling link would be followed
            ignore.write_text("# Created by copguard-lint\n*\n", encoding="utf-8")
        self._ready = True


def _refuse_symlinks(root: Path, directory: Path) -> None:
    """OSError if a directory below the cache root is a symlink (e.g. one a scanned repository
    shipped as `.copguard_cache/v1`): writes must never leave the cache directory."""
    current = root
    for part in directory.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            raise OSError(f"{current} is a symlink; the cache is not written through it")


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
        "skipped": list(result.skipped),
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
        skipped=tuple(data.get("skipped", ())),
    )
