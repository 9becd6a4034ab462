"""COP5xx: protective defaults and precise geolocation.

Per-file rules (they run in the flake8 plugin too):

* COP501: a privacy setting whose default is the permissive value (public
  profile, discoverable, messages from everyone, online status shown,
  personalised ads) in Django, SQLAlchemy, Pydantic, SQLModel, attrs and
  dataclass models, DRF serializers, settings dicts and constants.
* COP502: location sharing switched on by default, in the same places.
* COP503: precise coordinates from a request stored, or a user's IP address
  looked up for a city or coordinates (geoip2, GeoIP2, ipinfo, maxminddb),
  with no opt-in check in the function.
* COP508: a user-facing toggle (form, serializer, Django or Pydantic model
  field) that switches on a data use, with no help text and no label saying
  who gets the data or what is done with it.

The vocabulary of settings, their permissive values and the words of an
opt-in check are data (`data/features.toml`). Settings are matched by all the
words of their name, so `default=True` on `is_active`, `email_notifications`
or `dark_mode` never matches: only names the vocabulary lists as privacy
settings do. Generic names (`is_public`, `visibility`, `private`) count only
on classes, dicts and constants named for a person or their settings
(`UserSettings`, `Profile`, `DEFAULT_USER_PREFERENCES`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..literals import string_value
from ..analysis.features import (
    UNKNOWN,
    FeatureVocabulary,
    FieldInfo,
    SettingSpec,
    class_constants,
    class_fields,
    contains_phrase,
    is_constant_name,
    literal_value,
    model_framework,
    module_constants,
    vocabulary_for,
    words,
)
from ..findings import Confidence, Severity
from ..imports import dotted
from ..rule import Analysis, Rule

_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "TextChoices", "IntegerChoices", "Choices"})


@dataclass(frozen=True)
class DefaultHit:
    spec: SettingSpec
    node: cst.CSTNode  # the default value
    owner: str  # class, dict or "" (module constant)
    name: str
    value: Any
    shown: str = ""  # how the default is spelled, when that says more than its value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return repr(value)


_string = string_value



class PrivacyDefaults(Analysis):
    """Finds settings whose default is a permissive value (shared by COP501 and COP502)."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary: FeatureVocabulary = vocabulary_for(ctx.settings)
        self.hits: List[DefaultHit] = []
        self._depth = 0  # functions entered
        self._classes: List[str] = []
        self._constants: Optional[Dict[str, Any]] = None
        self._default_functions: List[bool] = []
        self.ticked: List[TickedBox] = []  # COP506
        self._nudge = _nudge_names(self.vocabulary)

    def constants(self) -> Dict[str, Any]:
        if self._constants is None:
            self._constants = module_constants(self.ctx.module)
        return self._constants

    # -- classes ----------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)
        if self._depth:
            return
        if any((dotted(base.value) or "").rsplit(".", 1)[-1] in _ENUM_BASES for base in node.bases):
            return
        v = self.vocabulary
        framework = model_framework(node, self.ctx, v)
        person = v.is_person_name(node.name.value)
        if framework is None and _is_form_class(node):
            self._form_fields(node, person)
        constants: Optional[Dict[str, Any]] = None
        for info in class_fields(node):
            if info.is_constant and framework is not None:
                continue  # choice constants of a model, not fields
            if isinstance(info.value, cst.Dict):
                self._dict(info.value, info.name, person or v.is_person_name(info.name))
                continue
            if info.default is None:
                continue
            spec = v.setting(info.name, person)
            if spec is None:
                continue
            if constants is None:
                constants = {**self.constants(), **class_constants(node)}
            value = literal_value(info.default, constants, boolean=info.boolean, server_default=info.server_default)
            if value is UNKNOWN or _choice_constant(info.name, value, info.is_constant):
                continue
            if spec.is_permissive(value):
                self.hits.append(DefaultHit(spec, info.default, node.name.value, info.name, value))
            elif isinstance(value, int) and not isinstance(value, bool):
                # default=LIMIT_INVITES_TO_NONE (= 0): the constant's name says what the number means.
                alias = _constant_alias(info.default)
                if alias is not None and spec.is_permissive(alias):
                    spelled = dotted(info.default) or alias
                    self.hits.append(DefaultHit(spec, info.default, node.name.value, info.name, alias, spelled))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    # -- module constants and settings dicts -----------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1
        self._default_functions.append(any(w in ("default", "defaults", "initial") for w in words(node.name.value)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1
        self._default_functions.pop()

    def visit_Return(self, node: cst.Return) -> None:
        # def default_privacy_settings(): return {"profile_public": True, ...}
        if self._default_functions and self._default_functions[-1] and isinstance(node.value, cst.Dict):
            self._dict(node.value, "", True)

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            self._form_initial(node.value)
        if self._depth or self._classes:
            return  # class bodies are read as a whole in visit_ClassDef
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._module_value(target.target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._depth or self._classes or node.value is None:
            return
        if isinstance(node.target, cst.Name):
            self._module_value(node.target.value, node.value)

    def _module_value(self, name: str, value: cst.BaseExpression) -> None:
        v = self.vocabulary
        person = v.is_person_name(name)
        if isinstance(value, cst.Dict):
            self._dict(value, name, person)
            return
        spec = v.setting(name, person)
        if spec is None:
            return
        literal = literal_value(value, self.constants())
        if literal is UNKNOWN or isinstance(value, cst.Name) and not value.value in ("True", "False"):
            return
        if _choice_constant(name, literal, is_constant_name(name)):
            return
        if spec.is_permissive(literal):
            self.hits.append(DefaultHit(spec, value, "", name, literal))

    def _dict(self, node: cst.Dict, owner: str, person: bool) -> None:
        v = self.vocabulary
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = _string(element.key)
            if key is None:
                continue
            if isinstance(element.value, cst.Dict):
                self._dict(element.value, f"{owner}[{key!r}]" if owner else key, person or v.is_person_name(key))
                continue
            spec = v.setting(key, person)
            if spec is None:
                continue
            literal = literal_value(element.value, self.constants())
            if literal is UNKNOWN or isinstance(element.value, (cst.Attribute, cst.Name)) and \
                    not (isinstance(element.value, cst.Name) and element.value.value in ("True", "False")):
                continue  # a value read from elsewhere, not a default written here
            if spec.is_permissive(literal):
                self.hits.append(DefaultHit(spec, element.value, owner, key, literal))


    # -- COP506: boxes ticked in advance ------------------------------------------------------
    def _form_fields(self, node: cst.ClassDef, person: bool) -> None:
        """`newsletter = forms.BooleanField(initial=True)`, `agree = BooleanField(default=True)` (WTForms)."""
        for info in class_fields(node):
            if info.is_constant or not isinstance(info.value, cst.Call):
                continue
            call = info.value
            initial = _keyword(call, "initial")
            if initial is not None:
                self._ticked(initial, node.name.value, info.name, person, "initial")
                continue
            # WTForms: `default=` is what the box shows. Settings named in [[setting]] are
            # already reported as defaults (COP501, COP502, COP504, COP505); consent boxes are not.
            default = _keyword(call, "default")
            if default is not None and (info.call or "").rsplit(".", 1)[-1] == "BooleanField" \
                    and self.vocabulary.setting(info.name, person) is None:
                self._ticked(default, node.name.value, info.name, person, "default")

    def _form_initial(self, call: cst.Call) -> None:
        """`SignupForm(initial={"newsletter": True})`, `form.initial = ...` is not read."""
        callee = (dotted(call.func) or "").rsplit(".", 1)[-1]
        if not callee.endswith("Form"):
            return
        initial = _keyword(call, "initial")
        if not isinstance(initial, cst.Dict):
            return
        person = self.vocabulary.is_person_name(callee)
        for element in initial.elements:
            if isinstance(element, cst.DictElement):
                key = _string(element.key)
                if key is not None:
                    self._ticked(element.value, callee, key, person, "initial")

    def _ticked(self, node: cst.BaseExpression, owner: str, name: str, person: bool, how: str) -> None:
        if isinstance(node, (cst.Name, cst.Attribute)) and not (
            isinstance(node, cst.Name) and node.value in ("True", "False")
        ):
            return  # read from elsewhere: not written here
        value = literal_value(node, {})
        if value is UNKNOWN:
            return
        spec = self.vocabulary.setting(name, person)
        if spec is not None:
            if spec.is_permissive(value):
                self.ticked.append(TickedBox(node, owner, name, f"{how}={_show(value)}", f"switches on {spec.label}"))
            return
        if value is True and frozenset(_nudge_words(self.vocabulary, name)) in self._nudge:
            self.ticked.append(TickedBox(node, owner, name, f"{how}=True", f"agrees to '{name}'"))


@dataclass(frozen=True)
class TickedBox:
    """A form checkbox ticked in advance (COP506)."""

    node: cst.CSTNode  # the initial value
    owner: str  # the form class
    name: str
    how: str  # "initial=True"
    what: str  # "switches on a public profile", "agrees to 'newsletter'"


def _is_form_class(node: cst.ClassDef) -> bool:
    for base in node.bases:
        last = (dotted(base.value) or "").rsplit(".", 1)[-1]
        if last.endswith("Form") and not last.endswith("Platform"):
            return True
    return False


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _nudge_words(vocabulary: FeatureVocabulary, name: str) -> Tuple[str, ...]:
    fillers = frozenset(vocabulary.nudge.get("fillers", ()))
    w = words(name)
    kept = tuple(x for x in w if x not in fillers)
    return kept or w


_NUDGE_CACHE: Dict[int, frozenset] = {}


def _nudge_names(vocabulary: FeatureVocabulary) -> frozenset:
    """Consent, marketing and data-sharing box names, as word sets without fillers."""
    found = _NUDGE_CACHE.get(id(vocabulary))
    if found is None:
        found = frozenset(frozenset(_nudge_words(vocabulary, n)) for n in vocabulary.nudge.get("names", ()))
        _NUDGE_CACHE[id(vocabulary)] = found
    return found


def _constant_alias(node: cst.BaseExpression) -> Optional[str]:
    """The last word of a constant's name (`LIMIT_INVITES_TO_NONE` -> "none"), for numeric choices."""
    name = node.value if isinstance(node, cst.Name) else (node.attr.value if isinstance(node, cst.Attribute) else None)
    if name is None or not is_constant_name(name):
        return None
    parts = words(name)
    return parts[-1] if parts else None


def _choice_constant(name: str, value: Any, constant: bool) -> bool:
    """`PUBLIC = "public"`, `PROFILE_PUBLIC = "public"`: a choice's name, not a default."""
    return constant and isinstance(value, str) and value.strip().lower() in words(name)


class DefaultsRule(Rule):
    """Base of COP501, COP502, COP504 and COP505: report the PrivacyDefaults hits of one rule."""

    requires = (PrivacyDefaults,)

    def finish(self) -> None:
        for hit in self.ctx.analysis(PrivacyDefaults).hits:
            if hit.spec.rule == self.code:
                self.report(hit.node, self.message(hit))

    def message(self, hit: DefaultHit) -> str:
        where = _where(hit)
        return (
            f"{where} defaults to {hit.shown or _show(hit.value)}: every new account, a child's included, starts with "
            f"{hit.spec.label}, so {hit.spec.risk}. Children's settings must start at the most protective "
            f"value: default to {hit.spec.protective} and let the user (or a parent, for a young child) "
            f"switch it on"
        )


def _where(hit: DefaultHit) -> str:
    if hit.owner and not hit.owner.endswith("]"):
        return f"{hit.owner}.{hit.name}"
    return f"{hit.owner}[{hit.name!r}]" if hit.owner else hit.name


def _prefilter_words(rule: str) -> Tuple[str, ...]:
    vocabulary = vocabulary_for(None)
    out: Set[str] = set()
    for spec in vocabulary.settings:
        if spec.rule == rule:
            for name in spec.names:
                out.update(name)
    return tuple(sorted(w for w in out if len(w) > 2))


class PermissivePrivacyDefault(DefaultsRule):
    """A privacy setting that defaults to its permissive value.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP501"
    name = "permissive-privacy-default"
    summary = "A privacy setting (public profile, contact from everyone, online status, ads, camera) defaults to on"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-7", "CA-AADC-A6", "DSA-28.GL-DEFAULTS", "KH-COP-2.2", "ITU-COP-FC.2", "DSA-28.1", "UK-AADC-14")
    prefilter = _prefilter_words("COP501")


class LocationOnByDefault(DefaultsRule):
    """Location sharing that is on by default.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP502"
    name = "location-sharing-on-by-default"
    summary = "Location sharing or tracking is switched on by default"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    clauses = ("UK-AADC-10", "CA-AADC-B5", "DSA-28.GL-DEFAULTS", "ITU-COP-FC.2", "COPPA-312.2.PI-GEO", "DSA-28.1")
    prefilter = _prefilter_words("COP502")


def _on_for_every_account(hit: DefaultHit, rule: str, instead: str) -> str:
    """The message of a feature on by default: what, for whom, why it matters, the fix."""
    return (
        f"{_where(hit)} defaults to {hit.shown or _show(hit.value)}: every new account, a child's included, "
        f"starts with {hit.spec.label}, so {hit.spec.risk}. {rule}: default to {hit.spec.protective} and {instead}"
    )


class EngagementOnByDefault(DefaultsRule):
    """A feature built to keep a child on the service, switched on for every new account.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP504"
    name = "engagement-feature-on-by-default"
    summary = "A feature that drives compulsive use (autoplay, endless feed, streaks, push, read receipts) defaults to on"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("DSA-28.GL-ENGAGEMENT", "UK-AADC-5", "CA-AADC-B1")
    prefilter = _prefilter_words("COP504")

    def message(self, hit: DefaultHit) -> str:
        return _on_for_every_account(
            hit, "Features designed to keep children using the service must start switched off",
            "let the user (or a parent, for a young child) switch it on",
        )


class ProfiledRecommendationsByDefault(DefaultsRule):
    """Recommendations or a feed based on profiling, switched on for every new account.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP505"
    name = "profiled-recommendations-by-default"
    summary = "Recommendations or a feed based on profiling are on by default, with no non-profiled default"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("DSA-28.GL-RECSYS", "UK-AADC-12", "CA-AADC-B2", "ITU-COP-FD")
    prefilter = _prefilter_words("COP505")

    def message(self, hit: DefaultHit) -> str:
        return _on_for_every_account(
            hit, "Profiling must be off by default for children, and a feed not based on profiling must be on offer",
            "let the user switch personalisation on",
        )


class PreTickedBox(Rule):
    """A consent, marketing or sharing box, or a privacy setting's box, ticked in advance in a form.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP506"
    name = "pre-ticked-consent-or-sharing-box"
    summary = "A form box that gives consent, signs up for marketing or loosens a protection is ticked in advance"
    severity = Severity.MEDIUM
    confidence = Confidence.HIGH
    clauses = ("UK-AADC-13", "CA-AADC-B7", "DSA-28.GL-ENGAGEMENT", "GDPR-8.1")
    prefilter = ("initial", "default")
    requires = (PrivacyDefaults,)

    def finish(self) -> None:
        for box in self.ctx.analysis(PrivacyDefaults).ticked:
            self.report(box.node, (
                f"{box.owner}.{box.name} is ticked in advance ({box.how}): a child who clicks through "
                f"{box.what} without choosing it. A pre-ticked box steers children into giving consent or data, "
                f"or loosening their own protection, and is not a valid consent: leave it unticked so that "
                f"ticking it is the child's (or a parent's) own choice"
            ))


# -- COP507: a parent watches a child, and the child is not told ---------------------------


class _Watching:
    """The monitoring vocabulary (`[monitoring]` of features.toml), read once."""

    def __init__(self, vocabulary: FeatureVocabulary) -> None:
        m = vocabulary.monitoring
        self.guardian = frozenset(m.get("guardian-words", ()))
        self.child = frozenset(m.get("child-words", ()))
        self.structure = frozenset(m.get("structure-words", ()))
        self.control = frozenset(m.get("control-words", ()))
        self.data: Tuple[Tuple[str, frozenset], ...] = tuple(
            (kind, frozenset(found)) for kind, found in m.get("data", {}).items()
        )
        indicator = m.get("indicator", {})
        self.indicator_words = frozenset(indicator.get("words", ()))
        self.indicator_phrases = tuple(w for w in (words(p) for p in indicator.get("phrases", ())) if w)
        self.pattern = re.compile("|".join(sorted(self.guardian)) or "(?!)")

    def is_guardian(self, w: Tuple[str, ...]) -> bool:
        return any(x in self.guardian for x in w) and not any(x in self.structure for x in w)

    def is_indicator(self, w: Tuple[str, ...]) -> bool:
        return any(x in self.indicator_words for x in w) or any(contains_phrase(w, p) for p in self.indicator_phrases)


_WATCHING: Dict[int, _Watching] = {}


@dataclass
class _Watch:
    node: cst.FunctionDef
    guardian: bool
    reads: Dict[str, str] = field(default_factory=dict)  # kind -> the identifier that read it
    indicator: bool = False


class ParentalMonitoring(Analysis):
    """Functions where a parent or guardian reads a child's messages, location or activity.

    A function is a guardian's view when a guardian word is in its own name, its
    class's or a decorator's (`parent_child_messages`, `GuardianDashboardView`,
    `@guardian_required`). It reads what it watches when one statement names
    both the child and the data (`Message.objects.filter(sender=child)`,
    `child.location`). Tree words (`parent_node`, `child_pages`) count for
    neither, and setting words (`chat_enabled`) make a control, not a read.
    """

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        vocabulary = vocabulary_for(ctx.settings)
        words_ = _WATCHING.get(id(vocabulary))
        if words_ is None:
            words_ = _WATCHING[id(vocabulary)] = _Watching(vocabulary)
        self.w = words_
        self.active = bool(self.w.pattern.search(ctx.source_lower))
        self.findings: List[Tuple[cst.FunctionDef, Dict[str, str]]] = []
        self._classes: List[str] = []
        self._functions: List[_Watch] = []
        self._statements: List[List[Tuple[str, ...]]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.active:
            return
        names = [node.name.value, *self._classes[-1:]]
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            names.append(dotted(expr) or "")
        guardian = any(self.w.is_guardian(words(n)) for n in names)
        self._functions.append(_Watch(node, guardian))
        # The function's name and parameters are a statement of their own:
        # `def parent_child_messages(request, child_id)`.
        params = (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)
        self._statements.append([words(node.name.value), *(words(p.name.value) for p in params)])
        self._end_statement()

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if not self.active:
            return
        watch = self._functions.pop()
        if watch.guardian and watch.reads and not watch.indicator:
            self.findings.append((watch.node, watch.reads))

    # Statements: identifiers are gathered per simple statement or compound header.
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._open()

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._close()

    # A compound statement's header (`for message in child.messages.all():`); its body's
    # statements open their own.
    def _open(self) -> None:
        if self.active and self._functions:
            self._statements.append([])

    def _close(self) -> None:
        if self.active and self._functions and self._statements:
            self._end_statement()

    def visit_If(self, node: cst.If) -> None:
        self._open()

    def leave_If(self, original_node: cst.If) -> None:
        self._close()

    def visit_For(self, node: cst.For) -> None:
        self._open()

    def leave_For(self, original_node: cst.For) -> None:
        self._close()

    def visit_While(self, node: cst.While) -> None:
        self._open()

    def leave_While(self, original_node: cst.While) -> None:
        self._close()

    def visit_With(self, node: cst.With) -> None:
        self._open()

    def leave_With(self, original_node: cst.With) -> None:
        self._close()

    def visit_Name(self, node: cst.Name) -> None:
        if self.active and self._statements:
            self._statements[-1].append(words(node.value))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.active and self._statements:
            text = _string(node)
            if text and len(text) <= 200:
                self._statements[-1].append(words(text))

    def _end_statement(self) -> None:
        found = self._statements.pop()
        if not self._functions:
            return
        watch = self._functions[-1]
        if not watch.guardian:
            return
        w = self.w
        child = False
        reads: Dict[str, str] = {}
        for identifier in found:
            if w.is_indicator(identifier):
                watch.indicator = True
            if any(x in w.structure for x in identifier):
                continue
            if any(x in w.child for x in identifier):
                child = True
            if any(x in w.control for x in identifier):
                continue
            for kind, vocabulary in w.data:
                if kind not in reads and any(x in vocabulary for x in identifier):
                    reads[kind] = "_".join(identifier)
        if child:
            for kind, example in reads.items():
                watch.reads.setdefault(kind, example)


class ParentalMonitoringWithoutSignal(Rule):
    """A parent or guardian can watch a child's messages, location or activity, and the child is not told.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP507"
    name = "parental-monitoring-without-signal"
    summary = "A parent's view reads a child's messages, location or activity with no notice to the child"
    severity = Severity.MEDIUM
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-11", "CA-AADC-A8", "DSA-28.GL-PARENTAL", "ITU-COP-FC.6", "CA-AADC-B6")
    prefilter = ("parent", "guardian", "carer", "caregiver")
    requires = (ParentalMonitoring,)

    def finish(self) -> None:
        order = ("messages", "location", "activity")
        for node, reads in self.ctx.analysis(ParentalMonitoring).findings:
            kinds = [k for k in order if k in reads] + [k for k in reads if k not in order]
            shown = ", ".join(f"{k} ({reads[k]})" for k in kinds)
            self.report(node.name, (
                f"{node.name.value}() lets a parent or guardian see a child's {shown}, and nothing in it tells "
                f"the child. A child must be able to tell when a parent is watching their messages, location or "
                f"activity: notify the child (or show an indicator in their app) while a parent is watching, and "
                f"keep a log of it the child can see"
            ))


# -- COP508: a data-use toggle with no just-in-time explanation -----------------------------


def _stem(word: str) -> str:
    """`sharing`, `shared`, `shares` -> `shar`: enough to tell a label from its field's name."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> Set[str]:
    return {_stem(w) for w in words(text)}


class _Explaining:
    """The `[explanation]` vocabulary of features.toml, read once."""

    def __init__(self, vocabulary: FeatureVocabulary) -> None:
        e = vocabulary.explanation
        self.data_uses: Dict[str, str] = dict(e.get("data-uses", {}))
        text = e.get("text", {})
        self.help_keywords = frozenset(text.get("help-keywords", ()))
        self.label_keywords = frozenset(text.get("label-keywords", ()))
        self.explaining = frozenset(_stem(w) for w in (*text.get("audience-words", ()), *text.get("effect-words", ())))
        self.fillers = frozenset(_stem(w) for w in text.get("fillers", ()))
        self.toggle_calls = tuple(text.get("toggle-calls", ()))
        self.staff = frozenset(text.get("staff-words", ()))
        self.not_person = frozenset(text.get("not-person-words", ()))
        self.description_modules = tuple(text.get("description-modules", ()))
        self.person_words = vocabulary.person_words

    def is_person_owner(self, name: str) -> bool:
        """`UserSettings`, `PrivacyForm`, `ChildProfile`; not a bare `Setting` or `Preferences` row."""
        return any(w in self.person_words and w not in self.not_person for w in words(name))

    def is_staff(self, name: str) -> bool:
        return any(w in self.staff for w in words(name))

    def says_more(self, text: str, name: str) -> bool:
        """Words beyond the setting's own name and fillers: a help text that explains something."""
        return bool(_stems(text) - _stems(name) - self.fillers)

    def label_explains(self, text: str, name: str) -> bool:
        """A label explains when it says who gets the data or what is done with it."""
        return bool((_stems(text) - _stems(name) - self.fillers) & self.explaining)


_EXPLAINING: Dict[int, _Explaining] = {}

_TRANSLATIONS = frozenset({
    "_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "lazy_gettext", "_l", "l_", "N_", "pgettext",
    "pgettext_lazy", "lazy_pgettext", "format_html", "mark_safe", "Markup", "str",
})
_UNREAD = object()  # a text copguard cannot read (a variable, a call): assumed to explain


def _text(node: Optional[cst.BaseExpression]) -> Any:
    """The literal text of a label or help text, `_UNREAD`, or None when there is none."""
    if node is None:
        return None
    if isinstance(node, cst.SimpleString):
        text = _string(node)
        return _UNREAD if text is None else text
    if isinstance(node, cst.ConcatenatedString):
        left, right = _text(node.left), _text(node.right)
        return left + right if isinstance(left, str) and isinstance(right, str) else _UNREAD
    if isinstance(node, cst.Name) and node.value == "None":
        return None
    if isinstance(node, cst.Call):
        callee = (dotted(node.func) or "").rsplit(".", 1)[-1]
        positional = [a.value for a in node.args if a.keyword is None]
        if callee in _TRANSLATIONS and positional:
            return _text(positional[1] if callee.startswith(("pgettext", "lazy_pgettext")) and len(positional) > 1
                         else positional[0])
    return _UNREAD


@dataclass(frozen=True)
class Unexplained:
    """A data-use toggle declared with nothing that explains it (COP508)."""

    node: cst.CSTNode  # the field's name
    owner: str
    name: str
    spec: SettingSpec
    kind: str  # "form field", "serializer field", "model field", "schema field"
    keyword: str  # where the explanation belongs: help_text, description, Field(description=...)
    label: Optional[str]  # the label as written, when there is one


@dataclass
class _Toggles:
    """One class whose fields a user sees: its toggles and what explains them."""

    node: cst.ClassDef
    kind: str
    keyword: str
    found: Dict[str, Tuple[FieldInfo, SettingSpec, Optional[str]]] = field(default_factory=dict)


class ToggleExplanations(Analysis):
    """Boolean settings that switch on a data use, in forms, serializers, Django models and Pydantic
    models, with neither a help text nor a label that says who gets the data or what is done with it.

    A help text anywhere the field's own code puts one counts: the field's keywords, a
    form's or serializer's `Meta.help_texts` / `Meta.extra_kwargs`, `self.fields[name].help_text = ...`
    in the class, or a model form in the same file that gives the model field one. Text that
    is not a literal is assumed to explain. Templates are not read.
    """

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.vocabulary = vocabulary_for(ctx.settings)
        e = _EXPLAINING.get(id(self.vocabulary))
        if e is None:
            e = _EXPLAINING[id(self.vocabulary)] = _Explaining(self.vocabulary)
        self.e = e
        parts = ctx.path.replace("\\", "/").split("/")
        self.active = bool(e.data_uses) and not any(e.is_staff(p.rsplit(".", 1)[0]) for p in parts)
        self.hits: List[Unexplained] = []
        # (class, field) that a form's Meta or `self.fields[...]` explains
        self.explained_elsewhere: Set[Tuple[str, str]] = set()
        self._classes: List[Optional[_Toggles]] = []
        self._names: List[str] = []
        self._django = any(value.startswith("django.") for value in ctx.imports.bindings.values())
        self._depth = 0

    # -- classes -------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        toggles = self._toggles(node) if self.active and not self._depth else None
        self._classes.append(toggles)
        self._names.append(node.name.value)
        if self.active and node.name.value == "Meta" and len(self._names) > 1:
            self._meta(node, self._names[-2])

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._names.pop()
        toggles = self._classes.pop()
        if toggles is None:
            return
        for name, (info, spec, label) in toggles.found.items():
            self.hits.append(Unexplained(info.target, toggles.node.name.value, name, spec, toggles.kind,
                                         toggles.keyword, label))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        """`self.fields["share_location"].help_text = _("...")` in a form's `__init__`."""
        if not self.active or not self._depth or not self._names:
            return
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value in self.e.help_keywords | self.e.label_keywords \
                    and isinstance(t.value, cst.Subscript):
                key = _subscript_key(t.value)
                if key is None:
                    continue
                text = _text(node.value)
                if text is _UNREAD or isinstance(text, str) and (
                    self.e.says_more(text, key) if t.attr.value in self.e.help_keywords
                    else self.e.label_explains(text, key)
                ):
                    self.explained_elsewhere.add((self._names[-1], key))

    def is_explained(self, hit: "Unexplained") -> bool:
        """Explained by the class's own Meta or `__init__`, or, for a model field, by a model form
        or serializer of the same file."""
        if hit.kind == "model field":
            return any(name == hit.name for _, name in self.explained_elsewhere)
        return (hit.owner, hit.name) in self.explained_elsewhere

    def _kind(self, node: cst.ClassDef) -> Optional[Tuple[str, str]]:
        """(what the class's fields are, the keyword that explains one), for classes a user sees."""
        bases = [(dotted(b.value) or "") for b in node.bases]
        resolved = [self.ctx.imports.resolve(b.value) or spelled for b, spelled in zip(node.bases, bases)]
        lasts = [b.rsplit(".", 1)[-1] for b in bases]
        described = any(r.lstrip(".").startswith(self.e.description_modules) for r in resolved)
        if _is_form_class(node):
            return ("form field", "description" if described else "help_text")
        if any(last.endswith("Serializer") for last in lasts):
            return ("serializer field", "help_text")
        if any(last == "BaseSettings" for last in lasts):
            return None  # environment configuration, not a user's
        framework = model_framework(node, self.ctx, self.vocabulary)
        if framework == "django" or framework == "model" and self._django:
            return ("model field", "help_text")  # a project's own base model (`TimestampedModel`)
        if framework in ("pydantic", "sqlmodel"):
            return ("schema field", "Field(description=...)")
        return None

    def _toggles(self, node: cst.ClassDef) -> Optional[_Toggles]:
        if any((dotted(base.value) or "").rsplit(".", 1)[-1] in _ENUM_BASES for base in node.bases):
            return None
        if self.e.is_staff(node.name.value):
            return None
        kind = self._kind(node)
        if kind is None:
            return None
        toggles = _Toggles(node, *kind)
        person = self.e.is_person_owner(node.name.value)
        annotations = _annotations(node)
        for info in class_fields(node):
            if info.is_constant:
                continue
            spec = self.vocabulary.setting(info.name, person)
            if spec is None or spec.id not in self.e.data_uses or True not in spec.permissive:
                continue
            call = info.value if isinstance(info.value, cst.Call) else None
            if call is None and toggles.kind != "schema field":
                continue  # a form, serializer or Django field is declared by a call
            callee = (info.call or "").rsplit(".", 1)[-1]
            if not (info.boolean or any(t in callee for t in self.e.toggle_calls)):
                continue  # a choice of audience names its choices; only on/off toggles are read
            if call is not None and _keyword(call, "editable") is not None and \
                    literal_value(_keyword(call, "editable"), {}) is False:
                continue  # never in a form
            verdict = self._explained(info, call, toggles.kind, annotations.get(id(info.target), []))
            if verdict is True:
                continue
            toggles.found[info.name] = (info, spec, verdict)
        return toggles

    def _explained(self, info: FieldInfo, call: Optional[cst.Call], kind: str, annotated: List[cst.Call]) -> Any:
        """True when the declaration explains the field; otherwise the label (or None)."""
        e = self.e
        calls = [call] if call is not None else []
        calls += annotated
        label: Optional[str] = None
        for c in calls:
            for arg in c.args:
                if arg.keyword is None:
                    continue
                keyword = arg.keyword.value
                if keyword in e.help_keywords | e.label_keywords:
                    text = _text(arg.value)
                    if text is _UNREAD:
                        return True
                    if isinstance(text, str):
                        if keyword in e.help_keywords and e.says_more(text, info.name):
                            return True
                        if keyword in e.label_keywords:
                            if e.label_explains(text, info.name):
                                return True
                            label = text
        # The first positional argument is the label of a WTForms field, the verbose name of a
        # Django model field.
        if call is not None and kind in ("form field", "model field") and call.args and call.args[0].keyword is None:
            text = _text(call.args[0].value)
            if kind == "model field" or isinstance(text, str):
                if text is _UNREAD:
                    return True
                if isinstance(text, str):
                    if e.label_explains(text, info.name):
                        return True
                    label = text
        return label

    def _meta(self, node: cst.ClassDef, owner: str) -> None:
        """`Meta.help_texts = {...}`, `Meta.labels = {...}`, `Meta.extra_kwargs = {"x": {"help_text": ...}}`."""
        for info in class_fields(node):
            if not isinstance(info.value, cst.Dict):
                continue
            for element in info.value.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                key = _string(element.key)
                if key is None:
                    continue
                if info.name == "help_texts":
                    text = _text(element.value)
                    if text is _UNREAD or isinstance(text, str) and self.e.says_more(text, key):
                        self.explained_elsewhere.add((owner, key))
                elif info.name == "labels":
                    text = _text(element.value)
                    if text is _UNREAD or isinstance(text, str) and self.e.label_explains(text, key):
                        self.explained_elsewhere.add((owner, key))
                elif info.name == "extra_kwargs" and isinstance(element.value, cst.Dict):
                    for inner in element.value.elements:
                        if isinstance(inner, cst.DictElement) and _string(inner.key) in self.e.help_keywords:
                            text = _text(inner.value)
                            if text is _UNREAD or isinstance(text, str) and self.e.says_more(text, key):
                                self.explained_elsewhere.add((owner, key))


def _subscript_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return _string(node.slice[0].slice.value)
    return None


def _annotations(node: cst.ClassDef) -> Dict[int, List[cst.Call]]:
    """`share_location: Annotated[bool, Field(description=...)]`: the calls inside each field's
    annotation, by the id of the field's name node (the class body's statements only)."""
    out: Dict[int, List[cst.Call]] = {}
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.annotation.annotation, cst.Subscript):
                    out[id(small.target)] = [
                        element.slice.value for element in small.annotation.annotation.slice
                        if isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.Call)
                    ]
    return out


class ToggleWithoutExplanation(Rule):
    """A switch that starts a use of the child's data, declared with no words telling the child what it does.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP508"
    name = "privacy-toggle-without-explanation"
    summary = "A toggle that switches on a data use (location, public profile, ads) has no explanation next to it"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-4", "CA-AADC-A7")
    prefilter = ("Field", "Switch", "bool")
    requires = (ToggleExplanations,)

    def finish(self) -> None:
        analysis = self.ctx.analysis(ToggleExplanations)
        for hit in analysis.hits:
            if analysis.is_explained(hit):
                continue
            what = analysis.e.data_uses.get(hit.spec.id, "what happens to their data")
            said = (f"its label {hit.label!r} only names the setting" if hit.label
                    else "it has no label of its own")
            self.report(hit.node, (
                f"{hit.owner}.{hit.name} is a {hit.kind} that switches on {hit.spec.label}, with no "
                f"{hit.keyword} and {said}. A child who turns it on must be told there and then, in words "
                f"they understand, {what}: add a short {hit.keyword} that says so (for example who can see "
                f"it and how to turn it off), or a label that does"
            ))


# -- COP503: precise geolocation without an opt-in -----------------------------------------


@dataclass
class _GeoFinding:
    node: cst.CSTNode
    message: str


class _Geo:
    """The geolocation vocabulary, read once."""

    def __init__(self, vocabulary: FeatureVocabulary) -> None:
        geo = vocabulary.geo
        self.coordinate_words = frozenset(geo["coordinate-words"])
        self.coordinate_fillers = frozenset(geo["coordinate-fillers"])
        self.geometry_calls = frozenset(geo["geometry-calls"])
        self.coarsening = frozenset(geo["coarsening-words"])
        self.coarse_digits = int(geo["coarse-digits"])
        self.subjects = frozenset(geo["opt-in-subjects"])
        self.markers = frozenset(geo["opt-in-markers"])
        self.modules = tuple(geo["ip-lookup-modules"])
        self.clients = frozenset(geo["ip-lookup-clients"])
        self.methods = frozenset(geo["ip-lookup-methods"])
        self.strong_methods = frozenset(geo["ip-lookup-strong-methods"])
        self.functions = frozenset(geo["ip-lookup-functions"])
        self.request_params = vocabulary.request_params
        self.handler_decorator_words = vocabulary.handler_decorator_words

    def is_coordinate(self, name: str, geometry: bool = False) -> bool:
        w = words(name)
        allowed = self.coordinate_words | self.coordinate_fillers
        if not w or not all(x in allowed for x in w):
            return False
        return geometry or any(x in self.coordinate_words for x in w)

    def is_opt_in(self, name: str) -> bool:
        w = set(words(name))
        return bool(w & self.subjects) and bool(w & self.markers)


_PAYLOAD_ATTRIBUTES = frozenset({
    "json", "form", "args", "values", "data", "POST", "GET", "query_params", "body", "get_json", "params",
    "query", "get_data", "cleaned_data", "validated_data",
})
_REQUEST_NAMES = frozenset({"request", "req", "flask.request"})
_STORE_METHODS = frozenset({
    "create", "update", "update_or_create", "get_or_create", "bulk_create", "insert", "set", "save", "add",
    "upsert", "values", "geoadd", "hset", "put_item", "append",
})


# A file none of whose identifiers is a coordinate word has nothing to store (the walk is skipped).
_COORDINATE_TEXT = re.compile(
    r"(?<![a-z])(lat|lng|lon|latitude|longitude|latlng|latlon|coords|coordinates|gps|geo[a-z]*)(?![a-z])"
)


class GeolocationAnalysis(Analysis):
    """Per function: coordinates from the request stored, or IP lookups, with no opt-in check.

    Statements come from the engine's single traversal: each function's state is
    pushed on `visit_FunctionDef` and judged on `leave_FunctionDef`, so a nested
    function (or a class body inside a function) is its own scope, as it is at
    run time. Only the expressions of the statements read are looked into.
    """

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.geo = _Geo(vocabulary_for(ctx.settings))
        self.findings: List[_GeoFinding] = []
        self._imports_lookup = any(
            value.lstrip(".").startswith(self.geo.modules) for value in ctx.imports.bindings.values()
        )
        self.active = self._imports_lookup or bool(_COORDINATE_TEXT.search(ctx.source_lower))
        self._module_clients: Set[str] = set()
        # None for a class body: its statements belong to no function.
        self._scopes: List[Optional[_FunctionGeo]] = []
        if self._imports_lookup:
            for statement in ctx.module.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if isinstance(small, cst.Assign) and self._is_client(small.value):
                            for target in small.targets:
                                name = dotted(target.target)
                                if name:
                                    self._module_clients.add(name)

    def _is_client(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        resolved = self.ctx.imports.resolve(node.func) or dotted(node.func) or ""
        return resolved.rsplit(".", 1)[-1] in self.geo.clients and resolved.lstrip(".").startswith(self.geo.modules)

    def _scope(self) -> Optional["_FunctionGeo"]:
        return self._scopes[-1] if self._scopes else None

    # -- scopes ------------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.active:
            scope = _FunctionGeo(self, node)
            scope.start()
            self._scopes.append(scope)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self.active:
            scope = self._scopes.pop()
            if scope is not None:
                scope.finish()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.active:
            self._scopes.append(None)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        if self.active:
            self._scopes.pop()

    # -- statements (in source order, each before its body) -----------------------------------
    def visit_If(self, node: cst.If) -> None:
        scope = self._scope()
        if scope is not None:
            scope.test(node.test)

    def visit_While(self, node: cst.While) -> None:
        scope = self._scope()
        if scope is not None:
            scope.test(node.test)

    def visit_For(self, node: cst.For) -> None:
        scope = self._scope()
        if scope is not None:
            scope.expr(node.iter)
            if scope.tainted(node.iter):
                scope.bind(node.target)

    def visit_With(self, node: cst.With) -> None:
        scope = self._scope()
        if scope is not None:
            for item in node.items:
                scope.expr(item.item)

    def visit_Assign(self, node: cst.Assign) -> None:
        scope = self._scope()
        if scope is not None:
            scope.assign(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        scope = self._scope()
        if scope is not None and node.value is not None:
            scope.ann_assign(node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        scope = self._scope()
        if scope is not None:
            scope.expr(node.value)

    def visit_Assert(self, node: cst.Assert) -> None:
        scope = self._scope()
        if scope is not None:
            scope.scan_opt_in(node.test)

    def visit_Expr(self, node: cst.Expr) -> None:
        scope = self._scope()
        if scope is not None:
            scope.expr(node.value)

    def visit_Return(self, node: cst.Return) -> None:
        scope = self._scope()
        if scope is not None and node.value is not None:
            scope.expr(node.value)


class _FunctionGeo:
    """What one function does with coordinates, built statement by statement."""

    def __init__(self, analysis: GeolocationAnalysis, node: cst.FunctionDef) -> None:
        self.a = analysis
        self.geo = analysis.geo
        self.ctx = analysis.ctx
        self.node = node
        self.tainted_names: Set[str] = set()
        self.clients: Set[str] = set(analysis._module_clients)
        self.stores: List[Tuple[cst.CSTNode, str, str]] = []  # (node, field, owner)
        self.lookups: List[Tuple[cst.CSTNode, str]] = []
        self.opt_in = False
        # Every node of an expression, computed once: a statement's value is read
        # for calls, taint, coarsening and opt-in names from the same list.
        self._nodes: Dict[int, List[cst.CSTNode]] = {}

    # -- entry and verdict ------------------------------------------------------------------
    def start(self) -> None:
        node = self.node
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)]
        if self._is_handler(params):
            self.tainted_names.update(p for p in params if self.geo.is_coordinate(p))
        for decorator in node.decorators:
            self.scan_opt_in(decorator.decorator)

    def finish(self) -> None:
        self._nodes.clear()
        if self.opt_in:
            return
        name = self.node.name.value
        if self.stores:
            first = self.stores[0]
            fields = sorted({field for _, field, _ in self.stores})
            owner = first[2]
            self.a.findings.append(_GeoFinding(first[0], (
                f"{name}() stores precise coordinates from the request ({', '.join(fields)}) on {owner} without "
                f"checking that the user opted in to sharing their location. A child's exact location shows "
                f"strangers where they live, study and play: keep location off by default, check an explicit "
                f"opt-in (for example a share_location setting the user, or a parent, switched on) before "
                f"storing, and store it coarsened to about 1 km unless precision is essential"
            )))
        elif self.lookups:
            call, shown = self.lookups[0]
            self.a.findings.append(_GeoFinding(call, (
                f"{name}() looks up where a user is from their IP address ({shown}) without checking an "
                f"opt-in: a child's city and coordinates are personal information. Look up the country only "
                f"unless the user opted in to location features, and do not keep the result"
            )))

    def _is_handler(self, params: Sequence[str]) -> bool:
        first = [p for p in params if p not in ("self", "cls")][:1]
        if first and first[0] in self.geo.request_params:
            return True
        for decorator in self.node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if any(w in self.geo.handler_decorator_words for w in words(dotted(expr) or "")):
                return True
        return False

    # -- statements ----------------------------------------------------------------------------
    def test(self, node: cst.BaseExpression) -> None:
        self.scan_opt_in(node)
        self.expr(node)

    def assign(self, node: cst.Assign) -> None:
        value = node.value
        self.expr(value)
        self.scan_opt_in(value)
        tainted = self.tainted(value) and not self._coarse(value)
        is_client = self.a._imports_lookup and self.a._is_client(value)
        for target in node.targets:
            self._store(target.target, value, tainted)
            if tainted:
                self.bind(target.target)
            if is_client:
                name = dotted(target.target)
                if name:
                    self.clients.add(name)

    def ann_assign(self, node: cst.AnnAssign) -> None:
        value = node.value
        assert value is not None
        self.expr(value)
        tainted = self.tainted(value) and not self._coarse(value)
        self._store(node.target, value, tainted)
        if tainted:
            self.bind(node.target)

    def bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.tainted_names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value)

    # -- stores and lookups -------------------------------------------------------------------
    def _store(self, target: cst.BaseExpression, value: cst.BaseExpression, tainted: bool) -> None:
        if not isinstance(target, cst.Attribute):
            return
        attr = target.attr.value
        owner = dotted(target.value) or "an object"
        if tainted and self.geo.is_coordinate(attr) and _carries_value(value):
            self.stores.append((target, attr, owner))
        elif isinstance(value, cst.Call) and self.geo.is_coordinate(attr, geometry=True):
            callee = dotted(value.func) or ""
            resolved = self.ctx.imports.resolve(value.func) or callee
            if (callee in self.geo.geometry_calls or resolved in self.geo.geometry_calls
                    or resolved.rsplit(".", 1)[-1] in self.geo.geometry_calls) \
                    and any(self.tainted(arg.value) for arg in value.args) and not self._coarse(value):
                self.stores.append((target, attr, owner))

    def expr(self, node: cst.BaseExpression) -> None:
        """Calls in an expression: stores through constructors and updates, IP lookups, opt-in calls."""
        for call in self._calls(node):
            func = call.func
            spelled = dotted(func) or ""
            last = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
            self.scan_opt_in(func)
            for arg in call.args:
                if arg.keyword is not None and self.geo.is_opt_in(arg.keyword.value):
                    self.opt_in = True
            if (last[:1].isupper() or last in _STORE_METHODS) and last not in ("Response", "JsonResponse"):
                for arg in call.args:
                    if arg.keyword is not None and self.geo.is_coordinate(arg.keyword.value) \
                            and self.tainted(arg.value) and not self._coarse(arg.value) and _carries_value(arg.value):
                        owner = spelled.rsplit(".", 1)[0] if "." in spelled else spelled
                        self.stores.append((call, arg.keyword.value, owner))
            if self.a._imports_lookup:
                self._lookup(call, func, spelled, last)

    def _lookup(self, call: cst.Call, func: cst.BaseExpression, spelled: str, last: str) -> None:
        resolved = self.ctx.imports.resolve(func) or spelled
        if resolved.lstrip(".") in self.geo.functions:
            self.lookups.append((call, f"{spelled}()"))
            return
        if not isinstance(func, cst.Attribute):
            return
        receiver = dotted(func.value)
        if receiver is not None and receiver in self.clients and last in self.geo.methods:
            self.lookups.append((call, f"{spelled}()"))
        elif isinstance(func.value, cst.Call) and self.a._is_client(func.value) and last in self.geo.methods:
            self.lookups.append((call, f"{dotted(func.value.func)}(...).{last}()"))
        elif receiver is not None and last in self.geo.strong_methods and any(
            w in ("geoip", "geo", "ipinfo", "maxmind", "geolocation", "reader") for w in words(receiver)
        ):
            self.lookups.append((call, f"{spelled}()"))

    # -- reading expressions ------------------------------------------------------------------
    def _all(self, node: cst.CSTNode) -> List[cst.CSTNode]:
        found = self._nodes.get(id(node))
        if found is None:
            found = self._nodes[id(node)] = list(_expression_nodes(node))
        return found

    def _calls(self, node: cst.CSTNode) -> List[cst.Call]:
        return [sub for sub in self._all(node) if isinstance(sub, cst.Call)]

    def tainted(self, node: cst.BaseExpression) -> bool:
        for sub in self._all(node):
            if isinstance(sub, cst.Name) and sub.value in self.tainted_names:
                return True
            if isinstance(sub, cst.Attribute) and sub.attr.value in _PAYLOAD_ATTRIBUTES:
                receiver = dotted(sub.value) or ""
                if receiver in _REQUEST_NAMES or receiver.endswith(".request") or sub.attr.value in (
                    "cleaned_data", "validated_data"
                ):
                    return True
        return False

    def _coarse(self, node: cst.BaseExpression) -> bool:
        for call in self._calls(node):
            name = dotted(call.func) or ""
            last = name.rsplit(".", 1)[-1]
            if last == "round":
                digits = call.args[1].value if len(call.args) > 1 else None
                if isinstance(digits, cst.Integer) and int(digits.value) <= self.geo.coarse_digits:
                    return True
                if digits is None:
                    return True
                continue
            if any(w in self.geo.coarsening for w in words(last)):
                return True
        return False

    def scan_opt_in(self, node: cst.BaseExpression) -> None:
        if self.opt_in:
            return
        for sub in self._all(node):
            name = None
            if isinstance(sub, cst.Name):
                name = sub.value
            elif isinstance(sub, cst.Attribute):
                name = sub.attr.value
            elif isinstance(sub, cst.SimpleString):
                name = _string(sub)
            if name and self.geo.is_opt_in(name):
                self.opt_in = True
                return


def _carries_value(node: cst.BaseExpression) -> bool:
    """Not a flag: comparisons, `not x` and literals are not coordinates."""
    if isinstance(node, (cst.Comparison,)):
        return False
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return False
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return False
    return True


_FIELDS: Dict[type, Tuple[str, ...]] = {}
_SYNTAX = frozenset({"lpar", "rpar", "comma", "equal", "dot", "star", "whitespace_before", "whitespace_after",
                     "operator", "lbracket", "rbracket", "lbrace", "rbrace", "colon", "semicolon"})


def _fields(kind: type) -> Tuple[str, ...]:
    found = _FIELDS.get(kind)
    if found is None:
        found = tuple(
            f.name for f in dataclasses.fields(kind)
            if f.name not in _SYNTAX and not f.name.startswith("whitespace")
        )
        _FIELDS[kind] = found
    return found


def _expression_nodes(node: cst.CSTNode):
    """Every node of one statement's expression, not entering lambdas (dataclass fields:
    libcst's `children` property re-visits the tree and costs far more)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, cst.Lambda):
            continue
        for name in _fields(type(current)):
            value = getattr(current, name)
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(item for item in value if isinstance(item, cst.CSTNode))


class PreciseGeolocationWithoutOptIn(Rule):
    """Precise coordinates collected or stored without an opt-in check.

    Per-file rule: runs with `copguard check` and in the flake8 plugin.
    """

    code = "COP503"
    name = "precise-geolocation-without-opt-in"
    summary = "Precise location (coordinates, IP geolocation) is collected without an opt-in check"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-10", "CA-AADC-B5", "COPPA-312.2.PI-GEO", "KH-COP-4.2", "DSA-28.GL-DEFAULTS")
    prefilter = ("lat", "lng", "lon", "coord", "geo", "gps", "ipinfo", "maxmind", "ip2location", "ipapi", "ipstack", "ipdata")
    requires = (GeolocationAnalysis,)

    def finish(self) -> None:
        for finding in self.ctx.analysis(GeolocationAnalysis).findings:
            self.report(finding.node, finding.message)


DEFAULTS_RULES = (
    PermissivePrivacyDefault, LocationOnByDefault, PreciseGeolocationWithoutOptIn, EngagementOnByDefault,
    ProfiledRecommendationsByDefault, PreTickedBox, ParentalMonitoringWithoutSignal, ToggleWithoutExplanation,
)
