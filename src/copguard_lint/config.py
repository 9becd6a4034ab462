"""Configuration: `[tool.copguard]` in pyproject.toml, validated strictly.

A compliance gate must not run with a configuration it misunderstood, so an
unknown key, a wrong type or an unknown rule code is an error (exit 2) that
names the file, the key and what was expected, never a warning.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

from .findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 in CI
    import tomli as tomllib

TOOL_TABLE = "copguard"

DEFAULT_EXCLUDES: Tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    "site-packages",
    ".mypy_cache",
    ".copguard_cache",
)

AUDIENCES = ("children", "mixed", "general")


class ConfigError(Exception):
    """A configuration problem; the message names the file, the key and the expectation."""


@dataclass(frozen=True)
class Settings:
    """The effective configuration of a run. Frozen and hashable so it can key caches."""

    select: Tuple[str, ...] = ("COP",)
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    fail_on: Severity = Severity.LOW
    audience: str = "mixed"
    consent_age: int = 13
    respect_gitignore: bool = True
    cache_dir: str = ".copguard_cache"
    jobs: int = 0
    # Seconds one file may take before it is reported as COP001 (0: no limit; see timeouts.py).
    file_timeout: float = 60.0
    # Vocabulary extension for the personal-data model (see analysis/names.py).
    personal_data: Tuple[Tuple[str, Any], ...] = ()
    # Project-specific age and consent checks (see analysis/guards.py).
    age_gates: Tuple[Tuple[str, Any], ...] = ()
    # Project-specific safety hooks: scanning, block checks, help (see analysis/features.py).
    safety: Tuple[Tuple[str, Any], ...] = ()
    # Extra sink catalog entries, shaped like data/sdks.toml (see analysis/sinks.py),
    # kept as canonical JSON text so the settings stay hashable ("" when none).
    sdks: str = ""
    # Where relative globs are anchored: the config file's directory, or the cwd.
    root: str = field(default=".", compare=False)
    config_path: Optional[str] = field(default=None, compare=False)

    def digest(self) -> str:
        """sha256 of the settings that can change results (for caches and reports)."""
        payload = {
            "select": self.select,
            "ignore": self.ignore,
            "per_file_ignores": self.per_file_ignores,
            "audience": self.audience,
            "consent_age": self.consent_age,
            "personal_data": self.personal_data,
            "age_gates": self.age_gates,
            "safety": self.safety,
            "sdks": self.sdks,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def personal_data_dict(self) -> Dict[str, Any]:
        return _thaw(self.personal_data)

    def to_json(self) -> Dict[str, Any]:
        return {
            "select": list(self.select),
            "ignore": list(self.ignore),
            "exclude": list(self.exclude),
            "extend-exclude": list(self.extend_exclude),
            "per-file-ignores": {glob: list(codes) for glob, codes in self.per_file_ignores},
            "fail-on": self.fail_on.label,
            "audience": self.audience,
            "consent-age": self.consent_age,
            "respect-gitignore": self.respect_gitignore,
            "cache-dir": self.cache_dir,
            "jobs": self.jobs,
            "file-timeout": self.file_timeout,
            "personal-data": self.personal_data_dict,
            "age-gates": _thaw(self.age_gates),
            "safety": _thaw(self.safety),
            "sdks": json.loads(self.sdks) if self.sdks else {},
            "config-path": self.config_path,
        }


# -- schema ----------------------------------------------------------------

Validator = Callable[[Any, str], Any]


def _list_of_str(what: str) -> Validator:
    def check(value: Any, where: str) -> Tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of {what} (strings), got {_describe(value)}")
        return tuple(value)

    return check


def _severity(value: Any, where: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be one of low, medium, high, critical, got {_describe(value)}")
    try:
        return Severity.parse(value)
    except ValueError:
        raise ConfigError(
            f"{where} must be one of low, medium, high, critical, got {value!r}"
        ) from None


def _audience(value: Any, where: str) -> str:
    if value not in AUDIENCES:
        raise ConfigError(f"{where} must be one of {', '.join(AUDIENCES)}, got {_describe(value)}")
    return value


def _int_range(low: int, high: int) -> Validator:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"{where} must be a whole number from {low} to {high}, got {_describe(value)}")
        return value

    return check


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
        raise ConfigError(f"{where} must be a number of seconds from 0 (no limit) to 86400, got {_describe(value)}")
    return float(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {_describe(value)}")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string, got {_describe(value)}")
    return value


def _per_file_ignores(value: Any, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where} must be a table mapping glob patterns to lists of rule codes, got {_describe(value)}"
        )
    out = []
    for glob, codes in value.items():
        out.append((glob, _list_of_str("rule codes or prefixes")(codes, f"{where}.{glob!r}")))
    return tuple(sorted(out))


def _table(value: Any, where: str) -> Tuple[Tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {_describe(value)}")
    return _freeze(value)


def _sdks(value: Any, where: str) -> str:
    """Extra analytics/ad sink entries: `[[tool.copguard.sdks.sink]]`, shaped like data/sdks.toml."""
    from .analysis.sinks import validate_entries

    problems = validate_entries(value, where)
    if problems:
        raise ConfigError("; ".join(problems))
    return json.dumps(value, sort_keys=True)


AGE_GATE_KEYS = ("functions", "decorators", "dependencies", "permissions")


def _age_gates(value: Any, where: str) -> Tuple[Tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table with keys {', '.join(AGE_GATE_KEYS)}, got {_describe(value)}")
    for key, names in value.items():
        if key not in AGE_GATE_KEYS:
            raise ConfigError(f"{where} has unknown key {key!r}; known keys: {', '.join(AGE_GATE_KEYS)}")
        _list_of_str("dotted names")(names, f"{where}.{key}")
    return _freeze(value)


SAFETY_KEYS = ("scan-hooks", "block-checks", "help-resources")


def _safety(value: Any, where: str) -> Tuple[Tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table with keys {', '.join(SAFETY_KEYS)}, got {_describe(value)}")
    for key, names in value.items():
        if key not in SAFETY_KEYS:
            raise ConfigError(f"{where} has unknown key {key!r}; known keys: {', '.join(SAFETY_KEYS)}")
        _list_of_str("function or setting names")(names, f"{where}.{key}")
    return _freeze(value)


SCHEMA: Dict[str, Tuple[str, Validator]] = {
    "select": ("select", _list_of_str("rule codes or prefixes")),
    "ignore": ("ignore", _list_of_str("rule codes or prefixes")),
    "exclude": ("exclude", _list_of_str("glob patterns")),
    "extend-exclude": ("extend_exclude", _list_of_str("glob patterns")),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "fail-on": ("fail_on", _severity),
    "audience": ("audience", _audience),
    "consent-age": ("consent_age", _int_range(1, 21)),
    "respect-gitignore": ("respect_gitignore", _bool),
    "cache-dir": ("cache_dir", _str),
    "jobs": ("jobs", _int_range(0, 256)),
    "file-timeout": ("file_timeout", _seconds),
    "personal-data": ("personal_data", _table),
    "age-gates": ("age_gates", _age_gates),
    "safety": ("safety", _safety),
    "sdks": ("sdks", _sdks),
}

RULE_CODE_KEYS = ("select", "ignore")


def _describe(value: Any) -> str:
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a table"}
    return f"{kind.get(type(value), type(value).__name__)} ({value!r})"


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and all(isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) for v in value):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


# -- loading ---------------------------------------------------------------


def settings_from_table(
    table: Mapping[str, Any],
    source: str,
    known_codes: Iterable[str],
    base: Optional[Settings] = None,
) -> Settings:
    """Validate a `[tool.copguard]` table and return the settings it describes."""
    settings = base or Settings()
    changes: Dict[str, Any] = {}
    codes = tuple(known_codes)
    for key, value in table.items():
        where = f"{source}: [tool.{TOOL_TABLE}] {key}"
        if key not in SCHEMA:
            hint = _closest(key, SCHEMA)
            raise ConfigError(
                f"{source}: [tool.{TOOL_TABLE}] has unknown key {key!r}"
                + (f" (did you mean {hint!r}?)" if hint else "")
                + f"; known keys: {', '.join(sorted(SCHEMA))}"
            )
        attribute, validator = SCHEMA[key]
        checked = validator(value, where)
        if key in RULE_CODE_KEYS:
            check_codes(checked, codes, where)
        if key == "per-file-ignores":
            for glob, glob_codes in checked:
                check_codes(glob_codes, codes, f"{where}.{glob!r}")
        changes[attribute] = checked
    return replace(settings, **changes)


def check_codes(values: Sequence[str], known_codes: Sequence[str], where: str) -> None:
    """Every value must be a rule code or a prefix of one (`COP`, `COP1`, `COP10`, `COP101`)."""
    for value in values:
        if value == "ALL":
            continue
        if not any(code.startswith(value) for code in known_codes) or not value.startswith("COP"):
            raise ConfigError(
                f"{where} names unknown rule code or prefix {value!r}: expected a code such as "
                f"COP101 or a prefix such as COP1 (see `copguard rules`)"
            )


def _closest(key: str, options: Iterable[str]) -> Optional[str]:
    import difflib

    match = difflib.get_close_matches(key, list(options), n=1)
    return match[0] if match else None


def read_pyproject(path: Path) -> Optional[Dict[str, Any]]:
    """The `[tool.copguard]` table of a pyproject.toml, or None if it has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: [tool] must be a table")
    for wrong in ("copguard-lint", "copguard_lint"):
        if wrong in tool:
            raise ConfigError(f"{path}: found [tool.{wrong}]; the table is named [tool.{TOOL_TABLE}]")
    table = tool.get(TOOL_TABLE)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TOOL_TABLE}] must be a table")
    return table


def find_config(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml at or above `start` that has a [tool.copguard] table."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            try:
                if read_pyproject(candidate) is not None:
                    return candidate
            except ConfigError:
                # A broken pyproject.toml on the way up is an error only if it is ours:
                # any spelling of a copguard table (`[tool.copguard]`, its subtables,
                # dotted keys, the misnamed `[tool.copguard-lint]`), never a silent default.
                if _MENTIONS_OUR_TABLE.search(_safe_read(candidate)):
                    raise
    return None


_MENTIONS_OUR_TABLE = re.compile(r"""\btool\s*\.\s*["']?copguard""")


def _safe_read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def load_settings(
    paths: Sequence[str],
    known_codes: Iterable[str],
    config_file: Optional[str] = None,
    cwd: Optional[Path] = None,
) -> Settings:
    """Settings for a run over `paths`: from `--config`, else discovered, else defaults."""
    cwd = cwd or Path.cwd()
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"{config_file}: configuration file not found")
        table = read_pyproject(path) if path.suffix == ".toml" else None
        if table is None:
            # A pyproject.toml without our table configures nothing (its other
            # tables are not ours to validate); any other file is copguard's own.
            table = {} if path.name == "pyproject.toml" else _read_plain_copguard_toml(path)
        return settings_from_table(
            table, str(config_file), known_codes,
            Settings(root=str(path.resolve().parent), config_path=str(config_file)),
        )
    start = _common_start(paths, cwd)
    found = find_config(start)
    if found is None:
        return Settings(root=str(cwd.resolve()))
    table = read_pyproject(found) or {}
    shown = _display(found, cwd)
    return settings_from_table(
        table, shown, known_codes, Settings(root=str(found.parent), config_path=shown)
    )


def _read_plain_copguard_toml(path: Path) -> Dict[str, Any]:
    """A `--config` file that is not a pyproject: `[tool.copguard]` or top-level keys."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None
    tool = data.get("tool")
    if isinstance(tool, dict) and isinstance(tool.get(TOOL_TABLE), dict):
        return tool[TOOL_TABLE]
    return data


def _common_start(paths: Sequence[str], cwd: Path) -> Path:
    import os

    existing = [str((cwd / p).resolve()) for p in paths if p != "-" and (cwd / p).exists()]
    if not existing:
        return cwd
    common = Path(os.path.commonpath(existing))
    return common if common.is_dir() else common.parent


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
