"""Run copguard's fuzz properties (tests/robustness/test_fuzz.py) for a while, with fresh randomness.

    python tools/fuzz.py --minutes 10 [--examples 200]

CI runs the same properties with a small derandomized budget. Here every round
draws new programs; the falsifying example of any failure is printed (and the
failure counted) and fuzzing goes on until the time is up. Exit code 1 if
anything failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to fuzz (default 5)")
    parser.add_argument("--examples", type=int, default=200, help="examples per property per round")
    args = parser.parse_args()
    os.environ["COPGUARD_FUZZ_EXAMPLES"] = str(args.examples)
    os.environ["COPGUARD_FUZZ_RANDOM"] = "1"
    sys.path[:0] = [str(ROOT / "tests" / "robustness"), str(ROOT / "tests"), str(ROOT / "src")]
    import test_fuzz  # noqa: E402 - needs the environment above

    properties = [
        test_fuzz.test_programs_from_the_grammar,
        test_fuzz.test_programs_from_syntax_trees,
        test_fuzz.test_app_like_programs,
        test_fuzz.test_mutated_files,
    ]
    if test_fuzz.hypothesmith is None:
        print("hypothesmith is not installed: only the app-like and mutation properties run")
        properties = properties[2:]
    started = time.monotonic()
    deadline = started + args.minutes * 60
    failures = 0
    rounds = 0
    while time.monotonic() < deadline:
        for prop in properties:
            if time.monotonic() >= deadline:
                break
            try:
                prop()
            except Exception:  # noqa: BLE001 - report and keep fuzzing
                failures += 1
                print(f"FAILURE in {prop.__name__}:", flush=True)
                traceback.print_exc()
        rounds += 1
        elapsed = time.monotonic() - started
        print(f"round {rounds}: {test_fuzz.STATS['programs']} programs checked in {elapsed:.0f} s, "
              f"{failures} failure(s)", flush=True)
    elapsed = time.monotonic() - started
    print(f"done: {test_fuzz.STATS['programs']} programs (each linted twice and rendered in every format) "
          f"in {elapsed:.0f} s, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
