"""Where the data shipped with copguard-lint lives.

An installed wheel carries the top-level ``rules/`` folder of the source tree as
``copguard_lint/_rules`` (see ``[tool.hatch.build.targets.wheel.force-include]``
in pyproject.toml). A source checkout (plain or editable install, or running
from ``src/``) has no ``_rules`` folder, so the checkout's ``rules/`` is used.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CATALOG_FILENAME", "catalog_path", "rules_dir"]

CATALOG_FILENAME = "clauses.toml"


def rules_dir() -> Path:
    """Return the directory that holds the rule docs and ``clauses.toml``.

    Looks first for ``_rules`` inside the installed package, then for the
    top-level ``rules/`` folder of a source checkout. A candidate only counts
    when it contains ``clauses.toml``. Raises RuntimeError when neither does.
    """
    here = Path(__file__).resolve()
    packaged = here.parent / "_rules"
    checkout = here.parents[2] / "rules" if len(here.parents) > 2 else None
    candidates = [packaged] + ([checkout] if checkout is not None else [])
    for candidate in candidates:
        if (candidate / CATALOG_FILENAME).is_file():
            return candidate
    tried = ", ".join(str(c / CATALOG_FILENAME) for c in candidates)
    raise RuntimeError(
        f"copguard-lint cannot find its rule data: no {CATALOG_FILENAME} at {tried}. "
        "An installed package should contain copguard_lint/_rules (reinstall the "
        "wheel); a source checkout should contain rules/clauses.toml "
        "(rebuild it with `python tools/build_catalog.py`)."
    )


def catalog_path() -> Path:
    """Path of the clause catalog (``clauses.toml``) in :func:`rules_dir`."""
    return rules_dir() / CATALOG_FILENAME
