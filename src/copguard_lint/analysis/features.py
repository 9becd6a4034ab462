"""Safety features of a project: what users can do to each other, and what protects them.

The COP4xx rules are about what a project lacks (a way to report, to block, a
scanning step, a route to help), so they need the whole tree. This analysis
reads one file at a time and records plain facts; the rules join them.

What is recognised, all by whole words of names (vocabulary in
`data/features.toml`, never substrings):

* Data models (Django, SQLAlchemy and Flask-SQLAlchemy, Pydantic, SQLModel,
  dataclasses, attrs) whose class name reads as a user-to-user feature
  (`Message`, `DirectMessage`, `ChatRoom`, `Comment`, `Post`, `FriendRequest`,
  `Follow`, `Invite`, `Photo`), a report mechanism (`Report`, `AbuseReport`,
  `CommentFlag`) or a block mechanism (`Block`, `BlockedUser`, `UserMute`).
* Model fields: block relations (`blocked_users = ManyToManyField(...)`),
  profile visibility settings (public profiles), and media models whose
  status defaults to published.
* Functions and class-based views: handlers named for a feature or mechanism
  (`send_message`, `post_comment`, `add_friend`, `report_user`, `flag_abuse`,
  `block_user`, `mute`), request handlers that create a feature's model
  (`Message(...)`, `Comment.objects.create(...)`), and upload handlers
  (`request.FILES`, Flask `request.files`, FastAPI `UploadFile` parameters,
  DRF multipart parsers, boto3 `put_object` in a handler).
* Traits of every function: it consults a block relation, calls a scanning or
  moderation hook (hash matching, classifiers, quarantine or review states),
  or points to help (a helpline or authority contact). Help settings
  (`CHILD_HELPLINE = ...`) and help put into every template (a context
  processor) are recorded too.
* What acts on reports (COP408): report classes a function reads (names more
  often than it constructs), report rows it reaches through a relation
  (`post.reports`), decisions it records on a report (`report.status = ...`),
  whether its name is about handling reports (`resolve_report`), and report
  models registered with an admin site or named in a view class body.
  Vocabulary in `data/reports.toml`.

Paths across files: each function's calls are recorded (resolved through
imports), so the project pass can follow a handler into helpers in other
files (`upload_photo` -> `moderation.screen_photo` -> `scan_image_for_csam`)
and back to its callers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from ..literals import joined_string_value, string_value
from ..data_files import load_data
from ..findings import Span
from ..imports import dotted
from ..rule import Analysis
from .flow import module_name
from .names import split_words

FACT_MODEL = "features.model"  # located at a class name: a model that is a feature or mechanism
FACT_FIELD = "features.field"  # located at a field: public-profile setting, block relation, media published by default
FACT_FUNC = "features.func"  # located at a function or view class name: a handler of interest
FACT_SUMMARY = "features.summary"  # unlocated: traits and calls of any other function, for paths
FACT_HELP = "features.help"  # located: a help setting, or help put into every template
FACT_REPORT_USE = "features.report-use"  # located: a report model registered with an admin site or used by a view class (COP408)

TRAIT_BLOCK = "block"  # consults a block relation
TRAIT_SCAN = "scan"  # calls a scanning or moderation hook, or holds media for review
TRAIT_HELP = "help"  # points to a helpline, authority or help page
TRAIT_FILTER = "filter"  # checks or holds user-written text: word filter, classifier, approval state (COP406)

_NOWHERE = Span(1, 1, 1, 1)
MAX_CALLS = 60  # calls kept per function summary

Words = Tuple[str, ...]


def words(name: str) -> Words:
    return tuple(split_words(name))


def _plurals(word: str) -> Tuple[str, ...]:
    if word.endswith(("s", "x", "ch", "sh")):
        return (word, word + "es")
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return (word, word[:-1] + "ies")
    return (word, word + "s")


def _with_plurals(items: Iterable[str]) -> FrozenSet[str]:
    out: Set[str] = set()
    for item in items:
        out.update(_plurals(item))
    return frozenset(out)


def _phrases(items: Iterable[str]) -> Tuple[Words, ...]:
    return tuple(w for w in (words(item) for item in items) if w)


def contains_phrase(haystack: Words, phrase: Words) -> bool:
    """Whether `phrase` occurs in `haystack` as consecutive words."""
    size = len(phrase)
    if size == 0 or size > len(haystack):
        return False
    first = phrase[0]
    for index in range(len(haystack) - size + 1):
        if haystack[index] == first and haystack[index : index + size] == phrase:
            return True
    return False


_PHRASE_INDEXES: Dict[int, Tuple[Tuple[Words, ...], Dict[str, Tuple[Words, ...]]]] = {}


def contains_any_phrase(haystack: Words, phrases: Tuple[Words, ...]) -> bool:
    """Whether any of `phrases` occurs in `haystack`: `any(contains_phrase(...))`, indexed.

    The phrases are indexed by their first word once per tuple, so an
    identifier costs one dict lookup per word instead of a scan of every phrase.
    """
    cached = _PHRASE_INDEXES.get(id(phrases))
    if cached is None or cached[0] is not phrases:
        index: Dict[str, List[Words]] = {}
        for phrase in phrases:
            if phrase:
                index.setdefault(phrase[0], []).append(phrase)
        cached = _PHRASE_INDEXES[id(phrases)] = (phrases, {k: tuple(v) for k, v in index.items()})
    by_first = cached[1]
    for start, word in enumerate(haystack):
        for phrase in by_first.get(word, ()):
            if haystack[start : start + len(phrase)] == phrase:
                return True
    return False


# -- vocabulary -------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A user-to-user feature (`messaging`) or a mechanism (`report`, `block`)."""

    kind: str
    label: str
    verb_phrase: str
    nouns: FrozenSet[str]
    qualifiers: FrozenSet[str]
    verbs: FrozenSet[str]
    verb_alone: FrozenSet[str]
    needs: Tuple[str, ...] = ()
    contact: bool = False
    field_names: FrozenSet[FrozenSet[str]] = frozenset()
    handler_names: Tuple[Words, ...] = ()
    class_names: Tuple[Words, ...] = ()
    mechanism: bool = False
    noun_order: Tuple[str, ...] = ()
    item: str = ""  # one instance, for messages: "message", "friend request"

    def noun_rank(self, name_words: Words) -> Tuple[int, int]:
        """(words that are not nouns, position of the first noun in `nouns`): lower is a better example."""
        extra = sum(1 for w in name_words if w not in self.nouns)
        positions = [self.noun_order.index(w.rstrip("s")) for w in name_words if w.rstrip("s") in self.noun_order]
        positions += [self.noun_order.index(w) for w in name_words if w in self.noun_order]
        return extra, min(positions) if positions else len(self.noun_order)


@dataclass(frozen=True)
class SettingSpec:
    """A privacy setting and its permissive default values (COP501, COP502)."""

    id: str
    rule: str
    label: str
    risk: str
    protective: str
    scope: str  # "any" | "person"
    names: FrozenSet[FrozenSet[str]]
    permissive: Tuple[Any, ...]

    def is_permissive(self, value: Any) -> bool:
        for wanted in self.permissive:
            if isinstance(wanted, bool):
                if isinstance(value, bool) and value is wanted:
                    return True
            elif isinstance(value, str) and value.strip().lower() == wanted:
                return True
        return False


class FeatureVocabulary:
    """data/features.toml, plus the project's own names from `[tool.copguard.safety]`."""

    def __init__(self, data: Mapping[str, Any], extension: Optional[Mapping[str, Any]] = None) -> None:
        extension = dict(extension or {})
        self.model_fillers = frozenset(data["model-fillers"])
        self.handler_fillers = frozenset(data["handler-fillers"])
        self.handler_prefixes = frozenset(data["handler-prefixes"])
        self.context_exclude = frozenset(data["context-exclude"])
        self.model_bases = frozenset(data["model-bases"])
        self.model_base_suffixes = tuple(data["model-base-suffixes"])
        self.model_decorators = frozenset(data["model-decorators"])
        self.view_suffixes = tuple(data["view-suffixes"])
        self.view_methods = frozenset(data["view-methods"])
        self.handler_decorator_words = frozenset(data["handler-decorator-words"])
        self.request_params = frozenset(data["request-params"])

        self.features: Tuple[Category, ...] = tuple(self._category(entry) for entry in data["feature"])
        feature_nouns = frozenset().union(*(c.nouns for c in self.features))
        self.feature_nouns = feature_nouns
        report = data["report"]
        self.report = Category(
            kind="report", label="reporting", verb_phrase="",
            nouns=_with_plurals(report["nouns"]),
            qualifiers=frozenset(report["qualifiers"]) | feature_nouns,
            verbs=frozenset(report["verbs"]), verb_alone=frozenset(report["verb-alone"]), mechanism=True,
        )
        self.report_evidence = frozenset(report["evidence-fields"])
        self.report_qualifiers = frozenset(report["qualifiers"])
        block = data["block"]
        self.block = Category(
            kind="block", label="blocking", verb_phrase="",
            nouns=_with_plurals(block["nouns"]),
            qualifiers=frozenset(block["qualifiers"]),
            verbs=frozenset(block["verbs"]), verb_alone=frozenset(block["verb-alone"]), mechanism=True,
        )
        self.block_relations = frozenset(frozenset(p) for p in _phrases(block["relation-fields"]))
        self.block_words = frozenset(block["check-words"])
        self.block_exclude = _with_plurals(block["check-exclude"])
        self.block_extra = _phrases(extension.get("block-checks", ()))
        self.help_phrases = _phrases(data["help"]["phrases"]) + _phrases(extension.get("help-resources", ()))
        scan = data["scan"]
        self.scan_phrases = _phrases(scan["call-phrases"]) + _phrases(extension.get("scan-hooks", ()))
        self.hold_phrases = _phrases(scan["hold-phrases"])
        self.scan_exclude = _with_plurals(scan["exclude"])
        text_filter = data.get("filter", {})
        self.filter_phrases = _phrases(text_filter.get("call-phrases", ()))
        self.filter_hold_phrases = _phrases(text_filter.get("hold-phrases", ()))
        self.held_fields = frozenset(frozenset(p) for p in _phrases(text_filter.get("held-fields", ())))
        self.held_values = frozenset(v.lower() for v in text_filter.get("held-values", ()))
        self.text_words = frozenset(text_filter.get("text-fields", ()))
        upload = data["upload"]
        self.upload_attributes = frozenset(upload["request-attributes"])
        self.upload_receivers = frozenset(upload["request-receivers"])
        self.upload_types = frozenset(upload["parameter-types"])
        self.upload_parsers = frozenset(upload["parsers"])
        self.store_methods = frozenset(upload["store-methods"])
        self.storage_calls = frozenset(upload["storage-calls"])
        self.not_media = frozenset(upload["not-media"])
        media = data["media"]
        self.media_fields = frozenset(media["django-fields"])
        self.status_fields = frozenset(frozenset(p) for p in _phrases(media["status-fields"]))
        self.published_values = tuple(v.lower() if isinstance(v, str) else v for v in media["published-values"])
        self.setting_fillers = frozenset(data["privacy"]["fillers"])
        self.person_words = frozenset(data["privacy"]["person-words"])
        self.settings: Tuple[SettingSpec, ...] = tuple(
            SettingSpec(
                id=entry["id"], rule=entry["rule"], label=entry["label"], risk=entry["risk"],
                protective=entry["protective"], scope=entry["scope"],
                names=frozenset(frozenset(self._setting_words(words(n))) for n in entry["names"]),
                permissive=tuple(v.lower() if isinstance(v, str) else v for v in entry["permissive"]),
            )
            for entry in data["setting"]
        )
        self.geo = data["geolocation"]
        self.nudge = data.get("nudge", {})  # COP506, read by rules/defaults.py
        self.monitoring = data.get("monitoring", {})  # COP507, read by rules/defaults.py
        self.explanation = data.get("explanation", {})  # COP508, read by rules/defaults.py
        handling = load_data("reports.toml")  # COP408: what acting on a report looks like
        self.report_containers = frozenset(handling["reasons"]["container-nouns"])
        self.handling_verbs = frozenset(handling["handling"]["verbs"])
        self.filing_words = frozenset(handling["handling"]["filing-words"])
        self.admin_calls = frozenset(handling["handling"]["admin-calls"])
        self.decision_attributes = frozenset(frozenset(p) for p in _phrases(handling["handling"]["decision-attributes"]))
        self.presenter_words = frozenset(handling["handling"]["presenter-exclude"])
        self._cache: Dict[Tuple[str, str], Any] = {}
        self._identifier_traits: Dict[str, Tuple[str, ...]] = {}
        self._literal_traits: Dict[str, Tuple[str, ...]] = {}
        self._report_classes: Dict[str, bool] = {}
        self._name_facts: Dict[str, Tuple[Tuple[str, ...], bool]] = {}
        self._class_words: Dict[int, FrozenSet[str]] = {}
        self._report_containers: Dict[str, bool] = {}

    @staticmethod
    def _category(entry: Mapping[str, Any]) -> Category:
        return Category(
            kind=entry["kind"], label=entry["label"], verb_phrase=entry["verb-phrase"],
            nouns=_with_plurals(entry["nouns"]), qualifiers=frozenset(entry["qualifiers"]),
            verbs=frozenset(entry["verbs"]), verb_alone=frozenset(entry["verb-alone"]),
            needs=tuple(entry["needs"]), contact=bool(entry["contact"]), noun_order=tuple(entry["nouns"]),
            item=entry["item"],
            field_names=frozenset(frozenset(p) for p in _phrases(entry.get("field-names", ()))),
            handler_names=_phrases(entry.get("handler-names", ())),
            class_names=_phrases(entry.get("class-names", ())),
        )

    # -- categories ---------------------------------------------------------------
    @property
    def categories(self) -> Tuple[Category, ...]:
        return (self.report, self.block, *self.features)

    def category(self, kind: str) -> Optional[Category]:
        for category in self.categories:
            if category.kind == kind:
                return category
        return None

    def targets(self, name_words: Words) -> Tuple[str, ...]:
        """Feature kinds a mechanism's name is about (`CommentReport` -> comments)."""
        out = []
        for category in self.features:
            if any(w in category.nouns for w in name_words) and category.kind not in out:
                out.append(category.kind)
        return tuple(out)

    def classify_class(self, name: str) -> Optional[str]:
        """The feature or mechanism a class name reads as (head noun last), or None."""
        key = ("class", name)
        if key in self._cache:
            return self._cache[key]
        found = self._classify_class(words(name))
        self._cache[key] = found
        return found

    def _classify_class(self, w: Words) -> Optional[str]:
        if not w:
            return None
        best: Optional[Tuple[int, int, str]] = None
        for order, category in enumerate(self.categories):
            if w in category.class_names:
                return category.kind
            allowed = self._class_words.get(id(category))
            if allowed is None:  # the words a class name of this category may hold, made once
                allowed = self._class_words[id(category)] = category.nouns | category.qualifiers | self.model_fillers
            if not all(word in allowed for word in w):
                continue
            positions = [i for i, word in enumerate(w) if word in category.nouns]
            if not positions:
                continue
            candidate = (positions[-1], -order, category.kind)
            if best is None or candidate > best:
                best = candidate
        return best[2] if best else None

    def classify_handler(self, name: str) -> Optional[str]:
        """The feature or mechanism a function name reads as (verb first), or None."""
        key = ("handler", name)
        if key in self._cache:
            return self._cache[key]
        found = self._classify_handler(words(name))
        self._cache[key] = found
        return found

    def _classify_handler(self, w: Words) -> Optional[str]:
        skipped = 0
        while len(w) > 1 and w[0] in self.handler_prefixes and skipped < 2:
            w = w[1:]
            skipped += 1
        if not w:
            return None
        for category in self.categories:
            if w in category.handler_names:
                return category.kind
        verb, rest = w[0], w[1:]
        for category in self.categories:
            if verb not in category.verbs:
                continue
            allowed = category.nouns | category.qualifiers | self.handler_fillers
            if not all(word in allowed for word in rest):
                continue
            if verb in category.verb_alone or any(word in category.nouns for word in rest):
                return category.kind
        return None

    def view_words(self, class_name: str) -> Optional[Words]:
        """Words of a view class name without its view suffix, or None if not a view."""
        for suffix in self.view_suffixes:
            if class_name.endswith(suffix) and len(class_name) > len(suffix):
                stem = words(class_name[: -len(suffix)])
                # CreateAPIView-style generic words left over are not part of the name.
                while stem and stem[-1] in ("api", "view", "generic", "model"):
                    stem = stem[:-1]
                return stem
        return None

    # -- traits -----------------------------------------------------------------
    def is_block_check(self, identifier: str) -> bool:
        key = ("block", identifier)
        if key not in self._cache:
            w = words(identifier)
            hit = any(word in self.block_words for word in w) and not any(word in self.block_exclude for word in w)
            hit = hit or contains_any_phrase(w, self.block_extra)
            self._cache[key] = hit
        return self._cache[key]

    def _names_phrase(self, kind: str, identifier: str, phrases: Tuple[Words, ...]) -> bool:
        """Whether the identifier's words hold one of `phrases` (cached per kind and identifier)."""
        key = (kind, identifier)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = contains_any_phrase(words(identifier), phrases)
        return hit

    def is_help(self, identifier: str) -> bool:
        return self._names_phrase("help", identifier, self.help_phrases)

    def is_hold(self, identifier: str) -> bool:
        return self._names_phrase("hold", identifier, self.hold_phrases)

    def is_scan_call(self, name: str) -> bool:
        key = ("scan", name)
        if key not in self._cache:
            w = words(name)
            hit = not any(word in self.scan_exclude for word in w) and (
                contains_any_phrase(w, self.scan_phrases)
                or contains_any_phrase(w, self.hold_phrases)
            )
            self._cache[key] = hit
        return self._cache[key]

    def is_filter_call(self, name: str) -> bool:
        """A call that checks or cleans user-written text (`censor`, `check_toxicity`, `moderations.create`)."""
        return self._names_phrase("filter", name, self.filter_phrases)

    def is_filter_hold(self, identifier: str) -> bool:
        """An identifier or literal naming an approval state (`is_approved`, `"pending_approval"`)."""
        return self._names_phrase("filter-hold", identifier, self.filter_hold_phrases)

    def is_text_field(self, field_name: str) -> bool:
        """A field holding what a user wrote (`body`, `text`, `content`, `message_html`)."""
        w = words(field_name)
        return bool(w) and (w[-1] in self.text_words or (len(w) > 1 and w[-2] in self.text_words
                                                          and w[-1] in ("html", "markdown", "md", "raw", "parsed")))

    def holds_content(self, field_name: str, value: Any) -> bool:
        """A visibility or approval field whose default keeps new content from other users."""
        w = words(field_name)
        if frozenset(w) not in self.held_fields:
            return False
        if isinstance(value, bool):
            negative = any(word in ("unapproved", "hidden", "pending", "needs") for word in w)
            return value is negative
        return isinstance(value, str) and value.strip().lower() in self.held_values

    def is_media_field_call(self, callee: str) -> bool:
        return callee.rsplit(".", 1)[-1] in self.media_fields

    def is_block_relation(self, field_name: str) -> bool:
        return frozenset(words(field_name)) in self.block_relations

    def is_status_field(self, field_name: str) -> bool:
        return frozenset(words(field_name)) in self.status_fields

    def is_published(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value in [v for v in self.published_values if isinstance(v, bool)]
        return isinstance(value, str) and value.strip().lower() in self.published_values

    def profile_field(self, field_name: str) -> bool:
        profiles = self.category("profiles")
        return profiles is not None and frozenset(words(field_name)) in profiles.field_names

    def is_report_class(self, name: str) -> bool:
        """A class name that reads as a report mechanism (`Report`, `CommentFlag`), by name alone.

        Asked for every name in the code: cached per spelling.
        """
        found = self._report_classes.get(name)
        if found is None:
            found = self._report_classes[name] = (
                name[:1].isupper() and not is_constant_name(name) and self.classify_class(name) == "report"
            )
        return found

    def name_facts(self, name: str) -> Tuple[Tuple[str, ...], bool]:
        """(`identifier_traits`, `is_report_class`) of a name: what `visit_Name` asks of every name."""
        facts = self._name_facts.get(name)
        if facts is None:
            facts = self._name_facts[name] = (self.identifier_traits(name), self.is_report_class(name))
        return facts

    def names_report_container(self, identifier: str) -> bool:
        """Whether a word of the identifier is a report container (`reports`, `flags`), cached per spelling."""
        found = self._report_containers.get(identifier)
        if found is None:
            found = self._report_containers[identifier] = any(w in self.report_containers for w in words(identifier))
        return found

    def identifier_traits(self, identifier: str) -> Tuple[str, ...]:
        """The traits an identifier used in a function gives it (block, help, scan, filter).

        Asked for every name, attribute and keyword in the code: cached per spelling.
        """
        traits = self._identifier_traits.get(identifier)
        if traits is None:
            found = []
            if self.is_block_check(identifier):
                found.append(TRAIT_BLOCK)
            if self.is_help(identifier):
                found.append(TRAIT_HELP)
            if self.is_hold(identifier):
                found.append(TRAIT_SCAN)
            if self.is_filter_hold(identifier):
                found.append(TRAIT_FILTER)
            traits = self._identifier_traits[identifier] = tuple(found)
        return traits

    def literal_traits(self, text: str) -> Tuple[str, ...]:
        """The traits a short string literal used in a function gives it; none for prose.

        Cached per text; the caller passes only texts of at most 80 characters.
        """
        traits = self._literal_traits.get(text)
        if traits is None:
            found = []
            if not any(c.isspace() for c in text):  # prose (docstrings, messages), not a name
                if self.is_help(text):
                    found.append(TRAIT_HELP)
                if self.is_hold(text):
                    found.append(TRAIT_SCAN)
                if self.is_filter_hold(text) or text.strip().lower() in self.held_values:
                    found.append(TRAIT_FILTER)
            traits = self._literal_traits[text] = tuple(found)
        return traits

    def _name_words(self, qualname: str) -> Words:
        """Words of a qualified name without a trailing view method (`DeleteReport.post` -> delete, report)."""
        parts = qualname.split(".")
        if len(parts) > 1 and parts[-1] in self.view_methods:
            parts = parts[:-1]
        return words("_".join(parts))

    def handles_reports(self, qualname: str) -> bool:
        """A function or view named for acting on reports (`resolve_report`, `ReportQueueView.get`)."""
        w = self._name_words(qualname)
        return (any(x in self.report_containers for x in w) and any(x in self.handling_verbs for x in w)
                and not self.files_reports(qualname))

    def files_reports(self, qualname: str) -> bool:
        """A function on the filing side by its name (`FlagForm.clean`, `create_report`, `ReportSerializer`)."""
        return any(x in self.filing_words or x in self.presenter_words for x in self._name_words(qualname))

    def is_decision(self, receiver: str, attribute: str) -> bool:
        """`report.status = ...`, `flag.resolved_at = ...`: a decision recorded on a report object."""
        return any(x in self.report_containers for x in words(receiver)) and \
            frozenset(words(attribute)) in self.decision_attributes

    def not_media_name(self, name: str) -> bool:
        return any(w in self.not_media for w in words(name))

    # -- settings ----------------------------------------------------------------
    def _setting_words(self, w: Words) -> Tuple[str, ...]:
        kept = tuple(word for word in w if word not in self.setting_fillers)
        return kept or w

    def is_person_name(self, name: str) -> bool:
        return any(w in self.person_words for w in words(name))

    def setting(self, name: str, person_scope: bool) -> Optional[SettingSpec]:
        """The privacy setting a field, key or constant name is, or None."""
        key = ("setting", name)
        if key not in self._cache:
            wanted = frozenset(self._setting_words(words(name)))
            self._cache[key] = tuple(spec for spec in self.settings if wanted in spec.names)
        for spec in self._cache[key]:
            if spec.scope == "any" or person_scope:
                return spec
        return None


@lru_cache(maxsize=16)
def _vocabulary_cached(extension: Tuple[Tuple[str, Any], ...]) -> FeatureVocabulary:
    from ..config import _thaw

    return FeatureVocabulary(load_data("features.toml"), _thaw(extension) if extension else None)


def vocabulary_for(settings: Any = None) -> FeatureVocabulary:
    """The vocabulary under the run's `[tool.copguard.safety]` names (if any)."""
    extension = getattr(settings, "safety", ()) if settings is not None else ()
    return _vocabulary_cached(tuple(extension or ()))


# -- models and fields (shared with the COP5xx rules) ----------------------------------


@dataclass
class FieldInfo:
    """One attribute of a model or settings class."""

    name: str
    target: cst.CSTNode  # the name being assigned, for locating
    value: Optional[cst.BaseExpression]  # the whole right-hand side
    call: Optional[str]  # callee of the right-hand side, as spelled (`models.BooleanField`)
    default: Optional[cst.BaseExpression] = None  # the default value expression
    server_default: bool = False
    relation: bool = False
    relation_target: str = ""
    media: bool = False
    boolean: bool = False
    is_constant: bool = False  # ALL_CAPS, not a field


_FIELD_CALL_SUFFIXES = ("Field",)
_COLUMN_CALLS = frozenset({"Column", "mapped_column", "column_property", "Field", "field", "ib", "attrib", "attr.ib", "attrs.field", "StringField", "BooleanField"})
_RELATION_CALLS = frozenset({
    "ForeignKey", "ManyToManyField", "OneToOneField", "relationship", "relation", "ReferenceField",
    "ParentalManyToManyField", "ParentalKey", "GenericRelation", "TreeForeignKey", "backref",
})
_COLLECTION_TYPES = frozenset({"List", "list", "Set", "set", "Sequence", "FrozenSet", "frozenset", "Tuple", "tuple", "Mapped", "DynamicMapped", "WriteOnlyMapped"})


def is_constant_name(name: str) -> bool:
    letters = [c for c in name if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def model_framework(node: cst.ClassDef, ctx, vocabulary: FeatureVocabulary) -> Optional[str]:
    """`django`, `sqlalchemy`, `pydantic`, `dataclass`... if the class is a data model."""
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        spelled = dotted(expr) or ""
        resolved = ctx.imports.resolve(expr) or spelled
        if spelled in vocabulary.model_decorators or resolved in vocabulary.model_decorators or \
                resolved.endswith(".dataclass") or resolved.endswith("attr.s") or resolved.startswith("attrs."):
            return "pydantic" if "pydantic" in resolved else "dataclass"
    for arg in node.bases:
        spelled = dotted(arg.value)
        if spelled is None:
            if isinstance(arg.value, cst.Call):  # declarative_base() or a mixin factory
                spelled = dotted(arg.value.func) or ""
                if spelled.endswith("declarative_base"):
                    return "sqlalchemy"
            continue
        resolved = ctx.imports.resolve(arg.value) or spelled
        last = spelled.rsplit(".", 1)[-1]
        lowered = resolved.lower()
        is_model = (
            spelled in vocabulary.model_bases or last in vocabulary.model_bases
            or resolved in vocabulary.model_bases
            or any(last.endswith(s) and last != s or last == s for s in vocabulary.model_base_suffixes)
        )
        if not is_model:
            continue
        if "django" in lowered or spelled in ("models.Model",):
            return "django"
        if "pydantic" in lowered or last == "BaseModel":
            return "pydantic"
        if "sqlmodel" in lowered:
            return "sqlmodel"
        if "sqlalchemy" in lowered or spelled.endswith("db.Model") or last in ("Base", "DeclarativeBase"):
            return "sqlalchemy"
        if "mongo" in lowered or last in ("Document", "EmbeddedDocument"):
            return "document"
        if last == "TypedDict":
            return "typeddict"
        return "model"
    return None


def _call_name(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Call):
        return dotted(node.func)
    return None


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _is_boolean_type(node: Optional[cst.BaseExpression]) -> bool:
    spelled = dotted(node) if node is not None else None
    if spelled is None and isinstance(node, cst.Call):
        spelled = dotted(node.func)
    return bool(spelled) and spelled.rsplit(".", 1)[-1] in ("Boolean", "BOOLEAN", "bool", "Bool", "BooleanType")


def _annotation_names(annotation: Optional[cst.Annotation]) -> List[str]:
    out: List[str] = []
    if annotation is None:
        return out

    def visit(node: cst.BaseExpression) -> None:
        name = dotted(node)
        if name is not None:
            out.append(name)
        elif isinstance(node, cst.Subscript):
            visit(node.value)
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    visit(element.slice.value)
        elif isinstance(node, cst.SimpleString):
            text = string_value(node)
            if text is not None:
                out.append(text)
        elif isinstance(node, cst.BinaryOperation):
            visit(node.left)
            visit(node.right)

    visit(annotation.annotation)
    return out


def class_fields(node: cst.ClassDef) -> List[FieldInfo]:
    """Attributes assigned in a class body, with what their right-hand side says."""
    out: List[FieldInfo] = []
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                target = small.targets[0].target
                out.append(_field(target.value, target, small.value, None))
            elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                out.append(_field(small.target.value, small.target, small.value, small.annotation))
    return out


def _field(name: str, target: cst.Name, value: Optional[cst.BaseExpression],
           annotation: Optional[cst.Annotation]) -> FieldInfo:
    info = FieldInfo(name=name, target=target, value=value, call=_call_name(value) if value is not None else None)
    info.is_constant = is_constant_name(name)
    annotated = _annotation_names(annotation)
    if any(a.rsplit(".", 1)[-1] in ("bool",) for a in annotated[:2]):
        info.boolean = True
    if annotated and annotated[0].rsplit(".", 1)[-1] in _COLLECTION_TYPES and annotated[0].rsplit(".", 1)[-1] not in ("Mapped",):
        info.relation = True
        info.relation_target = annotated[1].rsplit(".", 1)[-1] if len(annotated) > 1 else ""
    if isinstance(value, cst.Call):
        callee = info.call or ""
        last = callee.rsplit(".", 1)[-1]
        if last in _RELATION_CALLS:
            info.relation = True
            if value.args and value.args[0].keyword is None:
                target_node = value.args[0].value
                text = _literal_string(target_node) or dotted(target_node) or ""
                info.relation_target = text.rsplit(".", 1)[-1]
        if last.endswith(_FIELD_CALL_SUFFIXES) or last in _COLUMN_CALLS:
            default = _keyword(value, "default")
            if default is None:
                server = _keyword(value, "server_default")
                if server is not None:
                    default, info.server_default = server, True
            if default is None and last in ("Field", "field") and value.args and value.args[0].keyword is None:
                first = value.args[0].value
                if not (isinstance(first, cst.Name) and first.value == "Ellipsis") and not isinstance(first, cst.Ellipsis):
                    default = first
            info.default = default
            if "Boolean" in last or "Bool" in last or any(_is_boolean_type(a.value) for a in value.args if a.keyword is None):
                info.boolean = True
            if last in ("Column", "mapped_column"):
                for arg in value.args:
                    if isinstance(arg.value, cst.Call) and (dotted(arg.value.func) or "").endswith("ForeignKey"):
                        info.relation = True
                        info.relation_target = (_literal_string(arg.value.args[0].value) or "").split(".", 1)[0] \
                            if arg.value.args else ""
        if last in ("FileField", "ImageField") or last.endswith(("ImageField", "FileField", "VideoField")) or last == "CloudinaryField":
            info.media = True
    elif value is not None and not isinstance(value, cst.Call):
        info.default = value
    return info


_literal_string = joined_string_value



_UNKNOWN = object()


def literal_value(node: Optional[cst.BaseExpression], constants: Mapping[str, Any], *,
                  boolean: bool = False, server_default: bool = False) -> Any:
    """The Python value of a default expression, or `_UNKNOWN`.

    Enum members and unresolved constant names give their last name in lower
    case (`Visibility.PUBLIC` -> "public"); `sa.true()` gives True; integers and
    server-default strings give booleans on Boolean columns.
    """
    if node is None:
        return _UNKNOWN
    if isinstance(node, cst.Name):
        if node.value in ("True", "False"):
            return node.value == "True"
        if node.value == "None":
            return None
        if node.value in constants:
            return constants[node.value]
        return node.value.lower() if is_constant_name(node.value) else _UNKNOWN
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = _literal_string(node)
        if text is None:
            return _UNKNOWN
        if server_default or boolean:
            lowered = text.strip().lower()
            if lowered in ("1", "true", "t", "yes", "y"):
                return True
            if lowered in ("0", "false", "f", "no", "n"):
                return False
        return text
    if isinstance(node, cst.Integer):
        try:
            number = int(node.value, 0)
        except ValueError:
            return _UNKNOWN
        if boolean and number in (0, 1):
            return bool(number)
        return number
    if isinstance(node, cst.Attribute):
        # Visibility.PUBLIC, Privacy.EVERYONE.value, choices.PUBLIC
        attr = node.attr.value
        if attr == "value" and isinstance(node.value, cst.Attribute):
            attr = node.value.attr.value
        return attr.lower()
    if isinstance(node, cst.Call):
        callee = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if callee == "true":
            return True
        if callee == "false":
            return False
        if callee in ("text", "literal", "literal_column") and node.args:
            return literal_value(node.args[0].value, constants, boolean=True, server_default=True)
        return _UNKNOWN
    return _UNKNOWN


def class_constants(node: cst.ClassDef) -> Dict[str, Any]:
    """Literal values of ALL_CAPS names assigned in a class body (choice constants)."""
    out: Dict[str, Any] = {}
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name) and is_constant_name(target.value):
                        value = literal_value(small.value, {})
                        if value is not _UNKNOWN:
                            out[target.value] = value
    return out


def module_constants(module: cst.Module) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if isinstance(target, cst.Name) and is_constant_name(target.value):
                        value = literal_value(small.value, {})
                        if value is not _UNKNOWN and isinstance(value, (str, bool, int)):
                            out[target.value] = value
    return out


UNKNOWN = _UNKNOWN


# -- the per-file analysis -------------------------------------------------------------


@dataclass
class _Frame:
    """A function (or view class) being walked."""

    kind: str  # "def" | "class"
    name: str
    qualname: str
    node: cst.CSTNode
    class_frame: Optional["_Frame"] = None
    handler: bool = False
    traits: Set[str] = field(default_factory=set)
    calls: List[str] = field(default_factory=list)
    creates: Set[str] = field(default_factory=set)
    stores: bool = False
    upload: str = ""  # how it receives uploads ("request.files", "UploadFile parameter"...)
    upload_names: Set[str] = field(default_factory=set)
    storage: str = ""  # a storage upload call in a handler (`put_object`)
    help_global: bool = False
    methods: List["_Frame"] = field(default_factory=list)
    is_view: bool = False
    view_kind: Optional[str] = None
    model: Optional[str] = None  # framework, for model classes
    report_mentions: Dict[str, int] = field(default_factory=dict)  # report classes named in it (COP408)
    report_created: Dict[str, int] = field(default_factory=dict)
    decides: bool = False  # sets a decision attribute on a report object
    report_attrs: Set[str] = field(default_factory=set)  # `post.reports`, `comment.flag_set`


class FeatureAnalysis(Analysis):
    """Records the facts the COP4xx rules join across the project."""

    # Any file may hold a helper on a path (a scanning hook, a block check);
    # the prefilter cannot know, so the analysis reads every file.
    prefilter = None

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = vocabulary_for(ctx.settings)
        self.module = module_name(ctx.path)
        self.package = ctx.path.replace("\\", "/").endswith("__init__.py")
        self.frames: List[_Frame] = []
        self.defs: List[_Frame] = []  # the "def" frames of `frames`, kept apart: asked about at every node
        self._name_facts = self.vocabulary._name_facts
        self.functions: List[_Frame] = []
        self.classes: Dict[str, _Frame] = {}
        self.local_functions: Set[str] = set()  # qualnames of functions defined here
        self._constants: Optional[Dict[str, Any]] = None

    # -- helpers ------------------------------------------------------------------
    def _innermost_def(self) -> Optional[_Frame]:
        return self.defs[-1] if self.defs else None

    def _add_trait(self, trait: str) -> None:
        """A trait belongs to every enclosing function, or to the class body it appears in."""
        if self.defs:
            for frame in self.defs:
                frame.traits.add(trait)
        elif self.frames:
            self.frames[-1].traits.add(trait)

    def _identifier(self, name: str) -> None:
        if not self.frames:
            return
        for trait in self.vocabulary.identifier_traits(name):
            self._add_trait(trait)

    def _is_request(self, node: cst.BaseExpression) -> bool:
        spelled = dotted(node)
        if spelled is None:
            return False
        return spelled in self.vocabulary.upload_receivers or spelled.endswith(".request")

    # -- classes ------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        v = self.vocabulary
        name = node.name.value
        qualname = ".".join([f.name for f in self.frames] + [name])
        frame = _Frame("class", name, qualname, node)
        framework = model_framework(node, self.ctx, v)
        frame.model = framework
        if framework is not None:
            self._record_model(node, framework)
        stem = v.view_words(name)
        if stem is not None and framework is None:
            frame.is_view = True
            frame.handler = True
            frame.view_kind = v._classify_handler(stem) if stem else None
            if frame.view_kind is None and stem and v._classify_class(stem) == "report":
                frame.view_kind = "report"
            if self._has_upload_parser(node):
                frame.upload = "a multipart parser"
        self.frames.append(frame)
        self.classes[qualname] = frame

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self.frames.pop()
        if frame.is_view and (frame.view_kind is not None or frame.upload):
            for method in frame.methods:
                frame.traits |= method.traits
                frame.calls.extend(c for c in method.calls if c not in frame.calls)
                frame.creates |= method.creates
                frame.stores = frame.stores or method.stores
            self.functions.append(frame)

    def _has_upload_parser(self, node: cst.ClassDef) -> bool:
        for field_info in class_fields(node):
            if field_info.name == "parser_classes" and field_info.value is not None:
                for element in _elements(field_info.value):
                    spelled = dotted(element) or ""
                    if spelled.rsplit(".", 1)[-1] in ("MultiPartParser", "FileUploadParser"):
                        return True
        return False

    def _record_model(self, node: cst.ClassDef, framework: str) -> None:
        v = self.vocabulary
        name = node.name.value
        kind = v.classify_class(name)
        fields = class_fields(node)
        field_names = [f.name for f in fields if not f.is_constant]
        media_fields = [f.name for f in fields if f.media]
        if kind == "report":
            name_words = words(name)
            qualified = any(w in v.report_qualifiers for w in name_words) or bool(v.targets(name_words))
            evidence = any(any(w in v.report_evidence for w in words(f)) for f in field_names)
            if not (qualified or evidence):
                kind = None
        constants = None
        for info in fields:
            if info.is_constant:
                continue
            if info.relation and v.is_block_relation(info.name):
                self.ctx.record(FACT_FIELD, info.target, role="block-relation", module=self.module,
                                model=name, name=info.name)
            elif v.profile_field(info.name):
                self.ctx.record(FACT_FIELD, info.target, role="profile", module=self.module,
                                model=name, name=info.name)
            if info.relation:
                self._report_relation(name, kind, info)
        is_media = kind == "media" or bool(media_fields)
        if is_media:
            for info in fields:
                if info.is_constant or info.default is None or not v.is_status_field(info.name):
                    continue
                if constants is None:
                    constants = {**self._module_constants(), **class_constants(node)}
                value = literal_value(info.default, constants, boolean=info.boolean, server_default=info.server_default)
                if value is not UNKNOWN and v.is_published(value):
                    self.ctx.record(FACT_FIELD, info.default, role="media-default", module=self.module,
                                    model=name, name=info.name, value=_show(value))
        if kind in ("messaging", "comments", "posts"):
            for info in fields:
                if info.is_constant or info.default is None:
                    continue
                if constants is None:
                    constants = {**self._module_constants(), **class_constants(node)}
                value = literal_value(info.default, constants, boolean=info.boolean, server_default=info.server_default)
                if value is not UNKNOWN and v.holds_content(info.name, value):
                    self.ctx.record(FACT_FIELD, info.target, role="content-held", module=self.module,
                                    model=name, name=info.name, value=_show(value))
        if kind is None:
            return
        self.ctx.record(
            FACT_MODEL, node.name, module=self.module, name=name, category=kind,
            framework=framework, targets=list(v.targets(words(name))) if kind == "report" else [],
            media_fields=media_fields,
            text_fields=[f for f in field_names if v.is_text_field(f)][:5],
        )

    def _report_relation(self, model: str, kind: Optional[str], info: FieldInfo) -> None:
        """Names under which report rows are reached from another object (COP408): `post.reports`.

        A report model's own `related_name=`/`backref=`, and another model's relation to a report class.
        """
        if kind == "report" and isinstance(info.value, cst.Call):
            for keyword in ("related_name", "backref", "related_query_name"):
                value = _keyword(info.value, keyword)
                if isinstance(value, cst.Call) and value.args:  # db.backref("reports", lazy=...)
                    value = value.args[0].value
                text = _literal_string(value)
                if text and text.isidentifier():
                    self.ctx.record(FACT_FIELD, info.target, role="report-relation", module=self.module,
                                    model=model, name=text)
        elif self.vocabulary.is_report_class(info.relation_target):
            self.ctx.record(FACT_FIELD, info.target, role="report-relation", module=self.module,
                            model=info.relation_target, name=info.name)

    def _module_constants(self) -> Dict[str, Any]:
        if self._constants is None:
            self._constants = module_constants(self.ctx.module)
        return self._constants

    # -- functions ----------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        v = self.vocabulary
        enclosing = self.frames[-1] if self.frames else None
        class_frame = enclosing if enclosing is not None and enclosing.kind == "class" else None
        qualname = ".".join([f.name for f in self.frames] + [node.name.value])
        frame = _Frame("def", node.name.value, qualname, node, class_frame=class_frame)
        self.local_functions.add(qualname)
        params = [p for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)]
        param_names = [p.name.value for p in params]
        frame.handler = self._is_handler(node, param_names, class_frame)
        for param in params:
            annotated = _annotation_names(param.annotation)
            default = param.default
            default_call = (dotted(default.func) or "") if isinstance(default, cst.Call) else ""
            if any(a.rsplit(".", 1)[-1] in ("UploadFile", "UploadedFile", "InMemoryUploadedFile") or a in v.upload_types
                   for a in annotated) or default_call.rsplit(".", 1)[-1] == "File":
                if not v.not_media_name(param.name.value):
                    frame.upload = frame.upload or f"the uploaded file parameter `{param.name.value}`"
                    frame.upload_names.add(param.name.value)
        if class_frame is not None and class_frame.is_view and class_frame.upload and node.name.value in v.view_methods:
            frame.upload = class_frame.upload
        self.frames.append(frame)
        self.defs.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self.frames.pop()
        self.defs.pop()
        owner = frame.class_frame
        if owner is not None:
            owner.methods.append(frame)
            if owner.is_view:
                # Mixins, permission classes and decorators on a view class guard every method.
                frame.traits |= owner.traits
                if owner.view_kind is not None or owner.upload:
                    return  # the view class is the handler: its methods are folded into it
        self.functions.append(frame)

    def _is_handler(self, node: cst.FunctionDef, param_names: Sequence[str], class_frame: Optional[_Frame]) -> bool:
        v = self.vocabulary
        first = [p for p in param_names if p not in ("self", "cls")][:1]
        if first and first[0] in v.request_params:
            return True
        if class_frame is not None and class_frame.is_view and node.name.value in v.view_methods:
            return True
        for decorator in node.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            spelled = dotted(expr) or ""
            if any(w in v.handler_decorator_words for w in words(spelled)):
                return True
        return False

    # -- expressions --------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        if self.frames:
            facts = self._name_facts.get(node.value)  # the vocabulary's cache, read here: asked of every name
            traits, report_class = facts if facts is not None else self.vocabulary.name_facts(node.value)
            for trait in traits:
                self._add_trait(trait)
            if report_class:
                self._report_mention(node)

    def _report_mention(self, node: cst.Name) -> None:
        """A report class named in a function, or in the body of a class that presents it to staff."""
        frame = self._innermost_def()
        if frame is not None:
            frame.report_mentions[node.value] = frame.report_mentions.get(node.value, 0) + 1
            return
        classes = [f for f in self.frames if f.kind == "class"]
        if not classes or any(f.model is not None for f in classes):
            return  # a relation to the report model from another model is not a use
        if any(any(w in self.vocabulary.presenter_words or w in self.vocabulary.filing_words for w in words(f.name))
               for f in classes):
            return  # a form, serializer, factory or create view: the filing side
        if classes[-1].name == node.value:
            return
        self.ctx.record(FACT_REPORT_USE, node, module=self.module, model=node.value, how="class",
                        name=".".join(f.name for f in classes))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        target = node.target
        frame = self._innermost_def()
        if frame is not None and isinstance(target, cst.Attribute) and isinstance(target.value, (cst.Name, cst.Attribute)):
            receiver = target.value.value if isinstance(target.value, cst.Name) else target.value.attr.value
            if self.vocabulary.is_decision(receiver, target.attr.value):
                frame.decides = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.frames:
            return
        attr = node.attr.value
        self._identifier(attr)
        frame = self._innermost_def()
        if frame is not None and self.vocabulary.names_report_container(attr):
            frame.report_attrs.add(attr)
        if frame is not None and attr in self.vocabulary.upload_attributes and self._is_request(node.value):
            frame.upload = frame.upload or f"{dotted(node.value)}.{attr}"

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if not self.frames:
            return
        text = _literal_string(node)
        if not text or len(text) > 80:
            return  # prose (docstrings, messages), not a name
        for trait in self.vocabulary.literal_traits(text):
            self._add_trait(trait)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # request.files["photo"]: a key that names a data import is not media.
        frame = self._innermost_def()
        if frame is None or not isinstance(node.value, cst.Attribute):
            return
        if node.value.attr.value in self.vocabulary.upload_attributes and self._is_request(node.value.value):
            key = _first_key(node)
            if key is not None:
                frame.upload_names.add(key)

    def visit_Call(self, node: cst.Call) -> None:
        if self._innermost_def() is None:
            self._admin_registration(node)
        if not self.frames:
            self._module_call(node)
            return
        v = self.vocabulary
        func = node.func
        spelled = dotted(func)
        func_kind = type(func)  # libcst's node classes are final: cheaper than isinstance
        last = func.attr.value if func_kind is cst.Attribute else (func.value if func_kind is cst.Name else None)
        for arg in node.args:
            if arg.keyword is not None:
                self._identifier(arg.keyword.value)
        if last is None:
            return
        frame = self._innermost_def()
        if v.is_scan_call(last) or (spelled is not None and spelled != last and v.is_scan_call(spelled)):
            self._add_trait(TRAIT_SCAN)
        if v.is_filter_call(last) or (spelled is not None and spelled != last and v.is_filter_call(spelled)):
            self._add_trait(TRAIT_FILTER)
        if frame is None:
            return
        # upload.get("photo") / request.files.get("photo")
        if func_kind is cst.Attribute and last in ("get", "getlist") and type(func.value) is cst.Attribute \
                and func.value.attr.value in v.upload_attributes and self._is_request(func.value.value) and node.args:
            key = _literal_string(node.args[0].value)
            if key is not None:
                frame.upload_names.add(key)
        if last in v.store_methods:
            frame.stores = True
        if last in v.storage_calls and frame.handler:
            frame.storage = frame.storage or last
        created = _created_class(func, last)
        if created is not None and v.classify_class(created) is not None:
            frame.creates.add(created)
            frame.stores = True
            if v.is_report_class(created):
                frame.report_created[created] = frame.report_created.get(created, 0) + 1
        callee = self._callee(func, spelled, last)
        if callee is not None and callee not in frame.calls and len(frame.calls) < MAX_CALLS:
            for outer in self.defs:
                if callee not in outer.calls and len(outer.calls) < MAX_CALLS:
                    outer.calls.append(callee)

    def _callee(self, func: cst.BaseExpression, spelled: Optional[str], last: str) -> Optional[str]:
        """How the project pass will look this call up; None for calls that cannot reach project code."""
        if spelled is None:
            if isinstance(func, cst.Attribute) and len(words(last)) >= 2:
                return "*." + last
            return None
        head = spelled.split(".", 1)[0]
        if head in ("self", "cls"):
            frame = self._innermost_def()
            class_frame = frame.class_frame if frame is not None else None
            if class_frame is not None and spelled.count(".") == 1:
                return f"~{class_frame.qualname}.{last}"
            return "*." + last if len(words(last)) >= 2 else None
        if self.ctx.imports.is_imported(head):
            resolved = self.ctx.imports.resolve(func) or spelled
            top = resolved.lstrip(".").split(".", 1)[0]
            if not resolved.startswith(".") and top in _EXTERNAL:
                return None
            return resolved
        if "." not in spelled:
            return "~" + spelled  # a function of this module, or a builtin (dropped in finish)
        if spelled.split(".", 1)[0][:1].isupper():
            return "~" + spelled  # Block.exists_between: a class of this module
        return "*." + last if len(words(last)) >= 2 else None

    def _admin_registration(self, node: cst.Call) -> None:
        """`admin.site.register(Report)`, `@admin.register(Flag)`, Flask-Admin `ModelView(Report, db.session)`."""
        last = (dotted(node.func) or "").rsplit(".", 1)[-1]
        if last not in self.vocabulary.admin_calls:
            return
        for arg in node.args:
            if arg.keyword is not None:
                continue
            for element in _elements(arg.value):
                model = (dotted(element) or "").rsplit(".", 1)[-1]
                if self.vocabulary.is_report_class(model):
                    self.ctx.record(FACT_REPORT_USE, element, module=self.module, model=model, how="admin",
                                    name=dotted(node.func) or last)

    def _module_call(self, node: cst.Call) -> None:
        """Help put into every template: `env.globals.update(helpline=...)`."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Attribute) \
                and func.value.attr.value == "globals":
            if any(arg.keyword is not None and self.vocabulary.is_help(arg.keyword.value) for arg in node.args):
                self.ctx.record(FACT_HELP, node, role="global", module=self.module, name="template globals")

    # -- module-level statements: help settings and template globals ---------------
    def visit_Assign(self, node: cst.Assign) -> None:
        v = self.vocabulary
        inside_def = self._innermost_def() is not None
        for target in node.targets:
            expr = target.target
            if isinstance(expr, cst.Name) and not inside_def and v.is_help(expr.value):
                self.ctx.record(FACT_HELP, expr, role="setting", module=self.module, name=expr.value)
            elif isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) \
                    and expr.value.attr.value == "globals":
                key = _first_key(expr)
                if key is not None and v.is_help(key):
                    self.ctx.record(FACT_HELP, expr, role="global", module=self.module, name=key)
        if not inside_def and isinstance(node.value, cst.Dict):
            for element in node.value.elements:
                if isinstance(element, cst.DictElement):
                    key = _literal_string(element.key)
                    if key is not None and " " not in key and v.is_help(key):
                        self.ctx.record(FACT_HELP, element.key, role="setting", module=self.module, name=key)
            self._context_processors(node.value)

    def _context_processors(self, value: cst.Dict) -> None:
        """Django TEMPLATES options: a context processor named for help puts it in every page."""
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = _literal_string(element.key)
            if key == "context_processors":
                for item in _elements(element.value):
                    text = _literal_string(item)
                    if text is not None and self.vocabulary.is_help(text):
                        self.ctx.record(FACT_HELP, item, role="global", module=self.module, name=text)
            elif isinstance(element.value, cst.Dict):
                self._context_processors(element.value)

    def visit_List(self, node: cst.List) -> None:
        # TEMPLATES = [{..., "OPTIONS": {"context_processors": [...]}}]
        if self._innermost_def() is None:
            for element in node.elements:
                if isinstance(element.value, cst.Dict):
                    self._context_processors(element.value)

    # -- results ----------------------------------------------------------------------
    def finish(self) -> None:
        defined = self.local_functions | set(self.classes)
        for frame in self.functions:
            calls = []
            for callee in frame.calls:
                if callee.startswith("~"):
                    local = callee[1:]
                    if local in defined or local.rsplit(".", 1)[0] in self.classes:
                        calls.append(f"{self.module}.{local}" if self.module else local)
                    continue
                calls.append(callee)
            frame.calls = calls
        for frame in self.functions:
            if frame.kind == "def" and self._is_context_processor(frame) and TRAIT_HELP in frame.traits:
                self.ctx.record(FACT_HELP, frame.node.name, role="global", module=self.module, name=frame.qualname)
            self._record_function(frame)

    def _is_context_processor(self, frame: _Frame) -> bool:
        node = frame.node
        if not isinstance(node, cst.FunctionDef):
            return False
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if any(w == "processor" for w in words(dotted(expr) or "")):
                return True
        return "context_processors" in self.ctx.path.replace("\\", "/")

    def _excluded_context(self, frame: _Frame) -> bool:
        """Email, notifications, logging, staff admin: not something users do to each other."""
        context = set(words(self.ctx.path.replace("\\", "/").rsplit(".", 1)[0])) | set(words(frame.qualname))
        return bool(context & self.vocabulary.context_exclude)

    def _record_function(self, frame: _Frame) -> None:
        v = self.vocabulary
        if frame.kind == "class":
            named = frame.view_kind
        else:
            named = v.classify_handler(frame.name)
        creates = sorted(frame.creates)
        created_kinds = sorted({v.classify_class(c) for c in creates} - {None})
        upload = ""
        if frame.upload and frame.stores and not _all_not_media(v, frame.upload_names):
            upload = frame.upload
        elif frame.storage:
            upload = f"a storage upload ({frame.storage})"
        if (named or created_kinds or upload) and self._excluded_context(frame):
            named, created_kinds, upload = None, [], ""
        interesting = bool(named) or (frame.handler and bool(created_kinds)) or bool(upload)
        data = dict(
            module=self.module,
            name=frame.qualname,
            traits=sorted(frame.traits),
            calls=list(frame.calls),
        )
        # COP408: report classes the function reads (named more often than it constructs them),
        # and whether it records a decision on a report or is named for handling reports.
        reads = sorted(n for n, count in frame.report_mentions.items() if count > frame.report_created.get(n, 0))
        if not v.files_reports(frame.qualname):
            if reads:
                data["report_reads"] = reads
            if frame.report_attrs:
                data["report_attrs"] = sorted(frame.report_attrs)[:20]
        if frame.decides:
            data["report_decides"] = True
        if v.handles_reports(frame.qualname):
            data["report_handler"] = True
        if interesting:
            anchor = frame.node.name if isinstance(frame.node, (cst.FunctionDef, cst.ClassDef)) else frame.node
            self.ctx.record(
                FACT_FUNC, anchor, **data, named=named or "", handler=frame.handler, creates=creates,
                created_kinds=created_kinds, upload=upload, view=frame.kind == "class",
            )
        elif frame.traits or frame.calls or any(k.startswith("report_") for k in data):
            self.ctx.record(FACT_SUMMARY, _NOWHERE, **data)


# Top-level packages that are never the project's own code: calls into them are not recorded.
_EXTERNAL = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset({
    "django", "flask", "sqlalchemy", "rest_framework", "fastapi", "starlette", "pydantic", "celery",
    "requests", "httpx", "boto3", "botocore", "numpy", "pandas", "jinja2", "werkzeug", "flask_login",
    "flask_sqlalchemy", "sentry_sdk", "PIL", "click", "pytest", "typing_extensions", "attr", "attrs",
    "libcst", "yaml", "redis", "kombu", "dateutil", "pytz", "six", "markupsafe", "itsdangerous",
    "logging", "os", "sys", "re", "json", "typing", "datetime", "uuid", "hashlib", "functools",
})


def _elements(node: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return [element.value for element in node.elements]
    return [node]


def _first_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _literal_string(node.slice[0].slice.value)


def _created_class(func: cst.BaseExpression, last: str) -> Optional[str]:
    """`Message` for `Message(...)`, `Message.objects.create(...)`, `models.Message(...)`."""
    if last[:1].isupper() and not is_constant_name(last):
        return last
    if last in ("create", "get_or_create", "update_or_create", "bulk_create", "new") and isinstance(func, cst.Attribute):
        receiver = func.value
        if isinstance(receiver, cst.Attribute) and receiver.attr.value == "objects":
            receiver = receiver.value
        name = receiver.attr.value if isinstance(receiver, cst.Attribute) else (
            receiver.value if isinstance(receiver, cst.Name) else None
        )
        if name and name[:1].isupper() and not is_constant_name(name):
            return name
    return None


def _all_not_media(vocabulary: FeatureVocabulary, names: Set[str]) -> bool:
    return bool(names) and all(vocabulary.not_media_name(n) for n in names)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return repr(value)
