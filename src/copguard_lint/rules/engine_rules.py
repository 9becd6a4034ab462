"""Rules the engine itself reports: files it could not analyse."""

from __future__ import annotations

from ..findings import Confidence, Severity
from ..rule import Rule


class UnanalysableFile(Rule):
    """A file that cannot be read, decoded or parsed is a finding, never a silent skip.

    A gate that skips what it cannot parse gives false assurance: the file might
    hold exactly what the other rules look for.
    """

    code = "COP001"
    name = "unanalysable-file"
    summary = "File could not be read, decoded or parsed, so no other rule checked it"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    clauses = ()
