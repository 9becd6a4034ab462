"""The result cache's command-line options, shared by `check`, `coverage` and `baseline`.

The cache is on by default for files read from disk and off for stdin (and in
the flake8 plugin, which never asks for one). A relative `cache-dir` from the
config is anchored at the config's directory; `--cache-dir` at the cwd.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import click

from .config import Settings
from .engine import Engine


def cache_options(function):
    """`--no-cache` and `--cache-dir DIR`, shared by every command that scans files."""
    function = click.option(
        "--cache-dir", metavar="DIR",
        help="Where to keep cached per-file results (default: the config's cache-dir, "
             ".copguard_cache next to the config; env COPGUARD_CACHE_DIR overrides both).",
    )(function)
    return click.option("--no-cache", is_flag=True, help="Lint every file; neither read nor write the result cache.")(
        function
    )


def make_engine(settings: Settings, no_cache: bool = False, cache_dir: Optional[str] = None) -> Engine:
    """An Engine with the result cache the options ask for (scans of files; never stdin)."""
    return attach_cache(Engine(settings), no_cache, cache_dir)


def attach_cache(engine: Engine, no_cache: bool = False, cache_dir: Optional[str] = None) -> Engine:
    if not no_cache:
        from .cache import ResultCache

        settings = engine.settings
        if cache_dir:  # the option beats COPGUARD_CACHE_DIR; relative to the cwd like every path argument
            engine.cache = ResultCache(Path(os.path.abspath(cache_dir)), engine.cache_key())
        else:
            engine.cache = ResultCache.locate(settings.cache_dir, settings.root, engine.cache_key())
    return engine
