"""Linting files in worker processes, with a merge that does not depend on timing.

Workers build their own Engine once (from picklable settings and rule classes)
and return FileResults, which are plain data. Results are sorted by path
afterwards, so the output is the same with 1 worker or N.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from .findings import FileResult

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

_worker_engine: Optional["Engine"] = None


def _init_worker(settings, rules, cache_location: Optional[Tuple[str, str]] = None) -> None:
    global _worker_engine
    from .cache import ResultCache
    from .engine import Engine

    cache = ResultCache(Path(cache_location[0]), cache_location[1]) if cache_location else None
    _worker_engine = Engine(settings, rules, cache=cache)


def _lint_chunk(chunk: Sequence[Tuple[str, str, bool]]) -> List[FileResult]:
    assert _worker_engine is not None
    return [_worker_engine.lint_path(Path(path), display, force) for path, display, force in chunk]


def _chunks(files: Sequence[Tuple[Path, str]], workers: int, force: bool = False) -> List[List[Tuple[str, str, bool]]]:
    """Largest files first, spread round-robin, in chunks small enough to balance load."""

    def size(item: Tuple[Path, str]) -> int:
        try:
            return item[0].stat().st_size
        except OSError:
            return 0

    ordered = sorted(files, key=size, reverse=True)
    per_chunk = max(1, min(32, len(ordered) // (workers * 8) or 1))
    return [
        [(str(path), display, force) for path, display in ordered[i : i + per_chunk]]
        for i in range(0, len(ordered), per_chunk)
    ]


def _cache_location(engine: "Engine") -> Optional[Tuple[str, str]]:
    """What a worker needs to open the same result cache: (root, key), or None."""
    cache = engine.cache
    return (str(cache.root), cache.key) if cache is not None else None


def _context():
    if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def lint_in_pool(
    engine: "Engine",
    files: Sequence[Tuple[Path, str]],
    jobs: int,
    progress: Optional[Callable[[int], None]] = None,
    force: bool = False,
) -> List[FileResult]:
    """Lint `files` in worker processes; `progress` is called with each finished chunk's size.

    `force`: lint even the files the prefilter would skip (see Engine.lint_linked).
    """
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    workers = max(1, min(workers, len(files)))
    if workers == 1:
        return engine.lint_many(files, 1, progress, force)
    results: List[FileResult] = []
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(engine.settings, engine.rules, _cache_location(engine)),
        )
    except (OSError, NotImplementedError):
        # No working process semaphores here (some containers and serverless
        # sandboxes): the same results, one file after another.
        return engine.lint_many(files, 1, progress, force)
    with pool:
        for chunk_results in pool.map(_lint_chunk, _chunks(files, workers, force)):
            results.extend(chunk_results)
            if progress is not None:
                progress(len(chunk_results))
    return results
