"""Every rule shipped with copguard-lint, in code order.

The list is explicit on purpose: greppable, ordered, and a new rule cannot be
half-registered.
"""

from __future__ import annotations

from typing import Tuple

from ..rule import AnyRule
from .engine_rules import UnanalysableFile
from .exposure import EXPOSURE_RULES

ALL_RULES: Tuple[AnyRule, ...] = (UnanalysableFile, *EXPOSURE_RULES)
