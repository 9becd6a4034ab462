"""The view project rules get of the whole scanned tree: its facts."""

from __future__ import annotations

from typing import Dict, Iterable, List, Sequence

from .config import Settings
from .findings import Fact


class Project:
    def __init__(self, facts: Iterable[Fact], settings: Settings) -> None:
        self.settings = settings
        self._by_kind: Dict[str, List[Fact]] = {}
        for fact in sorted(facts):
            self._by_kind.setdefault(fact.kind, []).append(fact)

    def facts(self, kind: str) -> Sequence[Fact]:
        return self._by_kind.get(kind, [])

    @property
    def kinds(self) -> Sequence[str]:
        return sorted(self._by_kind)
