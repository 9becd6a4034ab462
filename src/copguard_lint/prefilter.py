"""Which files need parsing at all: the prefilter, and the links that overrule it.

Parsing with libcst is the largest single cost of a scan, and most files of a
real project hold nothing any rule looks at. Each rule, and each analysis
whose facts project rules join, may say what a file must contain for it to
have anything to do there, in two ways:

* `prefilter`: substrings, matched case-insensitively anywhere in the text
  (`"geo"` matches `geolocation`);
* `triggers(settings)`: words of identifiers, split the way the vocabulary
  splits them (`childFirstName` -> child, first, name), so a short word such
  as `ip` matches `client_ip` but not `zip` or `recipient`. Each trigger is a
  sequence of word sets and fires when the file holds a word of every set:
  `[{"email", "phone"}]` needs either word, `[{"name"}, {"child", "user"}]`
  needs a name word and a person word. A classmethod, because the words often
  come from vocabularies that the configuration extends.

A file with none of them is not parsed (the cheap syntax check still reports
a file CPython cannot parse). If one enabled rule or fact-recording analysis
declares neither, every file is parsed. Skipping is a pure speed-up: a file
other files' facts link to (`links`, see rule.py) is linted after all, by
`Engine.lint_linked`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, Optional, Set, Tuple

from .analysis.names import split_words
from .rule import analyses_for
from .source import SourceError, decode_source

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings

# Python identifiers, non-ASCII ones included (a name or a word in a string or comment).
IDENTIFIER = re.compile(r"[^\W\d]\w*")


Trigger = Tuple[FrozenSet[str], ...]  # fires when the file holds a word of every set


class Prefilter:
    """Whether a file's text holds anything one of the enabled rules or analyses needs."""

    def __init__(self, substrings: Iterable[str], triggers: Iterable[Iterable[Iterable[str]]]) -> None:
        substrings = sorted(set(substrings))
        self.pattern: Optional["re.Pattern[str]"] = (
            re.compile("|".join(re.escape(s) for s in substrings), re.IGNORECASE) if substrings else None
        )
        unique: Set[Trigger] = set()
        for trigger in triggers:
            sets = tuple(sorted({frozenset(w.lower() for w in words) for words in trigger}, key=sorted))
            if sets and all(sets):
                unique.add(sets)
        # One-set triggers (the common case) are merged into one set: a single isdisjoint test.
        self.words: FrozenSet[str] = frozenset(w for t in unique if len(t) == 1 for w in t[0])
        self.triggers: Tuple[Trigger, ...] = tuple(sorted((t for t in unique if len(t) > 1), key=repr))

    def search(self, text: str) -> bool:
        """True if the file may hold something (the name follows `re.Pattern.search`)."""
        if self.pattern is not None and self.pattern.search(text):
            return True
        if not (self.words or self.triggers):
            return False
        words = identifier_words(text)
        if not self.words.isdisjoint(words):
            return True
        return any(all(not wanted.isdisjoint(words) for wanted in trigger) for trigger in self.triggers)


def identifier_words(text: str) -> Set[str]:
    """Every identifier of the text, lower-cased, and every word of it."""
    out: Set[str] = set()
    for token in set(IDENTIFIER.findall(text)):
        out.add(token.lower())
        out.update(split_words(token))
    return out


def _triggers(entity, settings: "Settings"):
    """(substrings, word triggers) an entity needs, or None if it may act on any file."""
    triggers_of = getattr(entity, "triggers", None)
    triggers = triggers_of(settings) if triggers_of is not None else None
    if entity.prefilter is None and triggers is None:
        return None
    return tuple(entity.prefilter or ()), tuple(triggers or ())


def build_prefilter(file_rules, project_rules, settings: "Settings") -> Optional[Prefilter]:
    """The prefilter of the enabled rules, or None when every file must be parsed."""
    substrings: Set[str] = set()
    triggers: list = []
    entities = [*file_rules, *analyses_for([*project_rules, *(r for r in file_rules if r.has_project_part())])]
    for entity in entities:
        found = _triggers(entity, settings)
        if found is None:
            return None
        substrings.update(found[0])
        triggers.extend(found[1])
    return Prefilter(substrings, triggers)


def link_fields(file_rules, project_rules) -> Dict[str, Tuple[str, ...]]:
    """Fact kind -> fields naming code in other files, from every analysis project rules use.

    An analysis with a prefilter but no `links` is taken to link through no fact.
    """
    fields: Dict[str, Set[str]] = {}
    for analysis in analyses_for([*project_rules, *(r for r in file_rules if r.has_project_part())]):
        for kind, names in (analysis.links or {}).items():
            fields.setdefault(kind, set()).update(names)
    return {kind: tuple(sorted(names)) for kind, names in fields.items()}


def linked_names(facts: Iterable, fields_by_kind: Dict[str, Tuple[str, ...]]) -> Set[str]:
    """The last component of every dotted name in the linking fields of `facts`.

    The last component is what both the definition (`def audit`) and every
    reference (`audit(...)`, `log.audit(...)`, `from log import audit`) spell.
    """
    out: Set[str] = set()
    for fact in facts:
        fields = fields_by_kind.get(fact.kind)
        if not fields:
            continue
        for name in fields:
            _collect_names(fact.get(name), out)
    return out


def _collect_names(value, out: Set[str]) -> None:
    if isinstance(value, str):
        found = IDENTIFIER.findall(value)
        if found:
            out.add(found[-1])
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_names(item, out)


def identifiers_in(path: Path) -> FrozenSet[str]:
    """Every identifier-like word in a file's text (an unreadable file mentions nothing)."""
    try:
        text, _ = decode_source(path.read_bytes())
    except (OSError, SourceError):
        return frozenset()
    return frozenset(IDENTIFIER.findall(text))
