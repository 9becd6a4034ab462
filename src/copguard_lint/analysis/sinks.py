"""The sink catalog: which calls put data somewhere it must not go (data/sinks.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Tuple, Union

from ..data_files import load_data
from .names import split_words

DataSpec = Union[str, Tuple[Union[str, int], ...]]


@dataclass(frozen=True)
class SinkSpec:
    id: str
    family: str
    label: str
    functions: frozenset
    receivers: Tuple[str, ...]
    receiver_words: frozenset
    methods: frozenset
    data: DataSpec
    skip_keywords: frozenset
    url_argument: Tuple[Union[str, int], ...]

    def carries(self, position: Optional[int], keyword: Optional[str]) -> bool:
        """Whether the argument at `position` / named `keyword` carries data into the sink."""
        if keyword is not None and keyword in self.skip_keywords:
            return False
        if self.data == "all":
            return True
        return (position is not None and position in self.data) or (
            keyword is not None and keyword in self.data
        )


class SinkCatalog:
    def __init__(self, specs: Tuple[SinkSpec, ...]) -> None:
        self.specs = specs
        self._functions = {}
        for spec in specs:
            for name in spec.functions:
                self._functions.setdefault(name, spec)
        self._method_specs = tuple(spec for spec in specs if spec.methods)

    @classmethod
    def from_data(cls, data: dict) -> "SinkCatalog":
        specs = []
        for entry in data.get("sink", []):
            raw_data = entry.get("data", "all")
            specs.append(
                SinkSpec(
                    id=entry["id"],
                    family=entry["family"],
                    label=entry.get("label", entry["id"]),
                    functions=frozenset(entry.get("functions", ())),
                    receivers=tuple(entry.get("receivers", ())),
                    receiver_words=frozenset(entry.get("receiver-words", ())),
                    methods=frozenset(entry.get("methods", ())),
                    data=raw_data if raw_data == "all" else tuple(raw_data),
                    skip_keywords=frozenset(entry.get("skip-keywords", ())),
                    url_argument=tuple(entry.get("url-argument", ())),
                )
            )
        return cls(tuple(specs))

    def match(
        self,
        qualified: Optional[str],
        receiver: Optional[str],
        receiver_name: Optional[str],
        method: Optional[str],
    ) -> Optional[SinkSpec]:
        """The sink a call is, from its resolved name or its method and receiver.

        `receiver` is what the receiver resolves to (`logging.getLogger()`),
        `receiver_name` the last name it is spelled with (`logger`, `log`).
        """
        if method is not None:
            for spec in self._method_specs:
                if method not in spec.methods:
                    continue
                if "*" in spec.receivers or (receiver is not None and receiver in spec.receivers):
                    return spec
                if spec.receiver_words and receiver_name and _words_hit(receiver_name, spec.receiver_words):
                    return spec
        if qualified is not None:
            return self._functions.get(qualified)
        return None


@lru_cache(maxsize=4096)
def _words(name: str) -> frozenset:
    return frozenset(split_words(name))


def _words_hit(name: str, wanted: frozenset) -> bool:
    return bool(_words(name) & wanted)


@lru_cache(maxsize=None)
def default_sinks() -> SinkCatalog:
    return SinkCatalog.from_data(load_data("sinks.toml"))
