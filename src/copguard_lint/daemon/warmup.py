"""Load, before serving, everything a request would otherwise load lazily.

Importing the CLI brings click, libcst and the rules; the vocabularies and
catalogs are parsed on first use (functools caches around `load_data` and
friends), and several modules are imported inside functions. Rather than
list those by hand (and miss the next one), the server runs the real CLI on
a small sample app once per output format, in a scratch directory, with
throwaway streams: whatever a run loads is then in memory, and each forked
child starts with it. gc.freeze() keeps the warm objects out of the
children's collections, so their pages stay shared.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shutil
import sys
import tempfile

SAMPLE = '''\
"""Sign-up for a children's app (sample for the daemon's warm-up)."""
import logging

import requests
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from flask import Flask, request as flask_request

logger = logging.getLogger(__name__)
app = Flask(__name__)


@app.route("/signup", methods=["POST"])
def signup():
    email = flask_request.form["email"]
    birth_date = flask_request.form.get("birth_date")
    age = int(flask_request.form.get("age", 0))
    logger.info("new child %s born %s", email, birth_date)
    requests.post("https://api.segment.io/v1/track", json={"email": email, "age": age})
    if age < 13:
        return {"error": "ask a parent"}, 403
    return {"ok": True}


@login_required
def profile(request):
    child = request.user
    print(child.first_name, child.date_of_birth, child.location)
    return JsonResponse({"name": child.first_name, "school": child.school, "precise_location": child.gps})
'''

FORMATS = ("text", "json", "sarif", "github", "gitlab")


def load() -> None:
    """Import and warm everything; leaves the process in "/" with its own streams."""
    from .. import cli, parallel, registry  # noqa: F401 - imported to be warm
    from . import commands, worker  # noqa: F401

    registry.all_rules()
    _import_pool_modules()
    scratch = tempfile.mkdtemp(prefix="copguard-warmup-")
    try:
        with open(os.path.join(scratch, "app.py"), "w", encoding="utf-8") as handle:
            handle.write(SAMPLE)
        for output_format in FORMATS:
            _run_quietly(cli.main, scratch, ["check", "--no-cache", "--force-exclude", "--exit-zero", "--statistics",
                                             "--format", output_format, "app.py"])
        _run_quietly(cli.main, scratch, ["check", "--no-cache", "--exit-zero", "-", "--stdin-filename", "app.py"],
                     stdin=SAMPLE)
    finally:
        os.chdir("/")
        shutil.rmtree(scratch, ignore_errors=True)
    gc.collect()
    if hasattr(gc, "freeze"):
        gc.freeze()


def _import_pool_modules() -> None:
    """What a directory run with worker processes imports on first use (the sample is one file)."""
    import importlib

    for name in ("concurrent.futures.process", "multiprocessing.popen_fork", "multiprocessing.synchronize"):
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - a platform without them runs without a pool anyway
            pass


def _run_quietly(main, cwd: str, argv, stdin: str = "") -> None:
    saved = sys.stdin, sys.stdout, sys.stderr
    os.chdir(cwd)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with contextlib.suppress(SystemExit, Exception):
            main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
