"""COP4xx: safety features a project with user-to-user features must have.

Almost every rule here is about what a project lacks, so it is a project
rule: it runs over the facts of the whole scanned tree, with `copguard check`
only. The flake8 plugin sees one file at a time and runs per-file rules only,
so it never reports these. COP407 (report reasons with none for a child's
safety) is the exception: a reason list is whole in the file that declares it,
so it is a per-file rule and runs in flake8 too.

The facts come from `analysis/features.py`: user-to-user features (models and
handlers for messaging, comments, posts, friend requests, follows, invites,
public profiles, media uploads), report and block mechanisms, help settings,
upload handlers, and the traits and calls of every function so that paths can
be followed across files. Tests (`tests/`, `test_*.py`, `conftest.py`) are left
out: a report model in a test does not protect anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

from ..analysis.features import (
    FACT_FIELD,
    FACT_FUNC,
    FACT_HELP,
    FACT_MODEL,
    FACT_REPORT_USE,
    FACT_SUMMARY,
    TRAIT_BLOCK,
    TRAIT_FILTER,
    TRAIT_HELP,
    TRAIT_SCAN,
    FeatureAnalysis,
    FeatureVocabulary,
    vocabulary_for,
    words,
)
from ..analysis.flow import absolute_callee
from ..analysis.report_reasons import ReasonList, find_reason_lists, reason_vocabulary
from ..findings import Confidence, Fact, Severity
from ..rule import ProjectFinding, ProjectRule, Rule

# `tasks.notify.delay(...)`: a Celery-style call runs the function it is an attribute of.
_INVOCATION_SUFFIXES = ("delay", "apply_async", "s", "si", "send", "spawn", "defer", "enqueue", "run", "__call__")
_PERSISTENT = ("django", "sqlalchemy", "document", "model", "sqlmodel")
MAX_DEPTH = 6


def is_test_path(path: str) -> bool:
    """Test code: a report model or an upload helper in a test protects nobody."""
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        any(part in ("tests", "test", "testing", "testutils", "test_utils") for part in parts[:-1])
        or name.startswith("test") or name.endswith("_test.py") or name in ("conftest.py", "factories.py")
    )


@dataclass
class Function:
    """A function (or view class) of the project, from a features.func or features.summary fact."""

    full: str
    module: str
    package: bool
    traits: Set[str]
    calls: Tuple[str, ...]
    fact: Optional[Fact] = None  # located facts only


@dataclass(frozen=True)
class Item:
    """A feature or mechanism definition, for anchoring findings and naming things in messages."""

    kind: str
    name: str
    what: str  # "model" | "field" | "handler" | "view"
    fact: Fact
    rank: int = 0
    fit: Tuple[int, int] = (0, 0)  # how plainly the name says the kind (`Message` before `MessageThread`)

    def shown(self) -> str:
        suffix = "()" if self.what == "handler" else ""
        return f"{self.name}{suffix}"

    def where(self) -> str:
        return f"{self.shown()} in {self.fact.path}"


@dataclass
class SafetyIndex:
    """The project's features, mechanisms and call graph, joined once for all COP4xx rules."""

    vocabulary: FeatureVocabulary
    features: List[Item] = field(default_factory=list)
    reports: List[Item] = field(default_factory=list)
    blocks: List[Item] = field(default_factory=list)
    help_settings: List[Fact] = field(default_factory=list)
    help_global: List[Fact] = field(default_factory=list)
    media_defaults: List[Fact] = field(default_factory=list)
    content_held: List[Fact] = field(default_factory=list)
    functions: Dict[str, Function] = field(default_factory=dict)
    located: List[Function] = field(default_factory=list)
    models: Dict[str, Fact] = field(default_factory=dict)
    _by_last: Dict[str, List[str]] = field(default_factory=dict)
    _traits: Dict[str, Set[str]] = field(default_factory=dict)
    _callers: Optional[Dict[str, Set[str]]] = None

    # -- building -----------------------------------------------------------------
    @classmethod
    def of(cls, project) -> "SafetyIndex":
        cached = getattr(project, "_cop4_index", None)
        if cached is not None:
            return cached
        index = cls(vocabulary_for(project.settings))
        index._build(project)
        project._cop4_index = index
        return index

    def _build(self, project) -> None:
        v = self.vocabulary
        order = {category.kind: number for number, category in enumerate(v.features)}
        for fact in project.facts(FACT_MODEL):
            if is_test_path(fact.path):
                continue
            name, category = fact.get("name"), fact.get("category")
            self.models.setdefault(name, fact)
            rank = 0 if fact.get("framework") in _PERSISTENT else 1
            if category == "report":
                self.reports.append(Item("report", name, "model", fact, rank))
            elif category == "block":
                self.blocks.append(Item("block", name, "model", fact, rank))
            elif category == "media":
                continue  # media models are not a feature by themselves; an upload handler makes one
            elif category in order:
                fit = v.features[order[category]].noun_rank(words(name))
                self.features.append(Item(category, name, "model", fact, rank, fit))
        for fact in project.facts(FACT_FIELD):
            if is_test_path(fact.path):
                continue
            shown = f"{fact.get('model')}.{fact.get('name')}"
            role = fact.get("role")
            if role == "block-relation":
                self.blocks.append(Item("block", shown, "field", fact, 2))
            elif role == "profile":
                self.features.append(Item("profiles", shown, "field", fact, 2))
            elif role == "media-default":
                self.media_defaults.append(fact)
            elif role == "content-held":
                self.content_held.append(fact)
        block_models = {item.name for item in self.blocks if item.what == "model"}
        self.blocks = [i for i in self.blocks if not (i.what == "field" and i.fact.get("model") in block_models)]
        for fact in project.facts(FACT_HELP):
            if is_test_path(fact.path):
                continue
            (self.help_global if fact.get("role") == "global" else self.help_settings).append(fact)
        for kind in (FACT_FUNC, FACT_SUMMARY):
            for fact in project.facts(kind):
                if is_test_path(fact.path):
                    continue
                module = fact.get("module") or ""
                full = f"{module}.{fact.get('name')}" if module else fact.get("name")
                function = Function(
                    full, module, fact.path.replace("\\", "/").endswith("__init__.py"),
                    set(fact.get("traits") or ()), tuple(fact.get("calls") or ()),
                    fact if kind == FACT_FUNC else None,
                )
                self.functions.setdefault(full, function)
                self._by_last.setdefault(full.rsplit(".", 1)[-1], []).append(full)
                if function.fact is not None:
                    self.located.append(function)
                    self._handler_item(function, order)

    def _handler_item(self, function: Function, order: Dict[str, int]) -> None:
        fact = function.fact
        named = fact.get("named") or ""
        short = fact.get("name")
        what = "view" if fact.get("view") else "handler"
        entry = bool(fact.get("handler")) or bool(fact.get("view"))
        created = self.created_kinds(fact)
        # `report_user`, `block_member`: a helper named for what it does to a person, not a bare `block()`.
        about_person = any(w in self.vocabulary.person_words or w in ("sender", "contact", "friend", "author")
                           for w in words(short.rsplit(".", 1)[-1]))
        if named == "report" and (entry or "report" in created or about_person or self.vocabulary.targets(
                words(short.rsplit(".", 1)[-1]))):
            self.reports.append(Item("report", short, what, fact, 3))
        elif named == "block" and (entry or "block" in created or about_person):
            self.blocks.append(Item("block", short, what, fact, 3))
        elif named in order and (entry or named in created or (named == "media" and fact.get("upload"))):
            self.features.append(Item(named, short, what, fact, 3))
        elif entry and "report" in created:
            self.reports.append(Item("report", short, what, fact, 3))
        if fact.get("upload") and named != "media":
            self.features.append(Item("media", short, what, fact, 3))

    def created_kinds(self, fact: Fact) -> Set[str]:
        """Kinds of the project models a function creates (`Message(...)` where Message is a model here)."""
        out: Set[str] = set()
        for name in fact.get("creates") or ():
            model = self.models.get(name)
            if model is not None:
                out.add(model.get("category"))
        return out

    # -- paths ----------------------------------------------------------------------
    def resolve(self, callee: str, function: Function) -> Optional[str]:
        if callee.startswith("*."):
            candidates = self._by_last.get(callee[2:], [])
            return candidates[0] if len(set(candidates)) == 1 else None
        target = absolute_callee(callee, function.module, function.package) if callee.startswith(".") else callee
        found = self._lookup(target)
        if found is None and "." in target and target.rsplit(".", 1)[1] in _INVOCATION_SUFFIXES:
            found = self._lookup(target.rsplit(".", 1)[0])
        return found

    def _lookup(self, target: str) -> Optional[str]:
        if target in self.functions:
            return target
        last = target.rsplit(".", 1)[-1]
        matches = {
            name for name in self._by_last.get(last, ())
            if name.endswith("." + target) or target.endswith("." + name)
        }
        return matches.pop() if len(matches) == 1 else None

    def path_traits(self, full: str) -> Set[str]:
        """Traits of a function and of everything it calls, transitively."""
        cached = self._traits.get(full)
        if cached is not None:
            return cached
        out: Set[str] = set()
        stack = [(full, 0)]
        seen = {full}
        while stack:
            name, depth = stack.pop()
            function = self.functions.get(name)
            if function is None:
                continue
            out |= function.traits
            if depth >= MAX_DEPTH:
                continue
            for callee in function.calls:
                target = self.resolve(callee, function)
                if target is not None and target not in seen:
                    seen.add(target)
                    stack.append((target, depth + 1))
        self._traits[full] = out
        return out

    def callers(self, full: str) -> Set[str]:
        if self._callers is None:
            callers: Dict[str, Set[str]] = {}
            for name, function in self.functions.items():
                for callee in function.calls:
                    target = self.resolve(callee, function)
                    if target is not None and target != name:
                        callers.setdefault(target, set()).add(name)
            self._callers = callers
        return self._callers.get(full, set())

    def guarded(self, full: str, trait: str, depth: int = 0) -> bool:
        """The trait is on the function's path, or on the path of every one of its callers."""
        if trait in self.path_traits(full):
            return True
        if depth >= 2:
            return False
        callers = self.callers(full)
        return bool(callers) and all(self.guarded(caller, trait, depth + 1) for caller in callers)

    def unguarded(self, candidates: Sequence[Function], trait: str) -> List[Function]:
        """Candidates lacking the trait, without those whose caller is itself reported."""
        failing = [c for c in candidates if not self.guarded(c.full, trait)]
        names = {c.full for c in failing}
        return [c for c in failing if not (self.callers(c.full) & names)]

    # -- shared views ------------------------------------------------------------------
    def primary(self, kinds: Iterable[str]) -> List[Item]:
        """One item per kind, the best anchor first (persistent models before handlers)."""
        order = {category.kind: number for number, category in enumerate(self.vocabulary.features)}
        wanted = set(kinds)
        items = sorted(
            (i for i in self.features if i.kind in wanted),
            key=lambda i: (order.get(i.kind, 99), i.rank, i.fit, i.fact.path, i.fact.line, i.fact.column),
        )
        out: List[Item] = []
        seen: Set[str] = set()
        for item in items:
            if item.kind not in seen:
                seen.add(item.kind)
                out.append(item)
        return out

    def needing(self, mechanism: str, contact_only: bool = False) -> List[Item]:
        kinds = [
            c.kind for c in self.vocabulary.features
            if mechanism in c.needs and (c.contact or not contact_only)
        ]
        return self.primary(kinds)


def _label(vocabulary: FeatureVocabulary, kind: str) -> str:
    category = vocabulary.category(kind)
    return category.label if category else kind


def _item(vocabulary: FeatureVocabulary, kind: str) -> str:
    category = vocabulary.category(kind)
    return category.item if category and category.item else kind


def _verb_phrase(vocabulary: FeatureVocabulary, kind: str) -> str:
    category = vocabulary.category(kind)
    return category.verb_phrase if category else ""


def _names(items: Sequence[Item], limit: int = 3) -> str:
    shown = [item.shown() for item in items[:limit]]
    text = ", ".join(shown)
    if len(items) > limit:
        text += f" (+{len(items) - limit} more)"
    return text


def _others(vocabulary: FeatureVocabulary, items: Sequence[Item]) -> str:
    if not items:
        return ""
    parts = [f"{_label(vocabulary, item.kind)} ({item.shown()})" for item in items[:4]]
    return "; the same goes for " + ", ".join(parts)


class SafetyRule(ProjectRule):
    """Base of the COP4xx rules: all read one SafetyIndex built from FeatureAnalysis facts."""

    requires = (FeatureAnalysis,)

    def check(self, project) -> Iterable[ProjectFinding]:
        return self.findings(SafetyIndex.of(project))

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:  # pragma: no cover - abstract
        raise NotImplementedError


class NoReportMechanism(SafetyRule):
    """A user-to-user feature with no way to report it.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Fires once, on the first feature found (messaging first, persistent models
    before handlers), when the project has messaging, comments, posts, friend
    requests, follows or public profiles and no report mechanism at all: no
    Report/Flag/AbuseReport model (a bare `Report` needs a reporter or reason
    field) and no report_*/flag_* handler. When every report mechanism is
    about one feature only (`CommentReport`, `report_message`), each feature
    kind left out gets its own finding.
    """

    code = "COP401"
    name = "user-interaction-without-report"
    summary = "Users can reach each other (messages, comments, posts, profiles) but cannot report abuse"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-3.3", "ITU-COP-FC.4", "UK-AADC-15", "DSA-28.GL-MODERATION", "CA-AADC-A10")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        v = index.vocabulary
        features = index.needing("report")
        if not features:
            return
        if not index.reports:
            first, rest = features[0], features[1:]
            yield ProjectFinding.at(first.fact, (
                f"{first.shown()} ({_label(v, first.kind)}) {_verb_phrase(v, first.kind)}, but the project has "
                f"no way to report a user or content: no Report or Flag model and no report or flag handler"
                f"{_others(v, rest)}. A child who is bullied, groomed or sent sexual content must be able to "
                f"report it where it happens: add a report model and a report handler reachable from every "
                f"{_item(v, first.kind)} and profile, with reasons that include grooming and sexual content, "
                f"and a moderation queue that acts on reports"
            ))
            return
        if any(not item.fact.get("targets") and not v.targets(words(item.name)) for item in index.reports):
            return  # a general report (of a user or of any content) covers every feature
        covered: Set[str] = set()
        for item in index.reports:
            covered.update(item.fact.get("targets") or ())
            covered.update(v.targets(words(item.name)))
        for item in features:
            if item.kind in covered:
                continue
            yield ProjectFinding.at(item.fact, (
                f"{item.shown()} ({_label(v, item.kind)}) {_verb_phrase(v, item.kind)}, but the project's "
                f"reporting ({_names(index.reports)}) covers only "
                f"{', '.join(sorted(_label(v, k) for k in covered))}. A child must be able to report abuse in "
                f"{_label(v, item.kind)} too: add a report handler for it, or a general report of a user or "
                f"any content"
            ))


class NoBlockMechanism(SafetyRule):
    """A user-to-user contact feature with no way to block the other user.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Fires once, on the first feature that lets users reach each other
    (messaging, comments, posts, friend requests, follows), when the project
    has no block mechanism: no Block/BlockedUser/UserMute model, no `blocked_users`-style
    relation field, and no block_user/mute/unblock handler.
    """

    code = "COP402"
    name = "user-interaction-without-block"
    summary = "Users can contact each other but cannot block someone"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-3.1", "ITU-COP-FC.4", "DSA-28.GL-CONTACT", "KH-COP-2.2")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        v = index.vocabulary
        if index.blocks:
            return
        features = index.needing("block")
        if not features:
            return
        first, rest = features[0], features[1:]
        yield ProjectFinding.at(first.fact, (
            f"{first.shown()} ({_label(v, first.kind)}) {_verb_phrase(v, first.kind)}, but the project has no "
            f"way for a user to block another: no Block model, no blocked-users relation and no block or mute "
            f"handler{_others(v, rest)}. A child must be able to stop someone who harasses or grooms them from "
            f"contacting them again: add a block relation with block and unblock handlers, and check it on "
            f"every path that lets one user reach another"
        ))


class SendIgnoresBlock(SafetyRule):
    """A send or contact path that never consults the project's block relation.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Only when the project has a block mechanism. Send paths are handlers named
    for a contact feature (send_message, post_comment, add_friend, follow,
    invite_user, start_conversation) and request handlers that create a
    contact feature's model. A path is guarded when the handler, a helper it
    calls (in any file), or every one of its callers mentions the block
    relation (`Block.exists_between`, `user.blocked_users`, `is_blocking`).
    Helpers called by a reported handler are not reported again.
    """

    code = "COP403"
    name = "contact-ignores-block"
    summary = "A message, comment, friend request or invite is delivered without checking blocks"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("KH-COP-3.1", "KH-COP-2.2", "DSA-28.GL-CONTACT", "ITU-COP-FC.3")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        v = index.vocabulary
        if not index.blocks:
            return
        contact = {c.kind for c in v.features if c.contact}
        candidates: List[Function] = []
        for function in index.located:
            fact = function.fact
            named = fact.get("named") or ""
            if named in ("report", "block"):
                continue
            created = index.created_kinds(fact) & contact
            entry = bool(fact.get("handler")) or bool(fact.get("view"))
            if (named in contact and (entry or created)) or (entry and created):
                candidates.append(function)
        block_names = _names(index.blocks, 2)
        for function in index.unguarded(candidates, TRAIT_BLOCK):
            fact = function.fact
            kind = fact.get("named") if fact.get("named") in contact else sorted(index.created_kinds(fact) & contact)[0]
            created = [c for c in fact.get("creates") or () if c in index.models]
            what = f"creates a {created[0]}" if created else f"sends a {_item(v, kind)}"
            yield ProjectFinding.at(fact, (
                f"{fact.get('name')}() {what} for another user but never checks the block relation "
                f"({block_names}), neither itself nor in a helper it calls: someone the child blocked can still "
                f"reach them this way. Check the block relation in both directions before delivering "
                f"(for example `Block.exists_between(sender, recipient)`), here or in a helper this handler calls"
            ))


class UploadWithoutScanning(SafetyRule):
    """A user media upload stored or published with no scanning or moderation hook on its path.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Upload handlers read `request.FILES`, Flask `request.files`, FastAPI
    `UploadFile` parameters or a DRF multipart parser, or put objects into
    storage from a request handler, and store something. The path is
    scanned when the handler, a helper it calls (in any file) or every caller
    calls a scanning or moderation hook (scan, hash matching, PhotoDNA/PDQ,
    classifiers, moderation, quarantine) or puts the media in a review state
    (`"pending_review"`); project-specific hooks go in
    `[tool.copguard.safety] scan-hooks`. Also reports a media model whose
    status defaults to published when no scanning hook exists anywhere.
    """

    code = "COP404"
    name = "upload-without-csam-scan"
    summary = "User media is stored or published without CSAM scanning or moderation"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    # ITU Feature A (storage and hosting): its checklist asks hosts to keep CSAM off their storage.
    clauses = ("KH-COP-1.2", "KH-COP-1.3", "ITU-COP-KA2", "ITU-COP-FC.5", "ITU-COP-FA")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        uploads = [f for f in index.located if f.fact.get("upload")]
        for function in index.unguarded(uploads, TRAIT_SCAN):
            fact = function.fact
            yield ProjectFinding.at(fact, (
                f"{fact.get('name')}() stores a user upload (from {fact.get('upload')}) with no scanning or "
                f"moderation step on its path: no hash matching against known child sexual abuse material, no "
                f"classifier, no quarantine or review state. Whatever is uploaded can reach other users, children "
                f"included. Hash-match uploads (PhotoDNA, PDQ or a provider's API) and hold them in quarantine or "
                f"for review before publishing; name your own hook in `[tool.copguard.safety] scan-hooks` if "
                f"copguard does not recognise it"
            ))
        if not index.media_defaults:
            return
        if any(TRAIT_SCAN in function.traits for function in index.functions.values()):
            return
        for fact in index.media_defaults:
            yield ProjectFinding.at(fact, (
                f"{fact.get('model')}.{fact.get('name')} defaults to {fact.get('value')}: every upload is shown "
                f"to other users the moment it is saved, and no scanning or moderation hook exists anywhere in "
                f"the project. Default to a held state (\"quarantined\" or \"pending_review\") and publish only "
                f"after a hash-matching scan or a moderator's review"
            ))


class ReportWithoutHelp(SafetyRule):
    """A report flow that never points the reporter to help.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Report flows are request handlers and views named for reporting or
    flagging (`report_user`, `flag_abuse`, `ReportViewSet`). A flow points to help when it, a helper it calls, or every
    caller mentions a helpline, hotline, authority contact or help page
    (`CHILD_HELPLINE`, `url_for("safety.help_page")`), or when help is put into
    every template (a context processor or template global naming a helpline).
    Project-specific names go in `[tool.copguard.safety] help-resources`.
    """

    code = "COP405"
    name = "report-without-help-route"
    summary = "A report flow never points the child to a helpline or other help"
    severity = Severity.MEDIUM
    confidence = Confidence.LOW
    clauses = ("KH-COP-3.4", "ITU-COP-KA4", "ITU-COP-FC.6")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        if index.help_global:
            return
        # Flows named for reporting: a moderator's action that records a flag (`perform_delete`)
        # is not someone asking for help.
        flows = [f for f in index.located if f.fact.get("named") == "report"
                 and (f.fact.get("handler") or f.fact.get("view"))]
        setting = ""
        if index.help_settings:
            first = index.help_settings[0]
            setting = f" ({first.get('name')} is configured in {first.path} but not used on this path)"
        for function in index.unguarded(flows, TRAIT_HELP):
            fact = function.fact
            yield ProjectFinding.at(fact, (
                f"{fact.get('name')}() takes a report but never points the reporter to help{setting}: no "
                f"helpline, authority contact or help page on its path and none in every page. A child reporting "
                f"abuse may be in danger now: show a child helpline and how to reach the authorities on the "
                f"report form and its confirmation, for example from a CHILD_HELPLINE setting"
            ))


# Features whose items are text one user writes for others to read.
_WRITTEN = ("messaging", "comments", "posts")


class PublishedWithoutFilter(SafetyRule):
    """User-written messages, comments or posts delivered with no filter or moderation step.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    Publish paths are request handlers and views that create a message,
    comment or post model of the project, or are named for sending or posting
    one. A path is filtered when the handler, a helper it calls (in any file)
    or every one of its callers checks the text (a word filter, `censor`,
    a toxicity classifier, a moderation API, any COP404 moderation hook) or
    puts it in an approval state (`is_approved`, `"pending_review"`), or when
    the model itself holds new items (`is_approved = BooleanField(default=False)`).
    Reporting after the fact (COP401) is not a filter: it needs a child to
    have seen the content first. Spam checks are not counted either.

    When no filter exists anywhere in the project, one finding per feature
    (messages, comments, posts) names the other paths; when some publish paths
    are filtered, each path that bypasses the filter is reported. A filter that
    exists but is on no publish path copguard can follow (a pipeline loaded
    from settings, a signal handler) silences the rule: out of sight is not absent.
    """

    code = "COP406"
    name = "user-content-without-filter"
    summary = "Messages, comments or posts reach other users with no content filter or moderation step"
    severity = Severity.MEDIUM
    confidence = Confidence.LOW
    clauses = ("KH-COP-3.2", "ITU-COP-FC.5", "DSA-28.GL-MODERATION")

    def findings(self, index: SafetyIndex) -> Iterable[ProjectFinding]:
        held_models = {fact.get("model") for fact in index.content_held}
        candidates: List[Function] = []
        for function in index.located:
            fact = function.fact
            named = fact.get("named") or ""
            if named in ("report", "block") or not (fact.get("handler") or fact.get("view")):
                continue
            models = [index.models[c] for c in fact.get("creates") or () if c in index.models]
            # A Conversation or ChatRoom with no text field is a container, not something a user wrote.
            written = [m.get("name") for m in models if m.get("category") in _WRITTEN and m.get("text_fields")]
            if written and all(c in held_models for c in written):
                continue  # the model holds every new item for approval
            if written or (named in _WRITTEN and not any(m.get("category") in _WRITTEN for m in models)):
                candidates.append(function)
        if not candidates:
            return
        failing = [c for c in index.unguarded(candidates, TRAIT_FILTER) if not index.guarded(c.full, TRAIT_SCAN)]
        if not failing:
            return
        anywhere = any(
            TRAIT_FILTER in f.traits or TRAIT_SCAN in f.traits for f in index.functions.values()
        ) or bool(held_models)
        if anywhere:
            # A filter exists. Paths that bypass it are reported only when copguard can see it on
            # another publish path; a filter it cannot reach from any (a pipeline loaded from
            # settings, a signal handler) may well be on these paths too.
            reported = {f.full for f in failing}
            if any(c.full not in reported and not (index.callers(c.full) & reported) for c in candidates):
                for function in failing:
                    yield ProjectFinding.at(function.fact, self._message(index, function, [], bypass=True))
            return
        by_kind: Dict[str, List[Function]] = {}
        for function in failing:
            by_kind.setdefault(self._kind(index, function), []).append(function)
        for kind in _WRITTEN:
            group = by_kind.get(kind)
            if group:
                yield ProjectFinding.at(group[0].fact, self._message(index, group[0], group[1:], bypass=False))

    @staticmethod
    def _kind(index: SafetyIndex, function: Function) -> str:
        # What it creates says more than its name (`reply()` creating a Message is messaging).
        kinds = sorted(
            {index.models[c].get("category") for c in function.fact.get("creates") or ()
             if c in index.models and index.models[c].get("text_fields")} & set(_WRITTEN),
            key=_WRITTEN.index,
        )
        named = function.fact.get("named") or ""
        return kinds[0] if kinds else (named if named in _WRITTEN else "posts")

    def _message(self, index: SafetyIndex, function: Function, others: Sequence[Function], bypass: bool) -> str:
        v = index.vocabulary
        fact = function.fact
        kind = self._kind(index, function)
        created = [c for c in fact.get("creates") or () if c in index.models
                   and index.models[c].get("category") in _WRITTEN and index.models[c].get("text_fields")]
        what = f"creates a {created[0]}" if created else f"publishes a {_item(v, kind)}"
        also = ""
        if others:
            shown = ", ".join(f"{o.fact.get('name')}()" for o in others[:3])
            more = f" (+{len(others) - 3} more)" if len(others) > 3 else ""
            also = f"; so do {shown}{more}"
        if bypass:
            lead = (f"{fact.get('name')}() {what} that other users will read, but neither it nor a helper it "
                    f"calls filters the text or holds it for approval, although the project filters other paths")
        else:
            lead = (f"{fact.get('name')}() {what} that other users will read, and the project has no content "
                    f"filter or moderation step for {_label(v, kind)} at all: no word filter, classifier or "
                    f"moderation API, no approval state{also}")
        return (
            f"{lead}. Sexual messages, grooming and bullying reach a child before anyone can report them: "
            f"check the text before it is delivered (a word or image filter, a toxicity classifier or a "
            f"moderation API) and hold what it flags for a moderator, here or in a helper this handler calls"
        )


class ReportReasonsMissChildSafety(Rule):
    """A list of report reasons with abuse reasons but none for a child's safety.

    Per-file rule: runs with `copguard check` and in the flake8 plugin. What
    makes a list a list of report reasons is in `analysis/report_reasons.py`:
    where it lives (a reason field of a Report/Flag/Complaint class, or a name
    like `REPORT_REASONS`) and what it holds (two or more entries, one naming a
    harm such as spam, harassment or hate). It is reported when no entry is
    about child sexual abuse or exploitation, grooming or a child in danger,
    in the words of the value, the label or the enum member.
    """

    code = "COP407"
    name = "report-reasons-miss-child-safety"
    summary = "Report reasons (spam, harassment...) include none for child sexual abuse, grooming or a child in danger"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    # KH-COP-2.1's signal: "report-reason enum/choices include child sexual exploitation and grooming".
    clauses = ("KH-COP-2.1", "KH-COP-3.3", "DSA-28.GL-MODERATION")
    prefilter = ("report", "flag", "complaint", "abuse")

    def finish(self) -> None:
        if is_test_path(self.ctx.path):
            return
        vocabulary = reason_vocabulary()
        for reasons in find_reason_lists(self.ctx.module, vocabulary):
            if reasons.missing_child_safety(vocabulary):
                self.report(reasons.node, self._message(reasons))

    @staticmethod
    def _message(reasons: ReasonList) -> str:
        shown = ", ".join(_short(s) for s in reasons.shown[:6] if s) or "numbered entries"
        if len(reasons.shown) > 6:
            shown += f" (+{len(reasons.shown) - 6} more)"
        owner = reasons.name.split(".", 1)[0]
        where = reasons.name if not reasons.holder or reasons.holder == owner else \
            f"{reasons.name} (used by {reasons.holder})"
        return (
            f"{where} lists the reasons a user can give when reporting ({shown}), but none is about a child's "
            f"safety: no reason for child sexual abuse or exploitation, grooming (an adult asking a child for "
            f"photos or to meet) or a child in danger. A child, or an adult who sees it, has to file the most "
            f"urgent reports under spam or \"other\", where they wait in the ordinary queue. Add a reason such as "
            f"(\"child_safety\", \"A child is being groomed, sexually exploited or is in danger\") and send those "
            f"reports to urgent review"
        )


def _short(entry: str) -> str:
    """An entry as the message shows it: a label's first words (`Spam | Exists only to...` -> `Spam`)."""
    text = entry.split("|", 1)[0].strip()
    return text if len(text) <= 32 else text[:29].rstrip() + "..."


_ABSTRACT = ("abstract", "base", "mixin")


class ReportsNeverHandled(SafetyRule):
    """A report model that users file into and nothing ever reads back or acts on.

    Project rule (the whole scanned tree; `copguard check` only, not flake8).
    A stored report model (Django, SQLAlchemy, SQLModel, documents; not a
    request schema) counts as handled when, outside tests, any of these exist:
    it is registered with an admin site (`admin.site.register`,
    `@admin.register`, Flask-Admin `ModelView`) or named in the body of a view
    or admin class that is not a form, serializer or create view; a function
    names it more often than it constructs it (a query, `get_object_or_404`,
    a type annotation), or reaches its rows through a relation
    (`post.reports`, `comment.flag_set`), and does not file reports itself;
    a function sets a decision on a report object (`report.status = ...`, `flag.resolved_at`);
    or a function or view is named for handling reports (`resolve_report`,
    `report_queue`, `DeleteReport`). Otherwise reports are written and never
    seen, and the rule fires on the model.
    """

    code = "COP408"
    name = "reports-never-handled"
    summary = "User reports are stored, but no moderation view, admin or task ever reads or resolves them"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-6", "CA-AADC-A9", "DSA-28.GL-MODERATION", "KH-COP-3.3")

    def check(self, project) -> Iterable[ProjectFinding]:
        index = SafetyIndex.of(project)
        models: Dict[str, Item] = {}
        for item in index.reports:
            if item.what != "model" or item.fact.get("framework") not in _PERSISTENT:
                continue
            if any(w in _ABSTRACT for w in words(item.name)):
                continue
            models.setdefault(item.name, item)
        if not models:
            return
        handled: Set[str] = set()
        for fact in project.facts(FACT_REPORT_USE):
            if not is_test_path(fact.path):
                handled.add(fact.get("model"))
        # `post.reports`, `comment.flag_set`: report rows reached through a relation.
        reached_as: Dict[str, str] = {f"{name.lower()}_set": name for name in models}
        for fact in project.facts(FACT_FIELD):
            if fact.get("role") == "report-relation" and fact.get("model") in models and not is_test_path(fact.path):
                reached_as[fact.get("name")] = fact.get("model")
        any_decision = False
        for kind in (FACT_FUNC, FACT_SUMMARY):
            for fact in project.facts(kind):
                if is_test_path(fact.path):
                    continue
                creates = set(fact.get("creates") or ())
                if creates & set(models):
                    continue  # the filing path: a duplicate check there is not moderation
                handled.update(fact.get("report_reads") or ())
                handled.update(reached_as[a] for a in fact.get("report_attrs") or () if a in reached_as)
                if fact.get("report_decides") or fact.get("report_handler"):
                    any_decision = True
        if any_decision:
            return  # staff act on report objects somewhere: copguard cannot tell which model they are
        for name, item in sorted(models.items(), key=lambda kv: (kv[1].fact.path, kv[1].fact.line)):
            if name in handled:
                continue
            yield ProjectFinding.at(item.fact, (
                f"{name} in {item.fact.path} stores users' reports, but no code reads them back or acts on them: "
                f"it is not registered with an admin site, no view, task or command queries it apart from the "
                f"code that files reports, and nothing sets a report's status or is named for resolving one. A "
                f"child who reports grooming or bullying is told it was received while nobody ever sees it, and "
                f"the account goes on. Give moderators a queue of open reports (a Django admin registration, or a "
                f"staff-only view listing them) with actions that resolve a report, hide the content or suspend "
                f"the account, and let the reporter know the outcome"
            ))


SAFETY_RULES = (
    NoReportMechanism, NoBlockMechanism, SendIgnoresBlock, UploadWithoutScanning, ReportWithoutHelp,
    PublishedWithoutFilter, ReportReasonsMissChildSafety, ReportsNeverHandled,
)
