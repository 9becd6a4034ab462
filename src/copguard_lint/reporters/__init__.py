"""Output formats. Each reporter turns a RunResult into text; none has logic of its own."""

from __future__ import annotations

from typing import Callable, Dict

from . import github, gitlab, json_format, sarif, text

Reporter = Callable[..., str]

REPORTERS: Dict[str, Reporter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
    "gitlab": gitlab.render,
}
