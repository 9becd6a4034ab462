"""Loading the package's data files (vocabularies, sink and SDK catalogs)."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@lru_cache(maxsize=None)
def load_data(name: str) -> Dict[str, Any]:
    """Parse `copguard_lint/data/<name>` (a TOML file shipped in the package)."""
    from importlib.resources import files

    text = (files("copguard_lint") / "data" / name).read_text(encoding="utf-8")
    return tomllib.loads(text)
