#!/usr/bin/env python3
"""Generate the generated parts of the rule docs in rules/ from rule metadata and the catalog.

    python tools/gen_rule_docs.py           # rewrite rules/COPnnn.md and rules/README.md in place
    python tools/gen_rule_docs.py --check   # exit 1, with a diff, if anything generated is stale

Generated: each page's heading and metadata line, its `## Guideline clauses`
list (between `<!-- generated: ... -->` markers), and the index table of
rules/README.md. Everything else in a page is hand-written and left alone.
A registered rule without a page gets a skeleton page to fill in (the tests
fail until its TODOs are replaced by real prose and working examples).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "src"))

from copguard_lint.catalog import CatalogError, load_catalog  # noqa: E402
from copguard_lint.rule_docs import check_docs, write_docs  # noqa: E402

DEFAULT_DIR = REPO_ROOT / "rules"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated part is stale or a page is missing")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the rule docs folder (default: rules/)")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog(args.dir / "clauses.toml")
        if args.check:
            problems = check_docs(args.dir, catalog=catalog)
            for problem in problems:
                print(problem, file=sys.stderr)
            if problems:
                print(f"{len(problems)} problem(s); run `python tools/gen_rule_docs.py`", file=sys.stderr)
                return 1
            print("rule docs are up to date")
            return 0
        changed = write_docs(args.dir, catalog=catalog)
    except (CatalogError, KeyError) as error:
        print(f"gen_rule_docs: error: {error}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    if not changed:
        print("rule docs are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
