"""Rule selection: which rules run, by code or prefix, Ruff-style.

The longest matching prefix wins between `select` and `ignore`, so
`select = ["COP1"]`, `ignore = ["COP10"]`, and `select = ["COP101"]` on the
command line compose predictably.
"""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Sequence, Tuple

from .rule import AnyRule, ProjectRule, Rule, iter_rule_problems

ENGINE_CODES = ("COP001", "COP002", "COP003", "COP004")  # reported by the engine, not by visitors


def all_rules() -> Tuple[AnyRule, ...]:
    from .rules import ALL_RULES

    return ALL_RULES


def known_codes(rules: Optional[Iterable[AnyRule]] = None) -> Tuple[str, ...]:
    return tuple(rule.code for rule in (rules if rules is not None else all_rules()))


def _longest_match(code: str, prefixes: Sequence[str]) -> int:
    best = -1
    for prefix in prefixes:
        if prefix == "ALL":
            best = max(best, 0)
        elif code.startswith(prefix):
            best = max(best, len(prefix))
    return best


def is_selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    chosen = _longest_match(code, select)
    if chosen < 0:
        return False
    return _longest_match(code, ignore) < chosen or _longest_match(code, ignore) < 0


def by_code(rules: Optional[Iterable[AnyRule]] = None) -> Dict[str, AnyRule]:
    return {rule.code: rule for rule in (rules if rules is not None else all_rules())}


def split_rules(rules: Iterable[AnyRule]) -> Tuple[Tuple[type, ...], Tuple[type, ...]]:
    """(per-file rules, project rules); engine-reported rules have no visitor work."""
    file_rules = []
    project_rules = []
    for rule in rules:
        if rule.code in ENGINE_CODES:
            continue
        if isinstance(rule, type) and issubclass(rule, ProjectRule):
            project_rules.append(rule)
        elif isinstance(rule, type) and issubclass(rule, Rule):
            file_rules.append(rule)
    return tuple(file_rules), tuple(project_rules)


def validate(rules: Iterable[AnyRule]) -> Tuple[str, ...]:
    problems = []
    seen: Dict[str, str] = {}
    for rule in rules:
        problems.extend(iter_rule_problems(rule))
        if rule.code in seen:
            problems.append(f"{rule.__name__}: code {rule.code} already used by {seen[rule.code]}")
        seen[rule.code] = rule.__name__
    return tuple(problems)
