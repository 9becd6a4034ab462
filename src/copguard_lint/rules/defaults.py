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
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from ..analysis.features import (
    UNKNOWN,
    FeatureVocabulary,
    SettingSpec,
    class_constants,
    class_fields,
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


def _string(node: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:  # pragma: no cover
            return None
        return value if isinstance(value, str) else None
    return None


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
    """Base of COP501 and COP502: report the PrivacyDefaults hits of one rule."""

    requires = (PrivacyDefaults,)

    def finish(self) -> None:
        for hit in self.ctx.analysis(PrivacyDefaults).hits:
            if hit.spec.rule == self.code:
                self.report(hit.node, self.message(hit))

    def message(self, hit: DefaultHit) -> str:
        where = f"{hit.owner}.{hit.name}" if hit.owner and not hit.owner.endswith("]") else (
            f"{hit.owner}[{hit.name!r}]" if hit.owner else hit.name
        )
        return (
            f"{where} defaults to {hit.shown or _show(hit.value)}: every new account, a child's included, starts with "
            f"{hit.spec.label}, so {hit.spec.risk}. Children's settings must start at the most protective "
            f"value: default to {hit.spec.protective} and let the user (or a parent, for a young child) "
            f"switch it on"
        )


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
    summary = "A privacy setting (public profile, contact from everyone, online status, ads) defaults to on"
    severity = Severity.HIGH
    confidence = Confidence.MEDIUM
    clauses = ("UK-AADC-7", "CA-AADC-A6", "DSA-28.GL-DEFAULTS", "KH-COP-2.2", "ITU-COP-FC.2")
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
    clauses = ("UK-AADC-10", "CA-AADC-B5", "DSA-28.GL-DEFAULTS", "ITU-COP-FC.2", "COPPA-312.2.PI-GEO")
    prefilter = _prefilter_words("COP502")


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
    """Per function: coordinates from the request stored, or IP lookups, with no opt-in check."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.geo = _Geo(vocabulary_for(ctx.settings))
        self.findings: List[_GeoFinding] = []
        self._imports_lookup = any(
            value.lstrip(".").startswith(self.geo.modules) for value in ctx.imports.bindings.values()
        )
        self.active = self._imports_lookup or bool(_COORDINATE_TEXT.search(ctx.source.lower()))
        self._module_clients: Set[str] = set()
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

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.active:
            _FunctionGeo(self, node).run()


class _FunctionGeo:
    def __init__(self, analysis: GeolocationAnalysis, node: cst.FunctionDef) -> None:
        self.a = analysis
        self.geo = analysis.geo
        self.ctx = analysis.ctx
        self.node = node
        self.tainted: Set[str] = set()
        self.clients: Set[str] = set(analysis._module_clients)
        self.stores: List[Tuple[cst.CSTNode, str, str]] = []  # (node, field, owner)
        self.lookups: List[Tuple[cst.CSTNode, str]] = []
        self.opt_in = False

    # -- entry -----------------------------------------------------------------------------
    def run(self) -> None:
        node = self.node
        params = [p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)]
        if self._is_handler(params):
            self.tainted.update(p for p in params if self.geo.is_coordinate(p))
        for decorator in node.decorators:
            self._scan_opt_in(decorator.decorator)
        self._block(node.body)
        if self.opt_in:
            return
        name = node.name.value
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
    def _block(self, suite: cst.BaseSuite) -> None:
        body = suite.body if isinstance(suite, cst.IndentedBlock) else [cst.SimpleStatementLine(body=suite.body)]
        for statement in body:
            self._statement(statement)

    def _statement(self, statement: cst.CSTNode) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return  # walked on its own
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                self._small(small)
            return
        if isinstance(statement, (cst.If, cst.While)):
            self._scan_opt_in(statement.test)
            self._expr(statement.test)
            self._block(statement.body)
            if statement.orelse is not None:
                orelse = statement.orelse
                if isinstance(orelse, cst.If):
                    self._statement(orelse)
                else:
                    self._block(orelse.body)
            return
        if isinstance(statement, cst.For):
            self._expr(statement.iter)
            if self._tainted(statement.iter):
                self._bind(statement.target)
            self._block(statement.body)
            if statement.orelse is not None:
                self._block(statement.orelse.body)
            return
        if isinstance(statement, cst.With):
            for item in statement.items:
                self._expr(item.item)
            self._block(statement.body)
            return
        if isinstance(statement, cst.Try):
            self._block(statement.body)
            for handler in statement.handlers:
                self._block(handler.body)
            if statement.orelse is not None:
                self._block(statement.orelse.body)
            if statement.finalbody is not None:
                self._block(statement.finalbody.body)
            return

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            self._expr(small.value)
            self._scan_opt_in(small.value)
            tainted = self._tainted(small.value) and not self._coarse(small.value)
            is_client = self.a._imports_lookup and self.a._is_client(small.value)
            for target in small.targets:
                self._store(target.target, small.value, tainted)
                if tainted:
                    self._bind(target.target)
                if is_client:
                    name = dotted(target.target)
                    if name:
                        self.clients.add(name)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self._expr(small.value)
            tainted = self._tainted(small.value) and not self._coarse(small.value)
            self._store(small.target, small.value, tainted)
            if tainted:
                self._bind(small.target)
        elif isinstance(small, cst.AugAssign):
            self._expr(small.value)
        elif isinstance(small, cst.Assert):
            self._scan_opt_in(small.test)
        elif isinstance(small, (cst.Expr, cst.Return)):
            if small.value is not None:
                self._expr(small.value)

    def _bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.tainted.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value)

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
                    and any(self._tainted(arg.value) for arg in value.args) and not self._coarse(value):
                self.stores.append((target, attr, owner))

    def _expr(self, node: cst.BaseExpression) -> None:
        """Visit calls in an expression: stores through constructors and updates, IP lookups, opt-in calls."""
        for call in _calls(node):
            func = call.func
            spelled = dotted(func) or ""
            last = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
            self._scan_opt_in(func)
            for arg in call.args:
                if arg.keyword is not None and self.geo.is_opt_in(arg.keyword.value):
                    self.opt_in = True
            if (last[:1].isupper() or last in _STORE_METHODS) and last not in ("Response", "JsonResponse"):
                for arg in call.args:
                    if arg.keyword is not None and self.geo.is_coordinate(arg.keyword.value) \
                            and self._tainted(arg.value) and not self._coarse(arg.value) and _carries_value(arg.value):
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

    # -- taint ------------------------------------------------------------------------------
    def _tainted(self, node: cst.BaseExpression) -> bool:
        for sub in _walk(node):
            if isinstance(sub, cst.Name) and sub.value in self.tainted:
                return True
            if isinstance(sub, cst.Attribute) and sub.attr.value in _PAYLOAD_ATTRIBUTES:
                receiver = dotted(sub.value) or ""
                if receiver in _REQUEST_NAMES or receiver.endswith(".request") or sub.attr.value in (
                    "cleaned_data", "validated_data"
                ):
                    return True
        return False

    def _coarse(self, node: cst.BaseExpression) -> bool:
        for call in _calls(node):
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

    def _scan_opt_in(self, node: cst.BaseExpression) -> None:
        if self.opt_in:
            return
        for sub in _walk(node):
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


def _walk(node: cst.CSTNode):
    """Every node of an expression, not entering lambdas (dataclass fields: libcst's
    `children` property re-visits the tree and costs far more)."""
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


def _calls(node: cst.CSTNode) -> List[cst.Call]:
    return [sub for sub in _walk(node) if isinstance(sub, cst.Call)]


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


DEFAULTS_RULES = (PermissivePrivacyDefault, LocationOnByDefault, PreciseGeolocationWithoutOptIn)
