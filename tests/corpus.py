"""A small generated corpus for cache and determinism tests.

Files mix what the shipped rules look at (logging and analytics calls with
personal data, child ages, locations, models), suppression comments, project
facts (classes, views), syntax errors, undecodable bytes and clean files, so
that every kind of per-file result goes through the cache, the pool and the
prefilter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

_TEMPLATES = (
    '''import logging

logger = logging.getLogger(__name__)


def register_{n}(request, child):
    email = request.POST["email"]
    logger.info("new child %s born %s", email, child.date_of_birth)
    print(child.first_name)
    return email
''',
    '''from django.db import models


class Profile{n}(models.Model):
    child_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    latitude = models.FloatField(null=True)
    show_location = models.BooleanField(default=True)


class Message:
    pass
''',
    '''import analytics


def track_{n}(user):
    analytics.track(user.id, "signup", {{"age": user.age, "email": user.email}})  # copguard: ignore[COP101] reason
    name = input()  # noqa: COP903
    return name
''',
    '''def broken_{n}(:
    pass
''',
    '''VALUE_{n} = {n}


def helper_{n}(items):
    return [item * {n} for item in items if item]
''',
    '''from flask import Flask, request

app = Flask(__name__)


@app.route("/signup/{n}", methods=["POST"])
def signup_{n}():
    age = int(request.form["age"])
    name = request.form["name"]
    app.logger.warning("signup %s aged %s", name, age)
    return {{"ok": True}}
''',
)


def generated_files(count: int = 30) -> Dict[str, object]:
    files: Dict[str, object] = {}
    for n in range(count):
        template = _TEMPLATES[n % len(_TEMPLATES)]
        files[f"pkg{n % 4}/mod_{n:02d}.py"] = template.format(n=n)
    files["pkg0/latin1.py"] = b"# -*- coding: latin-1 -*-\nname = '\xe9'\nprint(name)\n"
    files["pkg1/undecodable.py"] = b"x = '\xff\xfe'\n"
    return files


def write_corpus(root: Path, count: int = 30) -> List[Tuple[Path, str]]:
    """Write the corpus under `root`; (path, display) pairs, sorted."""
    files = generated_files(count)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return [(root / relative, relative) for relative in sorted(files)]
