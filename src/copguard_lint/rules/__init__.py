"""Every rule shipped with copguard-lint, in code order.

The list is explicit on purpose: greppable, ordered, and a new rule cannot be
half-registered.
"""

from __future__ import annotations

from typing import Tuple

from ..rule import AnyRule
from .age_assurance import AGE_ASSURANCE_RULES
from .ai_services import AI_RULES
from .engine_rules import SUPPRESSION_RULES, UnanalysableFile
from .defaults import DEFAULTS_RULES
from .exposure import EXPOSURE_RULES
from .parental_rights import PARENTAL_RIGHTS_RULES
from .safety import SAFETY_RULES
from .tracking import TRACKING_RULES

ALL_RULES: Tuple[AnyRule, ...] = (UnanalysableFile, *SUPPRESSION_RULES, *EXPOSURE_RULES, *AI_RULES, *AGE_ASSURANCE_RULES, *PARENTAL_RIGHTS_RULES, *TRACKING_RULES, *SAFETY_RULES, *DEFAULTS_RULES)
