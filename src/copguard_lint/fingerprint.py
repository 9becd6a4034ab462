"""Finding fingerprints for baselines: stable when unrelated edits shift code.

A fingerprint hashes the rule, the file, the finding's source line with its
whitespace collapsed, and the occurrence of that same line among the file's
findings of that rule. No line numbers go in, so code moving up or down keeps
every fingerprint; editing the flagged line itself changes it, as it should.
"""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def normalise_line(line: str) -> str:
    return _SPACE.sub(" ", line).strip()


def fingerprint(rule: str, path: str, anchor: str, occurrence: int) -> str:
    text = "\x1f".join((rule, path, anchor, str(occurrence)))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]
