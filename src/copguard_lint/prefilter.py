"""Which rules and analyses run on each file, which files need parsing at all, and the links that overrule it.

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

Each rule and fact-recording analysis runs only on files where its own
filter fires (`Selector`); a rule brings the analyses it `requires`. A file
where nothing runs is not parsed (the cheap syntax check still reports a file
CPython cannot parse); if one enabled rule or fact-recording analysis declares
no filter, every file is parsed, but the others still run only where they
fire. Leaving things out is a pure speed-up: a file where an analysis was left
out and that mentions code other files' facts link to (`links`, see rule.py)
is linted in full after all, by `Engine.lint_linked`. An analysis whose facts
only ever matter through links declares an empty prefilter (`()`): it runs
only where a link leads.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Dict, FrozenSet, Iterable, Optional, Sequence, Set, Tuple

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
        # For ASCII text (nearly every file): plain `in` tests on the lower-cased text,
        # several times faster than the case-insensitive alternation and equal to it
        # there (no character of ASCII text folds to a different letter).
        self.lowered_substrings: Tuple[str, ...] = tuple(s.lower() for s in substrings)
        self._ascii_patterns = all(s.isascii() for s in substrings)
        unique: Set[Trigger] = set()
        for trigger in triggers:
            sets = tuple(sorted({frozenset(w.lower() for w in words) for words in trigger}, key=sorted))
            if sets and all(sets):
                unique.add(sets)
        # One-set triggers (the common case) are merged into one set: a single isdisjoint test.
        self.words: FrozenSet[str] = frozenset(w for t in unique if len(t) == 1 for w in t[0])
        self.triggers: Tuple[Trigger, ...] = _merged([t for t in unique if len(t) > 1])

    def search(self, text: str, words: Optional["_Words"] = None) -> bool:
        """True if the file may hold something (the name follows `re.Pattern.search`).

        `words`: the text's identifier words, when several filters share them.
        """
        words = words or _Words(text)
        if self.pattern is not None:
            lowered = words.lowered() if self._ascii_patterns else None
            if lowered is not None:
                if any(s in lowered for s in self.lowered_substrings):
                    return True
            elif self.pattern.search(text):
                return True
        if not (self.words or self.triggers):
            return False
        found = words.get()
        if not self.words.isdisjoint(found):
            return True
        return any(all(not wanted.isdisjoint(found) for wanted in trigger) for trigger in self.triggers)


def _merged(triggers: Sequence[Trigger]) -> Tuple[Trigger, ...]:
    """Triggers that differ in one set only, merged into one (their sets of that place united).

    `(phrase A, people)` or `(phrase B, people)` fires exactly when `(A | B, people)`
    does; the vocabulary's few hundred phrase triggers share a handful of
    person-word sets, so a file is tested against a few triggers, not hundreds.
    """
    uses = Counter(words for trigger in triggers for words in trigger)
    groups: Dict[Tuple[FrozenSet[str], ...], Set[str]] = {}
    for trigger in triggers:
        place = min(range(len(trigger)), key=lambda i: (uses[trigger[i]], sorted(trigger[i])))
        rest = trigger[:place] + trigger[place + 1:]
        groups.setdefault(rest, set()).update(trigger[place])
    return tuple(sorted(((frozenset(united), *rest) for rest, united in groups.items()), key=repr))


_UNSET = object()


class _Words:
    """A text's identifier words and its lower-cased form, each computed once, on first use."""

    __slots__ = ("text", "words", "_lowered")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words: Optional[Set[str]] = None
        self._lowered: object = _UNSET

    def get(self) -> Set[str]:
        if self.words is None:
            self.words = identifier_words(self.text)
        return self.words

    def lowered(self) -> Optional[str]:
        """The text lower-cased if it is ASCII (None otherwise: case folding is not that simple)."""
        if self._lowered is _UNSET:
            self._lowered = self.text.lower() if self.text.isascii() else None
        return self._lowered  # type: ignore[return-value]


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


def fact_analyses(file_rules, project_rules) -> Tuple[type, ...]:
    """The analyses whose facts project rules read (dependencies first)."""
    return analyses_for([*project_rules, *(r for r in file_rules if r.has_project_part())])


def build_prefilter(file_rules, project_rules, settings: "Settings") -> Optional["Selector"]:
    """What decides, per file, which enabled rules and analyses run; None if all always run."""
    order = analyses_for([*file_rules, *project_rules])
    selector = Selector(file_rules, fact_analyses(file_rules, project_rules), settings, order)
    return selector if selector.filters_anything else None


class Selection:
    """The rules and analyses that may act on one file, and the fact analyses left out."""

    __slots__ = ("rules", "analyses", "skipped")

    def __init__(self, rules: tuple, analyses: tuple, skipped: Tuple[str, ...]) -> None:
        self.rules = rules
        self.analyses = analyses
        self.skipped = skipped  # names of fact-recording analyses that did not run (see Engine.lint_linked)

    @property
    def nothing(self) -> bool:
        return not self.rules and not self.analyses


class Selector:
    """Which of the enabled rules, and of the analyses whose facts project rules join, may act on a file.

    A rule runs where its own filter fires (or always, without one), with the
    analyses it `requires`. An analysis that records facts for project rules
    runs where its own filter fires, or always without one, or when a running
    rule or analysis needs it. A file where nothing runs is not parsed at all.
    Each filter keeps the promise `prefilter` and `triggers` make (rule.py):
    without its words the entity has nothing of its own in the file, so
    leaving it out changes no finding; facts other files need from such a
    file are fetched through links (`Engine.lint_linked`).
    """

    def __init__(
        self, file_rules, fact_analyses_: Sequence[type], settings: "Settings", order: Sequence[type] = ()
    ) -> None:
        matchers: Dict[Tuple[Tuple[str, ...], int], Prefilter] = {}
        kept: list = []  # the trigger objects keyed by id below stay alive, so no id is reused

        def matcher(entity) -> Optional[Prefilter]:
            found = _triggers(entity, settings)
            if found is None:
                return None
            # Entities sharing a trigger object (the exposure rules and the flow
            # analysis) share one matcher: one evaluation per file.
            kept.append(found[1])
            key = (tuple(sorted(set(found[0]))), id(found[1]) if found[1] else 0)
            if key not in matchers:
                matchers[key] = Prefilter(*found)
            return matchers[key]

        self._rules = [(rule, matcher(rule)) for rule in file_rules]
        self._facts = [(analysis, matcher(analysis)) for analysis in fact_analyses_]
        self._matchers = list(matchers.values())
        self.filters_anything = bool(self._matchers)
        # A file is parsed unless every entity has a filter and none fires.
        self.always_parse = any(m is None for _, m in (*self._rules, *self._facts))
        # Analyses run (and finish, and record facts) in the engine's order whatever the selection.
        self._order: Dict[type, int] = {analysis: i for i, analysis in enumerate(order)}
        self._selections: Dict[FrozenSet[int], Selection] = {}

    def search(self, text: str) -> bool:
        """Whether anything may act on the file (the union of every filter)."""
        return not self.select(text).nothing

    def select(self, text: str) -> Selection:
        words = _Words(text)
        fired = frozenset(i for i, m in enumerate(self._matchers) if m.search(text, words))
        selection = self._selections.get(fired)
        if selection is None:
            selection = self._selections[fired] = self._build(fired)
        return selection

    def _build(self, fired: FrozenSet[int]) -> Selection:
        index = {id(m): i for i, m in enumerate(self._matchers)}

        def runs(m: Optional[Prefilter]) -> bool:
            return m is None or index[id(m)] in fired

        rules = tuple(rule for rule, m in self._rules if runs(m))
        wanted = [a for a, m in self._facts if runs(m)]
        needed = set(analyses_for([*rules, _Needs(wanted)], facts=False))
        analyses = tuple(sorted(needed, key=lambda a: self._order.get(a, len(self._order))))
        skipped = tuple(sorted(analysis_name(a) for a, _ in self._facts if a not in analyses))
        return Selection(rules, analyses, skipped)


class _Needs:
    """Stands for "these analyses are wanted" where analyses_for expects rules."""

    def __init__(self, analyses) -> None:
        self.requires = tuple(analyses)


def analysis_name(analysis: type) -> str:
    """How a FileResult names an analysis it left out (stable across processes)."""
    return f"{analysis.__module__}.{analysis.__qualname__}"


def links_by_analysis(file_rules, project_rules, settings: "Settings") -> Dict[str, Dict[str, Tuple[str, ...]]]:
    """Analysis name -> (fact kind -> fields naming code in other files where it must run).

    Only analyses that can be left out of a file (they have a filter) need links;
    one with a filter but no `links` is taken to link through no fact.
    """
    out: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for analysis in fact_analyses(file_rules, project_rules):
        if _triggers(analysis, settings) is None:
            continue
        if analysis.links:
            out[analysis_name(analysis)] = {kind: tuple(sorted(names)) for kind, names in analysis.links.items()}
    return out


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
