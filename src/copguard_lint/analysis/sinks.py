"""The sink catalog: which calls put data somewhere it must not go.

Loaded from data/sinks.toml (logs, exceptions, error trackers, HTTP, URLs),
data/sdks.toml (analytics and advertising SDKs and endpoints) and the
`[tool.copguard] sdks` table of the user's configuration, all in one shape.

Besides calls matched by name, an entry may describe an HTTP endpoint (`hosts`,
`paths`) or a request body shape (`body-keys`): a request made with a
catalogued HTTP client is then reported as that entry (`retarget`), so a
request to google-analytics.com is an analytics sink, not a generic HTTP one.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Union

import libcst as cst

from ..literals import string_value
from ..data_files import load_data
from .names import split_words

DataSpec = Union[str, Tuple[Union[str, int], ...]]

# Families an entry may declare. Families other rules own come from sinks.toml;
# the configuration may add entries to any of them.
FAMILIES = ("log", "exception", "error-tracker", "http", "url", "analytics", "ads", "ai")
# Keys an entry may have (checked for entries from the configuration).
ENTRY_KEYS = frozenset(
    {
        "id", "family", "label", "functions", "receivers", "receiver-words", "methods", "data",
        "skip-keywords", "url-argument", "require-import", "hosts", "paths", "body-keys", "ad-request",
    }
)
# Keyword arguments of HTTP clients that hold the request body.
_BODY_KEYWORDS = ("json", "data", "body", "content", "params")
# A placeholder for the parts of a URL that are computed at run time.
DYNAMIC = "\x00"


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
    # The resolved name must start at an import (or an object built from one).
    require_import: bool = False
    # HTTP endpoint: host patterns and path patterns (see data/sdks.toml).
    hosts: Tuple[str, ...] = ()
    paths: Tuple[str, ...] = ()
    # Request body shape: sets of top-level keys.
    body_keys: Tuple[frozenset, ...] = ()
    # The endpoint or shape asks for an ad to show to the user.
    ad_request: bool = False

    def carries(self, position: Optional[int], keyword: Optional[str]) -> bool:
        """Whether the argument at `position` / named `keyword` carries data into the sink."""
        if keyword is not None and keyword in self.skip_keywords:
            return False
        if self.data == "all":
            return True
        return (position is not None and position in self.data) or (
            keyword is not None and keyword in self.data
        )

    def matches_url(self, url: "Url") -> bool:
        if not self.hosts:
            return False
        if not any(_host_matches(url.host, pattern) for pattern in self.hosts):
            return False
        return not self.paths or any(fnmatch.fnmatchcase(url.path, pattern) for pattern in self.paths)


class SinkCatalog:
    def __init__(self, specs: Tuple[SinkSpec, ...]) -> None:
        self.specs = specs
        self._functions: Dict[str, SinkSpec] = {}
        for spec in specs:
            for name in spec.functions:
                self._functions.setdefault(name, spec)
        self._method_specs = tuple(spec for spec in specs if spec.methods)
        # The entries naming each method, in catalog order (most calls name none).
        by_method: Dict[str, list] = {}
        for spec in self._method_specs:
            for method in spec.methods:
                by_method.setdefault(method, []).append(spec)
        self._specs_by_method: Dict[str, Tuple[SinkSpec, ...]] = {m: tuple(found) for m, found in by_method.items()}
        self._endpoint_specs = tuple(spec for spec in specs if spec.hosts)
        self._shape_specs = tuple(spec for spec in specs if spec.body_keys)
        self._by_id = {}
        for spec in specs:
            self._by_id.setdefault(spec.id, spec)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "SinkCatalog":
        default_import = bool(data.get("require-import", False))
        return cls(tuple(spec_from_entry(entry, default_import) for entry in data.get("sink", [])))

    def extended(self, other: "SinkCatalog") -> "SinkCatalog":
        """This catalog followed by `other`'s entries (earlier entries win on conflicts)."""
        return SinkCatalog(self.specs + other.specs)

    def spec(self, spec_id: str) -> Optional[SinkSpec]:
        return self._by_id.get(spec_id)

    def families(self) -> Tuple[str, ...]:
        return tuple(sorted({spec.family for spec in self.specs}))

    def match(
        self,
        qualified: Optional[str],
        receiver: Optional[str],
        receiver_name: Optional[str],
        method: Optional[str],
        imported: Optional[Callable[[str], bool]] = None,
    ) -> Optional[SinkSpec]:
        """The sink a call is, from its resolved name or its method and receiver.

        `receiver` is what the receiver resolves to (`logging.getLogger()`),
        `receiver_name` the last name it is spelled with (`logger`, `log`).
        `imported(name)` says whether a resolved name starts at an import;
        entries with `require-import` match only names for which it says so.
        """
        if method is not None:
            for spec in self._specs_by_method.get(method, ()):
                if spec.require_import and not _bound(receiver, imported):
                    continue
                if "*" in spec.receivers or (receiver is not None and receiver in spec.receivers):
                    return spec
                if spec.receiver_words and receiver_name and _words_hit(receiver_name, spec.receiver_words):
                    return spec
        if qualified is not None:
            spec = self._functions.get(qualified)
            if spec is not None and spec.require_import and not _bound(qualified, imported):
                return None
            return spec
        return None

    def retarget(
        self,
        spec: SinkSpec,
        call: cst.Call,
        value_of: Callable[[str], Optional[cst.BaseExpression]] = lambda name: None,
        constants: Optional[Mapping[str, str]] = None,
    ) -> SinkSpec:
        """The endpoint or request-shape entry an HTTP call is, else `spec` itself.

        `value_of(name)` gives the expression a local variable was last bound
        to (for bodies built in a variable); `constants` the module's string
        constants (for URLs kept in one).
        """
        if not self._endpoint_specs and not self._shape_specs:
            return spec
        url_node = url_argument(call, spec)
        url = parse_url(url_pattern(url_node, constants or {}, value_of)) if url_node is not None else None
        if url is not None:
            for candidate in self._endpoint_specs:
                if candidate.matches_url(url):
                    return candidate
        if self._shape_specs:
            keys = body_keys(call, value_of)
            if keys:
                for candidate in self._shape_specs:
                    if any(required <= keys for required in candidate.body_keys):
                        return candidate
        return spec


def spec_from_entry(entry: Mapping[str, Any], default_import: bool = False) -> SinkSpec:
    raw_data = entry.get("data", "all")
    return SinkSpec(
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
        require_import=bool(entry.get("require-import", default_import)),
        hosts=tuple(str(h).lower() for h in entry.get("hosts", ())),
        paths=tuple(entry.get("paths", ())),
        body_keys=tuple(frozenset(keys) for keys in entry.get("body-keys", ())),
        ad_request=bool(entry.get("ad-request", False)),
    )


def validate_entries(value: Any, where: str) -> Tuple[str, ...]:
    """Problems with user-supplied sink entries (the `[tool.copguard] sdks` table)."""
    problems = []
    if not isinstance(value, dict):
        return (f"{where} must be a table with a `sink` list (entries shaped like data/sdks.toml)",)
    unknown = sorted(set(value) - {"sink", "require-import"})
    if unknown:
        problems.append(f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; expected `sink`")
    entries = value.get("sink", [])
    if not isinstance(entries, list):
        return (*problems, f"{where}.sink must be a list of tables")
    for index, entry in enumerate(entries):
        at = f"{where}.sink[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{at} must be a table")
            continue
        extra = sorted(set(entry) - ENTRY_KEYS)
        if extra:
            problems.append(f"{at} has unknown key(s) {', '.join(map(repr, extra))}")
        for key in ("id", "family"):
            if not isinstance(entry.get(key), str) or not entry.get(key):
                problems.append(f"{at}.{key} must be a non-empty string")
        if isinstance(entry.get("family"), str) and entry["family"] not in FAMILIES:
            problems.append(f"{at}.family must be one of {', '.join(FAMILIES)}, got {entry['family']!r}")
        for key in ("functions", "receivers", "receiver-words", "methods", "skip-keywords", "hosts", "paths"):
            items = entry.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                problems.append(f"{at}.{key} must be a list of strings")
        data = entry.get("data", "all")
        if data != "all" and not (
            isinstance(data, list) and all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in data)
        ):
            problems.append(f"{at}.data must be \"all\" or a list of argument positions and keyword names")
        keys = entry.get("body-keys", [])
        if not isinstance(keys, list) or not all(
            isinstance(k, list) and k and all(isinstance(i, str) for i in k) for k in keys
        ):
            problems.append(f"{at}.body-keys must be a list of lists of strings")
        for key in ("require-import", "ad-request", "label"):
            if key in entry and not isinstance(entry[key], bool if key != "label" else str):
                problems.append(f"{at}.{key} has the wrong type")
        if not any(entry.get(k) for k in ("functions", "methods", "hosts", "body-keys")):
            problems.append(f"{at} matches nothing: give functions, receivers and methods, hosts, or body-keys")
        if entry.get("methods") and not (entry.get("receivers") or entry.get("receiver-words")):
            problems.append(f"{at}.methods needs receivers (or receiver-words)")
    if "require-import" in value and not isinstance(value["require-import"], bool):
        problems.append(f"{where}.require-import must be true or false")
    return tuple(problems)


# -- names ---------------------------------------------------------------


def _bound(name: Optional[str], imported: Optional[Callable[[str], bool]]) -> bool:
    if name is None:
        return False
    return True if imported is None else imported(name)


@lru_cache(maxsize=4096)
def _words(name: str) -> frozenset:
    return frozenset(split_words(name))


def _words_hit(name: str, wanted: frozenset) -> bool:
    return bool(_words(name) & wanted)


# -- URLs and bodies -------------------------------------------------------


@dataclass(frozen=True)
class Url:
    """A URL pattern: literal text with DYNAMIC where a value is computed at run time."""

    text: str
    host: str
    path: str
    query: str

    def query_params(self) -> Dict[str, str]:
        out: Dict[str, str] = {}
        for part in self.query.split("&"):
            if "=" in part:
                key, value = part.split("=", 1)
                out.setdefault(key, value)
        return out


def url_argument(call: cst.Call, spec: SinkSpec) -> Optional[cst.BaseExpression]:
    """The expression an HTTP call passes as its URL."""
    keywords = [k for k in spec.url_argument if isinstance(k, str)]
    positions = [k for k in spec.url_argument if isinstance(k, int)]
    position = 0
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value in keywords:
                return arg.value
            continue
        if arg.star:
            return None
        if position in positions:
            return arg.value
        position += 1
    return None


def url_pattern(
    node: Optional[cst.BaseExpression],
    constants: Mapping[str, str],
    value_of: Callable[[str], Optional[cst.BaseExpression]] = lambda name: None,
    depth: int = 0,
) -> Optional[str]:
    """The text of a URL expression, DYNAMIC for computed parts; None if nothing is literal."""
    if node is None or depth > 4:
        return None
    if isinstance(node, cst.SimpleString):
        value = _string_value(node)
        return value
    if isinstance(node, cst.ConcatenatedString):
        left = url_pattern(node.left, constants, value_of, depth + 1)
        right = url_pattern(node.right, constants, value_of, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression):
                inner = url_pattern(part.expression, constants, value_of, depth + 1)
                parts.append(inner if inner is not None else DYNAMIC)
        text = "".join(parts)
        return text if text.strip(DYNAMIC) else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = url_pattern(node.left, constants, value_of, depth + 1)
        right = url_pattern(node.right, constants, value_of, depth + 1)
        if left is None and right is None:
            return None
        return (left if left is not None else DYNAMIC) + (right if right is not None else DYNAMIC)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        left = url_pattern(node.left, constants, value_of, depth + 1)
        return None if left is None else _fill_placeholders(left)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        left = url_pattern(node.func.value, constants, value_of, depth + 1)
        return None if left is None else _fill_placeholders(left)
    if isinstance(node, cst.Name):
        if node.value in constants:
            return constants[node.value]
        bound = value_of(node.value)
        if bound is not None and bound is not node:
            return url_pattern(bound, constants, value_of, depth + 1)
    return None


def _fill_placeholders(text: str) -> str:
    """`{}` / `{name}` / `%s` placeholders of a template as DYNAMIC."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "{":
            end = text.find("}", index)
            if end > index:
                out.append(DYNAMIC)
                index = end + 1
                continue
        if char == "%" and index + 1 < len(text) and text[index + 1] in "sdifr":
            out.append(DYNAMIC)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def parse_url(text: Optional[str]) -> Optional[Url]:
    """Host, path and query of a URL pattern; None when the host is not literal."""
    if text is None:
        return None
    lowered = text.strip()
    scheme, sep, rest = lowered.partition("://")
    if not sep:
        if lowered.startswith("//"):
            rest = lowered[2:]
        else:
            return None
    elif DYNAMIC in scheme:
        return None
    host_end = len(rest)
    for stop in ("/", "?", "#"):
        found = rest.find(stop)
        if found != -1:
            host_end = min(host_end, found)
    host = rest[:host_end].lower()
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.split(":", 1)[0]
    if not host or host == DYNAMIC:
        return None
    tail = rest[host_end:].split("#", 1)[0]
    path, _, query = tail.partition("?")
    return Url(text=text, host=host, path=path or "/", query=query)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern == "*":
        return DYNAMIC not in host
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and DYNAMIC not in host[len(host) - len(suffix):]
    return host == pattern


def body_keys(
    call: cst.Call, value_of: Callable[[str], Optional[cst.BaseExpression]] = lambda name: None
) -> frozenset:
    """Top-level string keys of a request body given as a dict (directly, or through a variable)."""
    keys = set()
    for index, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword not in _BODY_KEYWORDS and not (keyword is None and index == 1 and not arg.star):
            continue
        found = dict_literal(arg.value, value_of)
        if found is not None:
            keys.update(k for k in dict_keys(found) if k is not None)
    return frozenset(keys)


def dict_literal(
    node: Optional[cst.BaseExpression],
    value_of: Callable[[str], Optional[cst.BaseExpression]] = lambda name: None,
    depth: int = 0,
) -> Optional[cst.Dict]:
    """The dict literal an expression is: `{...}`, a variable bound to one, or `json.dumps({...})`."""
    if node is None or depth > 3:
        return None
    if isinstance(node, cst.Dict):
        return node
    if isinstance(node, cst.Name):
        bound = value_of(node.value)
        if bound is not None and bound is not node:
            return dict_literal(bound, value_of, depth + 1)
    if isinstance(node, cst.Call) and node.args and _last(node.func) in ("dumps", "dict", "jsonify"):
        return dict_literal(node.args[0].value, value_of, depth + 1)
    return None


def dict_keys(node: cst.Dict) -> Iterable[Optional[str]]:
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            yield _string_value(element.key)


def _last(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


_string_value = string_value



def module_strings(module: cst.Module) -> Dict[str, str]:
    """Module-level `NAME = "..."` string constants (URLs kept in a constant)."""
    out: Dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target = value = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            if isinstance(target, cst.Name):
                text = url_pattern(value, out)
                if text is not None:
                    out[target.value] = text
    return out


# -- catalogs ----------------------------------------------------------------


@lru_cache(maxsize=None)
def default_sinks() -> SinkCatalog:
    """sinks.toml followed by sdks.toml and ai_services.toml (hosted AI models, COP106)."""
    return (
        SinkCatalog.from_data(load_data("sinks.toml"))
        .extended(SinkCatalog.from_data(load_data("sdks.toml")))
        .extended(SinkCatalog.from_data(load_data("ai_services.toml")))
    )


@lru_cache(maxsize=16)
def _sinks_with(extension: str) -> SinkCatalog:
    import json

    extra = json.loads(extension)
    return default_sinks().extended(SinkCatalog.from_data(extra if isinstance(extra, dict) else {}))


def sinks_for(settings: Any) -> SinkCatalog:
    """The catalog for a run: the shipped entries plus `[tool.copguard] sdks` (JSON text in Settings)."""
    extension = getattr(settings, "sdks", "")
    return _sinks_with(extension) if extension else default_sinks()


@lru_cache(maxsize=None)
def sdk_catalog() -> Dict[str, Any]:
    """data/sdks.toml as parsed (ad flags, profiling defaults, PII settings, guard words)."""
    return load_data("sdks.toml")


def spec_labels(catalog: SinkCatalog) -> Dict[str, str]:
    return {spec.id: spec.label for spec in catalog.specs}
