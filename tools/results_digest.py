"""Dump every finding, fact and error of a run, to check that a refactor changes no result.

    python tools/results_digest.py dump OUT.json PATH...   (run from the scanned tree's root)
    python tools/results_digest.py compare BEFORE.json AFTER.json

A speed-up must not change what copguard reports. `dump` lints PATH with all
rules, the prefilter on, 2 workers and no cache, and writes the sorted
findings, facts and errors; `compare` prints what only one side has and exits
1 if anything differs. Run both sides with the same PYTHONHASHSEED if you
compare facts of an older tree (facts were seed-dependent before sorting).
Facts may legitimately differ when a change leaves an analysis out of files
on purpose (see prefilter.py): then compare the findings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Sequence


def dump(out: Path, paths: Sequence[str]) -> Dict[str, List[str]]:
    from copguard_lint.config import Settings
    from copguard_lint.discovery import discover
    from copguard_lint.engine import Engine

    settings = Settings()
    engine = Engine(settings)
    found = discover(list(paths), settings, cwd=Path.cwd())
    results = engine.lint_linked(found.files, engine.lint_many(found.files, 2), 2)
    run = engine.finish_run(results)
    data = {
        "findings": sorted(json.dumps(f.to_json(), sort_keys=True) for f in run.findings),
        "facts": sorted(json.dumps(f.to_json(), sort_keys=True, default=str) for r in results for f in r.facts),
        "errors": sorted(json.dumps(e.to_json(), sort_keys=True) for e in run.errors),
    }
    out.write_text(json.dumps(data, indent=0), encoding="utf-8")
    print(f"{len(found.files)} files: {len(data['findings'])} findings, {len(data['facts'])} facts, "
          f"{len(data['errors'])} errors")
    return data


def compare(before: Path, after: Path) -> bool:
    """Print the differences; True if there are none."""
    old = json.loads(before.read_text(encoding="utf-8"))
    new = json.loads(after.read_text(encoding="utf-8"))
    same = True
    for part in ("findings", "facts", "errors"):
        lost, gained = set(old[part]) - set(new[part]), set(new[part]) - set(old[part])
        if lost or gained or len(old[part]) != len(new[part]):
            same = False
            print(f"{part}: {len(lost)} only before, {len(gained)} only after")
            for line in sorted(lost)[:5]:
                print("  -", line[:300])
            for line in sorted(gained)[:5]:
                print("  +", line[:300])
    print("identical" if same else "different")
    return same


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("paths", nargs="+")
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    args = parser.parse_args(list(argv) or None)
    if args.command == "dump":
        dump(args.out, args.paths)
        return 0
    return 0 if compare(args.before, args.after) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
