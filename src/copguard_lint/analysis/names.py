"""Does an identifier name personal data, of which kind, and about whom?

Identifiers are split into lower-case words and matched, word by word, against
the vocabulary in ``data/personal_data.toml`` (no word lists live here). The
model is the English compound: its LAST word is the head.

* A category phrase names personal data only when it ends the name, or is
  followed by carrier words that still denote the value (``email_address``,
  ``email_str``, ``child_names_list``). Any other trailing word makes the name
  something else: ``email_template`` is a template, ``age_limit`` a limit.
* Words before the phrase are modifiers. A flag word anywhere before it makes
  the name a flag, count or setting (``is_email_verified``, ``max_age``); a
  transform word anywhere makes it a derived value (``email_hash``,
  ``masked_phone``); a non-person owner right before it makes it a thing's
  data (``server_ip``, ``support_email``, ``service_account_email``).
* Person words before the phrase give the subject: the rightmost child or
  adult word of the run of person words right before it (``parent_email`` is
  an adult's, ``child_profile_photo`` a child's); ``user``-like words alone
  give "person". Failing that, ``name_of_child`` style tails, then the
  caller's ``subject_hint`` (the object the name was read from).
* Strong phrases (``email``, ``date_of_birth``, ``latitude``) count on their
  own. Weak ones (``name``, ``age``, ``location``, ``message``) count only when
  a person word comes right before them (``child_name``) or, with nothing
  before them, when the subject hint says the object is a person
  (``user.name``).
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on old Pythons only
    import tomli as tomllib

__all__ = [
    "Category",
    "NameMatch",
    "Vocabulary",
    "default_vocabulary",
    "split_words",
    "SENSITIVITIES",
    "SUBJECTS",
]

SENSITIVITIES = ("low", "medium", "high", "critical")
SUBJECTS = ("child", "adult", "person")

Words = Tuple[str, ...]

# Uppercase runs before a capitalised word (HTTPServer -> HTTP, Server), a
# capitalised or lower-case word, an all-caps word, a digit run. Anything else
# (underscores, dots, dashes, spaces) separates words.
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _shape(char: str) -> str:
    """A non-ASCII character as the ASCII class the word pattern knows."""
    if char.isdigit():
        return "0"
    if char.isalpha():
        return "A" if char.isupper() else "a"
    return "_"


@functools.lru_cache(maxsize=1 << 16)
def split_words(identifier: str) -> Words:
    """Lower-case words of an identifier, whatever its casing convention.

    ``childFirstName`` -> (child, first, name); ``HTTPServer2`` -> (http,
    server, 2); ``AF_INET`` -> (af, inet); ``request.user.email`` ->
    (request, user, email).
    """
    if identifier.isascii():
        return tuple(word.lower() for word in _WORD_RE.findall(identifier))
    shape = "".join(char if char.isascii() else _shape(char) for char in identifier)
    return tuple(
        identifier[found.start() : found.end()].lower() for found in _WORD_RE.finditer(shape)
    )


def _plural_forms(word: str) -> Tuple[str, ...]:
    """Regular plural spellings of a noun (the noun itself first)."""
    forms = [word]
    if not word or word.isdigit() or len(word) < 2:
        return tuple(forms)
    if word.endswith("is"):  # diagnosis -> diagnoses
        forms.append(word[:-2] + "es")
    if word.endswith("y") and word[-2] not in "aeiou":  # allergy -> allergies
        forms.append(word[:-1] + "ies")
    if word.endswith(("s", "x", "z", "ch", "sh")):  # address -> addresses
        forms.append(word + "es")
    else:
        forms.append(word + "s")
    return tuple(forms)


@dataclass(frozen=True)
class Category:
    """A kind of personal data."""

    id: str
    label: str  # generic, e.g. "contact details"
    sensitivity: str  # "low" | "medium" | "high" | "critical"
    persistent_identifier: bool


@dataclass(frozen=True)
class NameMatch:
    """What an identifier names.

    ``category`` is None when the name is not personal data; ``phrase``,
    ``label`` and ``subject`` then are empty, and ``excluded_by`` says what
    stopped a phrase that was present from counting (None if there was none).
    """

    name: str
    words: Words
    category: Optional[Category]
    label: Optional[str]  # specific, e.g. "email address", "date of birth"
    phrase: Words  # the matched words, () if none
    subject: Optional[str]  # "child" | "adult" | "person" | None (unknown)
    excluded_by: Optional[str]
    weak: bool  # the match rests on a weak phrase

    @property
    def is_personal(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class _Phrase:
    words: Words
    category: Category
    label: str
    weak: bool


@dataclass
class _Verdict:
    """One classification with the reasons `explain` prints."""

    match: NameMatch
    notes: List[str]


# ----------------------------------------------------------------- loading

_LIST_KEYS = {
    "child-subjects",
    "adult-subjects",
    "person-subjects",
    "sanitizers",
    "carriers",
    "qualifiers",
    "flag-words",
    "transforms",
    "non-person-owners",
    "receiver-carriers",
}
_CATEGORY_KEYS = {
    "label",
    "sensitivity",
    "persistent-identifier",
    "phrases",
    "weak-phrases",
    "exclude",
    "carriers",
    "terms",
}
_TERM_KEYS = {"label", "phrases", "weak"}
_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _phrase_words(item: Any, where: str) -> Words:
    if isinstance(item, str):
        words = split_words(item)
    elif isinstance(item, (list, tuple)) and all(isinstance(part, str) for part in item):
        words = tuple(word for part in item for word in split_words(part))
    else:
        raise ValueError(f"{where}: a phrase must be a string or a list of words, got {item!r}")
    if not words:
        raise ValueError(f"{where}: phrase {item!r} has no words")
    return words


def _phrase_list(value: Any, where: str) -> List[Words]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{where}: expected a list of phrases, got {value!r}")
    return [_phrase_words(item, where) for item in value]


def _single_words(value: Any, where: str) -> List[str]:
    out = []
    for words in _phrase_list(value, where):
        if len(words) != 1:
            raise ValueError(f"{where}: expected single words, got {' '.join(words)!r}")
        out.append(words[0])
    return out


def _read_default_spec() -> Mapping[str, Any]:
    import importlib.resources

    resource = importlib.resources.files("copguard_lint") / "data" / "personal_data.toml"
    return tomllib.loads(resource.read_text(encoding="utf-8"))


class _Builder:
    """Accumulates the vocabulary from the packaged file and user extensions."""

    def __init__(self) -> None:
        self.subjects: Dict[str, str] = {}
        self.lists: Dict[str, Set[Words]] = {key: set() for key in _LIST_KEYS}
        self.categories: Dict[str, Category] = {}
        self.phrases: Dict[Words, _Phrase] = {}
        self.category_carriers: Dict[str, Set[str]] = {}
        self.excludes: Dict[str, Set[Words]] = {}

    def merge(self, spec: Mapping[str, Any], source: str, override: bool) -> None:
        if not isinstance(spec, Mapping):
            raise ValueError(f"{source}: expected a table, got {type(spec).__name__}")
        unknown = set(spec) - _LIST_KEYS - {"categories"}
        if unknown:
            raise ValueError(
                f"{source}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; expected "
                f"'categories' or one of {', '.join(sorted(_LIST_KEYS))}"
            )
        for key in sorted(_LIST_KEYS & set(spec)):
            where = f"{source}: {key}"
            if key.endswith("-subjects"):
                kind = key[: -len("-subjects")]
                for word in _single_words(spec[key], where):
                    self.subjects[word] = kind
            elif key in ("sanitizers", "transforms"):
                self.lists[key].update(_phrase_list(spec[key], where))
            else:
                self.lists[key].update((word,) for word in _single_words(spec[key], where))
        categories = spec.get("categories", {})
        if not isinstance(categories, Mapping):
            raise ValueError(f"{source}: 'categories' must be a table of categories")
        for cid, body in categories.items():
            self._merge_category(str(cid), body, f"{source}: categories.{cid}", override)

    def _merge_category(self, cid: str, body: Any, where: str, override: bool) -> None:
        if not _CATEGORY_ID.match(cid):
            raise ValueError(f"{where}: category id must be lower_snake_case")
        if not isinstance(body, Mapping):
            raise ValueError(f"{where}: expected a table, got {body!r}")
        unknown = set(body) - _CATEGORY_KEYS
        if unknown:
            raise ValueError(
                f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; expected "
                f"{', '.join(sorted(_CATEGORY_KEYS))}"
            )
        old = self.categories.get(cid)
        if old is None and ("label" not in body or "sensitivity" not in body):
            raise ValueError(f"{where}: a new category needs 'label' and 'sensitivity'")
        label = body.get("label", old.label if old else "")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"{where}: 'label' must be a non-empty string")
        sensitivity = body.get("sensitivity", old.sensitivity if old else "")
        if sensitivity not in SENSITIVITIES:
            raise ValueError(
                f"{where}: sensitivity {sensitivity!r} is not one of {', '.join(SENSITIVITIES)}"
            )
        persistent = body.get(
            "persistent-identifier", old.persistent_identifier if old else False
        )
        if not isinstance(persistent, bool):
            raise ValueError(f"{where}: 'persistent-identifier' must be true or false")
        category = Category(cid, label, sensitivity, persistent)
        self.categories[cid] = category
        if old is not None and old != category:
            # Re-point existing phrases at the updated category.
            for words, phrase in list(self.phrases.items()):
                if phrase.category.id == cid:
                    self.phrases[words] = _Phrase(words, category, phrase.label, phrase.weak)
        self.category_carriers.setdefault(cid, set()).update(
            _single_words(body.get("carriers", []), f"{where}.carriers")
        )
        self.excludes.setdefault(cid, set()).update(
            _phrase_list(body.get("exclude", []), f"{where}.exclude")
        )
        for words in _phrase_list(body.get("phrases", []), f"{where}.phrases"):
            self._add_phrase(words, category, " ".join(words), False, where, override)
        for words in _phrase_list(body.get("weak-phrases", []), f"{where}.weak-phrases"):
            self._add_phrase(words, category, " ".join(words), True, where, override)
        terms = body.get("terms", [])
        if not isinstance(terms, (list, tuple)):
            raise ValueError(f"{where}.terms: expected a list of tables")
        for index, term in enumerate(terms):
            term_where = f"{where}.terms[{index}]"
            if not isinstance(term, Mapping):
                raise ValueError(f"{term_where}: expected a table, got {term!r}")
            unknown = set(term) - _TERM_KEYS
            if unknown:
                raise ValueError(f"{term_where}: unknown key(s) {', '.join(sorted(unknown))}")
            term_label = term.get("label")
            if not isinstance(term_label, str) or not term_label.strip():
                raise ValueError(f"{term_where}: 'label' must be a non-empty string")
            weak = term.get("weak", False)
            if not isinstance(weak, bool):
                raise ValueError(f"{term_where}: 'weak' must be true or false")
            for words in _phrase_list(term.get("phrases", []), f"{term_where}.phrases"):
                self._add_phrase(words, category, term_label, weak, term_where, override)

    def _add_phrase(
        self, words: Words, category: Category, label: str, weak: bool, where: str, override: bool
    ) -> None:
        existing = self.phrases.get(words)
        if existing is not None and not override:
            raise ValueError(
                f"{where}: phrase {' '.join(words)!r} is already in category "
                f"{existing.category.id!r}"
            )
        self.phrases[words] = _Phrase(words, category, label, weak)


# -------------------------------------------------------------- vocabulary


def _index_sequences(sequences: Iterable[Words]) -> Dict[str, Tuple[Words, ...]]:
    index: Dict[str, List[Words]] = {}
    for seq in sequences:
        index.setdefault(seq[0], []).append(seq)
    return {first: tuple(sorted(seqs, key=len, reverse=True)) for first, seqs in index.items()}


def _find_sequence(words: Words, index: Mapping[str, Tuple[Words, ...]]) -> Optional[Tuple[int, Words]]:
    for position, word in enumerate(words):
        for seq in index.get(word, ()):
            if words[position : position + len(seq)] == seq:
                return position, seq
    return None


def _quote(words: Sequence[str]) -> str:
    return "'" + " ".join(words) + "'"


class Vocabulary:
    """The personal-data vocabulary and the classifier built on it."""

    _CACHE_LIMIT = 200_000

    def __init__(self, builder: _Builder) -> None:
        self.categories: Dict[str, Category] = dict(builder.categories)
        self.phrases: Dict[Words, _Phrase] = dict(builder.phrases)
        subjects: Dict[str, str] = {}
        for word, kind in builder.subjects.items():
            for form in _plural_forms(word):
                # An explicit entry beats a derived plural.
                if form == word or form not in builder.subjects:
                    subjects[form] = kind
        self._subjects = subjects
        lists = builder.lists
        self._carriers: FrozenSet[str] = frozenset(
            form for (word,) in lists["carriers"] for form in _plural_forms(word)
        )
        self._category_carriers: Dict[str, FrozenSet[str]] = {
            cid: frozenset(form for word in words for form in _plural_forms(word))
            for cid, words in builder.category_carriers.items()
        }
        self._any_carrier: FrozenSet[str] = self._carriers.union(*self._category_carriers.values())
        self._qualifiers: FrozenSet[str] = frozenset(w for (w,) in lists["qualifiers"])
        self._flags: FrozenSet[str] = frozenset(w for (w,) in lists["flag-words"])
        self._things: FrozenSet[str] = frozenset(w for (w,) in lists["non-person-owners"])
        self._receiver_carriers: FrozenSet[str] = frozenset(
            form for (word,) in lists["receiver-carriers"] for form in _plural_forms(word)
        )
        self._transforms = _index_sequences(lists["transforms"])
        self._sanitizers = _index_sequences(lists["sanitizers"])
        self._excludes: Dict[str, Tuple[Words, ...]] = {
            cid: tuple(sorted(seqs, key=len, reverse=True)) for cid, seqs in builder.excludes.items()
        }
        # Phrases by (a plural form of) their last word, longest first.
        by_last: Dict[str, List[_Phrase]] = {}
        for phrase in self.phrases.values():
            for form in _plural_forms(phrase.words[-1]):
                by_last.setdefault(form, []).append(phrase)
        self._by_last: Dict[str, Tuple[_Phrase, ...]] = {
            word: tuple(sorted(found, key=lambda p: (-len(p.words), p.words)))
            for word, found in by_last.items()
        }
        self._cache: Dict[Tuple[str, Optional[str]], NameMatch] = {}
        # Answers of the per-name queries below, which the analyses ask for most names they read.
        self._subject_cache: Dict[str, Optional[str]] = {}
        self._thing_cache: Dict[str, bool] = {}
        self._owner_cache: Dict[str, bool] = {}
        self._sanitizer_cache: Dict[str, bool] = {}

    def _remember(self, cache: Dict[str, Any], name: str, answer: Any) -> None:
        if len(cache) >= self._CACHE_LIMIT:
            cache.clear()
        cache[name] = answer

    # ------------------------------------------------------------ loading

    @classmethod
    def load(cls, extend: Optional[Mapping[str, Any]] = None) -> "Vocabulary":
        """The packaged vocabulary, extended by user configuration.

        ``extend`` has the packaged file's shape: ``{"categories": {"<id>":
        {"phrases": [...], "weak-phrases": [...], "exclude": [...],
        "carriers": [...], "label": ..., "sensitivity": ...}},
        "child-subjects": [...], "adult-subjects": [...], "person-subjects":
        [...], "sanitizers": [...]}`` plus the word lists ``carriers``,
        ``qualifiers``, ``flag-words``, ``transforms``, ``non-person-owners``
        and ``receiver-carriers``. Lists add to the packaged ones; a phrase
        already known moves to the category that lists it; an unknown category
        id creates a category (``label`` and ``sensitivity`` required).
        Raises ValueError on malformed input.
        """
        builder = _Builder()
        builder.merge(_read_default_spec(), "personal_data.toml", override=False)
        if extend is not None:
            builder.merge(extend, "personal-data configuration", override=True)
        return cls(builder)

    # ------------------------------------------------------------- queries

    def classify(self, name: str, subject_hint: Optional[str] = None) -> NameMatch:
        """Whether ``name`` names personal data (cached per name and hint).

        ``subject_hint`` is what the caller knows about the object the name
        belongs to (``subject_of`` of the receiver in ``pupil.name``): it
        supplies the subject when the name has none, and lets weak phrases
        with nothing before them count.
        """
        key = (name, subject_hint)
        found = self._cache.get(key)
        if found is None:
            found = self._evaluate(name, subject_hint).match
            if len(self._cache) >= self._CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found

    def subject_of(self, name: str) -> Optional[str]:
        """Who an object is, from its name: "child", "adult", "person" or None.

        The head (last word, ignoring ``obj``/``data``-like carriers) must be
        a person word: ``current_student`` -> child, ``request.user`` ->
        person, ``parent_profile`` -> adult, ``user_form`` / ``settings`` ->
        None.
        """
        cache = self._subject_cache
        if name in cache:
            return cache[name]
        words = split_words(name)
        end = len(words)
        while end > 1 and (
            words[end - 1] in self._receiver_carriers
            or words[end - 1] in self._carriers
            or words[end - 1].isdigit()
        ):
            end -= 1
        if end == 0 or words[end - 1] not in self._subjects:
            answer = None
        else:
            answer = self._subject_run(words, end - 1)[0]
        self._remember(cache, name, answer)
        return answer

    def is_thing(self, name: str) -> bool:
        """Whether a name (a class or object name) is a thing that is not a person.

        Its head, ignoring ``obj``/``model``-like carriers, is a non-person
        owner and no person word owns it: ``Queue``, ``CloudflareBackend``,
        ``SiteConfig`` -> True; ``UserModel``, ``StudentQueue``, ``Form`` -> False.
        """
        answer = self._thing_cache.get(name)
        if answer is None:
            answer = self._is_thing(name)
            self._remember(self._thing_cache, name, answer)
        return answer

    def _is_thing(self, name: str) -> bool:
        words = split_words(name)
        if not words or self.owner_is_person(name):
            return False
        end = len(words)
        while end > 1 and (
            words[end - 1] in self._receiver_carriers or words[end - 1] in self._carriers or words[end - 1].isdigit()
        ):
            end -= 1
        if words[end - 1] in self._subjects:  # `EnterpriseCustomer`: a person word owned by a thing
            return self._subject_run(words, end - 1)[0] is None
        return words[end - 1] in self._things

    def owner_is_person(self, name: str) -> bool:
        """Whether some person word in a name owns it (``user_settings``, ``parent_config``).

        Person words right after a non-person owner do not count
        (``enterprise_customer_config``, ``service_account_settings``).
        """
        answer = self._owner_cache.get(name)
        if answer is None:
            words = split_words(name)
            answer = any(
                word in self._subjects and self._subject_run(words, position)[0] is not None
                for position, word in enumerate(words)
            )
            self._remember(self._owner_cache, name, answer)
        return answer

    def is_sanitizer(self, name: str) -> bool:
        """Whether a function name ends a data flow (mask_email, hashlib.sha256, len)."""
        answer = self._sanitizer_cache.get(name)
        if answer is None:
            answer = _find_sequence(split_words(name), self._sanitizers) is not None
            self._remember(self._sanitizer_cache, name, answer)
        return answer

    def person_words(self) -> FrozenSet[str]:
        """Every word that names a person (child, adult or anyone), plural forms included."""
        return frozenset(self._subjects)

    def triggers(self) -> List[Tuple[FrozenSet[str], ...]]:
        """Words a file must hold for any of its names to be classified as personal data.

        One trigger per phrase, a set per word of it (the last word with its
        plural forms, as classification matches them); a weak phrase also needs
        a person word, since it only counts with one (in the name or its
        owner). For the prefilter (prefilter.py): a file without any trigger
        can have no personal data by name.
        """
        people = frozenset(self._subjects)
        out: List[Tuple[FrozenSet[str], ...]] = []
        for phrase in self.phrases.values():
            sets = [frozenset({word}) for word in phrase.words[:-1]]
            sets.append(frozenset(_plural_forms(phrase.words[-1])))
            if phrase.weak and not any(word in self._subjects for word in phrase.words):
                sets.append(people)
            out.append(tuple(sets))
        return out

    def explain(self, name: str, subject_hint: Optional[str] = None) -> str:
        """Plain-text account of how ``name`` is classified."""
        verdict = self._evaluate(name, subject_hint)
        match = verdict.match
        lines = [f"identifier: {name}"]
        lines.append("words: " + (", ".join(match.words) if match.words else "(none)"))
        if subject_hint is not None:
            lines.append(f"subject hint: {subject_hint}")
        if match.category is not None:
            category = match.category
            lines.append(
                f"result: personal data - {category.label} (category {category.id!r}, "
                f"sensitivity {category.sensitivity}"
                + (", persistent identifier" if category.persistent_identifier else "")
                + ")"
            )
            strength = (
                "weak: counts only because of the person it belongs to"
                if match.weak
                else "strong: counts on its own"
            )
            lines.append(f"phrase: {_quote(match.phrase)} = {match.label} ({strength})")
            lines.append(f"subject: {match.subject or 'unknown'}")
        else:
            lines.append("result: not personal data")
            if match.excluded_by is None:
                lines.append("why: no personal-data phrase among the words")
            else:
                lines.append(f"why: {match.excluded_by}")
        lines.extend(f"note: {note}" for note in verdict.notes)
        return "\n".join(lines)

    # ---------------------------------------------------------- internals

    def _is_carrier(self, word: str, category_id: str) -> bool:
        return (
            word in self._carriers
            or word.isdigit()
            or word in self._category_carriers.get(category_id, ())
        )

    def _phrases_ending_at(self, words: Words, end: int) -> Iterable[Tuple[int, _Phrase]]:
        for phrase in self._by_last.get(words[end], ()):
            start = end - len(phrase.words) + 1
            if start >= 0 and words[start:end] == phrase.words[:-1]:
                yield start, phrase

    def _subject_run(self, words: Words, last: int) -> Tuple[Optional[str], str]:
        """Subject of the run of person words ending at ``last``.

        Returns (subject, note); subject None when a non-person owner comes
        right before the run (``service_account``, ``test_user``).
        """
        first = last
        position = last - 1
        while position >= 0 and (words[position] in self._subjects or words[position] in self._qualifiers):
            if words[position] in self._subjects:
                first = position
            position -= 1
        run = words[first : last + 1]
        before = first - 1
        while before >= 0 and words[before] in self._qualifiers:
            before -= 1
        if before >= 0 and words[before] in self._things:
            people = [w for w in run if w in self._subjects]
            if len(people) < 2:
                return None, (
                    f"word {words[before]!r} before {_quote(run)} names an owner that is not a "
                    f"person: {_quote(words[before : last + 1])} is not a person"
                )
            # `enterprise_customer_user`: the thing owns the first person word (an
            # enterprise customer is a business); the head is a person of it.
            run = run[run.index(people[0]) + 1 :]
        for word in reversed(run):
            kind = self._subjects.get(word)
            if kind in ("child", "adult"):
                return kind, f"the word {word!r} before the phrase makes it {kind} data"
        word = next(w for w in reversed(run) if w in self._subjects)
        return "person", f"the word {word!r} before the phrase names a person (age unknown)"

    def _evaluate(self, name: str, hint: Optional[str]) -> _Verdict:
        if hint is not None and hint not in SUBJECTS:
            raise ValueError(f"subject_hint must be one of {', '.join(SUBJECTS)} or None, not {hint!r}")
        words = split_words(name)
        notes: List[str] = []

        # "name_of_child": an 'of' followed only by person words gives the subject.
        core = words
        tail_subject: Optional[str] = None
        if "of" in words:
            k = len(words) - 1 - words[::-1].index("of")
            rest = [w for w in words[k + 1 :] if w not in self._qualifiers]
            if k > 0 and rest and all(w in self._subjects for w in rest):
                kinds = [self._subjects[w] for w in rest]
                tail_subject = next((s for s in reversed(kinds) if s != "person"), "person")
                core = words[:k]

        transform = _find_sequence(words, self._transforms)
        first_failure: Optional[str] = None
        end = len(core) - 1
        while end >= 0:
            trailing = core[end + 1 :]
            for start, phrase in self._phrases_ending_at(core, end):
                if all(self._is_carrier(w, phrase.category.id) for w in trailing):
                    verdict, failure = self._judge(
                        name, words, core, start, end, phrase, hint, tail_subject, transform
                    )
                    if verdict is not None:
                        if first_failure is not None:
                            verdict.notes.append(f"also considered and rejected: {first_failure}")
                        return verdict
                    if first_failure is None:
                        first_failure = failure
                    break
            if core[end] in self._any_carrier or core[end].isdigit():
                end -= 1
                continue
            break

        if first_failure is None:
            first_failure = self._why_no_head(core, end, transform)
        match = NameMatch(name, words, None, None, (), None, first_failure, False)
        return _Verdict(match, notes)

    def _why_no_head(self, core: Words, stop: int, transform: Optional[Tuple[int, Words]]) -> Optional[str]:
        """Why a phrase present in the name is not its head (or None: no phrase)."""
        for end in range(min(stop, len(core) - 1), -1, -1):
            for start, phrase in self._phrases_ending_at(core, end):
                if transform is not None:
                    return self._transform_reason(transform[1], phrase)
                flag = next((w for w in core[:start] if w in self._flags), None)
                if flag is not None:
                    return self._flag_reason(flag, phrase)
                blocker = next(
                    (w for w in core[end + 1 :] if not self._is_carrier(w, phrase.category.id)),
                    None,
                )
                if blocker is not None:
                    return (
                        f"trailing word {blocker!r}: the head of the name is {blocker!r}, not the "
                        f"{phrase.label} (the last word of a compound is its head)"
                    )
        return None

    @staticmethod
    def _transform_reason(seq: Words, phrase: _Phrase) -> str:
        return (
            f"word {_quote(seq)}: a hashed, masked or otherwise transformed value, "
            f"not the {phrase.label} itself"
        )

    @staticmethod
    def _flag_reason(flag: str, phrase: _Phrase) -> str:
        return (
            f"leading word {flag!r}: names a flag, count, limit or setting about the "
            f"{phrase.label}, not the {phrase.label} itself"
        )

    def _judge(
        self,
        name: str,
        words: Words,
        core: Words,
        start: int,
        end: int,
        phrase: _Phrase,
        hint: Optional[str],
        tail_subject: Optional[str],
        transform: Optional[Tuple[int, Words]],
    ) -> Tuple[Optional[_Verdict], str]:
        said = _quote(phrase.words)
        if transform is not None:
            return None, self._transform_reason(transform[1], phrase)
        for exclude in self._excludes.get(phrase.category.id, ()):
            for position in range(max(0, end - len(exclude) + 1), min(end, len(core) - len(exclude)) + 1):
                if core[position : position + len(exclude)] == exclude:
                    return None, (
                        f"{_quote(exclude)} is listed as a false friend of "
                        f"{phrase.label} ({phrase.category.id})"
                    )
        flag = next((w for w in core[:start] if w in self._flags), None)
        if flag is not None:
            return None, self._flag_reason(flag, phrase)

        notes: List[str] = []
        # The owner: the word right before the phrase, past qualifiers.
        owner = start - 1
        while owner >= 0 and core[owner] in self._qualifiers:
            owner -= 1
        subject: Optional[str] = None
        if owner >= 0:
            owner_word = core[owner]
            if owner_word in self._things:
                return None, (
                    f"word {owner_word!r} before {said} names an owner that is not a person: "
                    f"the {phrase.label} of a thing, not of a person"
                )
            if owner_word in self._subjects:
                kind, note = self._subject_run(core, owner)
                if kind is None:
                    return None, note
                subject = kind
                notes.append(note)
            elif phrase.weak:
                return None, (
                    f"{said} is a weak phrase and the word before it, {owner_word!r}, is not a "
                    f"person word: it names the {' '.join(phrase.words)} of something else"
                )
            else:
                # A strong phrase with other modifiers (billing_email): the
                # nearest person words further left, if any, give the subject;
                # a thing nearer than any person owns it (`school_billing_email`,
                # `course_lti_passport`).
                for position in range(owner - 1, -1, -1):
                    if core[position] in self._things:
                        return None, (
                            f"word {core[position]!r} before {_quote(core[position + 1 : end + 1])} names an "
                            f"owner that is not a person: the {phrase.label} of a thing, not of a person"
                        )
                    if core[position] in self._subjects:
                        kind, note = self._subject_run(core, position)
                        if kind is None:
                            return None, note
                        subject = kind
                        notes.append(note)
                        break
        if subject is None:
            inner = [self._subjects[w] for w in phrase.words if w in self._subjects]
            if inner:
                subject = next((s for s in reversed(inner) if s != "person"), "person")
                notes.append(f"a person word inside the phrase makes it {subject} data")
            elif tail_subject is not None:
                subject = tail_subject
                notes.append(f"the words after 'of' make it {subject} data")
            elif hint is not None and (owner < 0 or not phrase.weak):
                subject = hint
                notes.append(f"subject {hint} comes from the object the name belongs to (subject hint)")
        if subject is None:
            if phrase.weak:
                return None, (
                    f"{said} is a weak phrase: it counts only with a person word right before "
                    f"it (e.g. child_{'_'.join(phrase.words)}) or on a person object; there is neither"
                )
            notes.append("no person word gives the subject: unknown, the caller decides")
        trailing = core[end + 1 :]
        if trailing:
            notes.append(f"carrier word(s) after the phrase: {', '.join(trailing)}")
        match = NameMatch(
            name=name,
            words=words,
            category=phrase.category,
            label=phrase.label,
            phrase=phrase.words,
            subject=subject,
            excluded_by=None,
            weak=phrase.weak,
        )
        return _Verdict(match, notes), ""


@functools.lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The packaged vocabulary without user extensions (loaded once)."""
    return Vocabulary.load()
