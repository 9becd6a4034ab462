"""copguard's per-file rules as a flake8 plugin (entry point `COP`).

Same engine, same rules, same messages as `copguard check`. flake8 owns
`# noqa` here; copguard's own `# copguard: ignore[...]` comments and the
config's `ignore` and `per-file-ignores` still apply, so a setting means the
same thing in both front doors. Project-level rules need the whole tree and
run only in the CLI.

flake8 hands plugins the lines it read (stdin included), so the source is
taken from there rather than re-read from disk.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Tuple, Type

from . import __version__

_engines: Dict[str, object] = {}


def _engine_for(filename: str):
    """One Engine per directory: config discovery is not repeated for every file."""
    from .config import ConfigError, load_settings
    from .engine import Engine
    from .registry import known_codes

    directory = str(Path(filename).resolve().parent) if filename not in ("-", "stdin") else str(Path.cwd())
    if directory not in _engines:
        try:
            settings = load_settings([directory], known_codes())
            _engines[directory] = Engine(settings)
        except ConfigError as error:
            _engines[directory] = error
    return _engines[directory]


class CopguardChecker:
    name = "copguard-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: List[str]) -> None:
        # `tree` is required for flake8 to recognise the plugin type; libcst parses the lines itself.
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Tuple[int, int, str, Type["CopguardChecker"]]]:
        from .config import ConfigError

        engine = _engine_for(self.filename)
        if isinstance(engine, ConfigError):
            yield 1, 0, f"COP001 not checked: configuration error: {engine}", type(self)
            return
        display = self.filename
        source = "".join(self.lines)
        file_result = engine.lint_source(display, source)  # type: ignore[attr-defined]
        # Project rules are not run here; copguard's own suppressions are, noqa is flake8's.
        result = engine.finish_run([file_result], honour_noqa=False, project=False)  # type: ignore[attr-defined]
        for finding in result.findings:
            yield finding.line, max(finding.column - 1, 0), f"{finding.rule} {finding.message}", type(self)
