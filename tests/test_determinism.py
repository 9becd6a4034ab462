"""Same results whatever the run's mechanics: cache on or off, 1 or 2 workers, prefilter on or off.

Compared on the examples/ tree and a generated corpus, with the shipped rules
(findings, facts, errors, suppression comments and fingerprints all count).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List, Tuple

import pytest

from copguard_lint.cache import ResultCache
from copguard_lint.config import Settings
from copguard_lint.engine import Engine
from corpus import write_corpus

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# All rules; and the rules whose prefilter is on (so skipping files is really exercised).
SELECTIONS = {"all": ("COP",), "prefiltered": ("COP001", "COP5"), "exposure": ("COP001", "COP1")}


def corpus_files(root: Path, which: str) -> List[Tuple[Path, str]]:
    if which == "examples":
        shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("__pycache__", ".copguard_cache"))
        return sorted((p, p.relative_to(root).as_posix()) for p in root.rglob("*.py"))
    return write_corpus(root, 30)


def snapshot(engine: Engine, files, jobs: int = 1):
    """Everything a run produces, per file and after project rules, in comparable form."""
    results = sorted(engine.lint_linked(files, engine.lint_many(files, jobs), jobs), key=lambda r: r.path)
    run = engine.finish_run(results)
    per_file = [(r.path, r.findings, tuple(sorted(r.facts)), r.error, r.suppressions) for r in results]
    fingerprints = [f.fingerprint for f in run.findings]
    return per_file, run, fingerprints, {r.path: r for r in results}


@pytest.fixture(scope="module", params=["examples", "generated"])
def files(request, tmp_path_factory):
    return corpus_files(tmp_path_factory.mktemp(request.param) / "tree", request.param)


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
def test_prefilter_does_not_change_results(files, selection):
    settings = Settings(select=SELECTIONS[selection])
    on = Engine(settings)
    if selection != "all":
        assert on.prefilter is not None
    off = Engine(settings)
    off.prefilter = None
    with_filter, without_filter = snapshot(on, files), snapshot(off, files)
    assert with_filter[1] == without_filter[1]
    assert with_filter[2] == without_filter[2]
    # Per file: the same findings; facts only from the analyses that ran there, which
    # leaves out only facts no link asked for (the project results above are equal).
    skipped = {path: result.skipped for path, result in with_filter[3].items()}
    for (path, findings, facts, error, comments), (path2, findings2, facts2, error2, comments2) in zip(
        with_filter[0], without_filter[0]
    ):
        assert (path, findings, error, comments) == (path2, findings2, error2, comments2)
        assert set(facts) <= set(facts2)
        if not skipped[path]:
            assert facts == facts2


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
def test_lint_source_prefilter_flag_does_not_change_results(files, selection):
    engine = Engine(Settings(select=SELECTIONS[selection]))
    for path, display in files:
        data = path.read_bytes()
        on = engine.lint_source(display, data)
        off = engine.lint_source(display, data, use_prefilter=False)
        assert (on.findings, on.error, on.suppressions) == (off.findings, off.error, off.suppressions)
        assert set(on.facts) <= set(off.facts)
        assert off.skipped == ()
        if not on.skipped:
            assert on.facts == off.facts


def test_one_or_two_workers(files):
    engine = Engine(Settings())
    one, two = snapshot(engine, files, jobs=1), snapshot(engine, files, jobs=2)
    assert one == two


def test_cache_cold_warm_and_off(files, tmp_path):
    settings = Settings()
    plain = snapshot(Engine(settings), files)
    cached = Engine(settings)
    cached.cache = ResultCache(tmp_path / "cache", cached.cache_key())
    cold = snapshot(cached, files)
    warm = snapshot(cached, files, jobs=2)
    warm_one = snapshot(cached, files)
    assert cached.cache.hits >= len(files)
    assert plain == cold == warm == warm_one
