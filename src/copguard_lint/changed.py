"""`copguard check --diff REF`: report findings only on lines changed since REF.

The whole tree is still scanned, so project-level rules (a helper in an
unchanged file forwarding data to a sink) see everything; only the findings
reported are filtered. Changed lines are the added or modified lines of
`git diff --unified=0 REF` (the working tree, staged or not, against REF),
plus every line of untracked files that are not ignored. Renames are
followed, so a file that was only moved reports nothing.

Findings about a whole file rather than a line (COP001, a file that could not
be parsed) are kept when the file changed at all.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Optional, Sequence, Set, Tuple

from .findings import Finding

HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,(?P<count>\d+))? @@")
WHOLE_FILE_RULES = ("COP001",)


class DiffError(Exception):
    """Not in a git repository, git missing, or REF unknown."""


@dataclass
class ChangedLines:
    """Changed lines per file, keyed by absolute path; None for a wholly new (untracked) file."""

    ref: str
    top: Path
    files: Dict[str, Optional[Set[int]]] = field(default_factory=dict)

    def file_changed(self, path: Path) -> bool:
        return _key(path) in self.files

    def line_changed(self, path: Path, line: int) -> bool:
        lines = self.files.get(_key(path), set())
        return lines is None or line in lines


def _key(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _git(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=str(cwd),
            capture_output=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise DiffError("--diff needs git, and no `git` command was found") from None
    except subprocess.TimeoutExpired:
        raise DiffError(f"`git {' '.join(args)}` did not finish in 5 minutes") from None


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def changed_lines(ref: str, cwd: Optional[Path] = None) -> ChangedLines:
    """The lines changed since `ref` in the git repository containing `cwd`."""
    cwd = Path(cwd or Path.cwd())
    top_run = _git(["rev-parse", "--show-toplevel"], cwd)
    if top_run.returncode != 0:
        raise DiffError(f"--diff {ref}: {cwd} is not inside a git repository")
    top = Path(_text(top_run.stdout).strip())
    if ref.startswith("-"):
        raise DiffError(f"--diff {ref}: not a git revision")
    verify = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top)
    if verify.returncode != 0:
        raise DiffError(f"--diff {ref}: unknown git revision (try a branch, tag or commit, e.g. origin/main)")
    commit = _text(verify.stdout).strip()
    diff = _git(
        ["diff", "--unified=0", "--no-color", "--no-ext-diff", "--find-renames", "--diff-filter=AMRC",
         "--src-prefix=a/", "--dst-prefix=b/", commit, "--"],
        top,
    )
    if diff.returncode != 0:
        raise DiffError(f"`git diff {ref}` failed: {_text(diff.stderr).strip()}")
    result = ChangedLines(ref, top)
    for relative, lines in parse_diff(_text(diff.stdout)).items():
        result.files[_key(top / relative)] = lines
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    if untracked.returncode != 0:
        raise DiffError(f"`git ls-files` failed: {_text(untracked.stderr).strip()}")
    for relative in _text(untracked.stdout).split("\0"):
        if relative:
            result.files[_key(top / relative)] = None
    return result


def parse_diff(text: str) -> Dict[str, Set[int]]:
    """{path in the new tree: added or changed line numbers} from `git diff --unified=0` output."""
    out: Dict[str, Set[int]] = {}
    current: Optional[Set[int]] = None
    for line in text.splitlines():
        if line.startswith("diff --git "):
            current = None
        elif line.startswith("+++ "):
            name = line[4:].rstrip("\t")
            if name == "/dev/null":
                current = None
                continue
            name = _unquote(name)
            if name.startswith("b/"):
                name = name[2:]
            current = out.setdefault(name, set())
        elif current is not None and line.startswith("@@"):
            match = HUNK.match(line)
            if match:
                start = int(match.group("start"))
                count = int(match.group("count")) if match.group("count") is not None else 1
                current.update(range(start, start + count))
    return out


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted (with octal escapes for bytes) when it has odd characters."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    body = name[1:-1]
    data = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            octal = body[index + 1:index + 4]
            if len(octal) == 3 and all(digit in "01234567" for digit in octal):
                data.append(int(octal, 8) & 0xFF)
                index += 4
                continue
            data.append(_ESCAPES.get(following, ord(following)))
            index += 2
            continue
        data.extend(char.encode("utf-8", "surrogateescape"))
        index += 1
    return data.decode("utf-8", "surrogateescape")


def keep_changed(findings: Sequence[Finding], changed: ChangedLines, cwd: Path) -> Tuple[Finding, ...]:
    """The findings on changed lines (whole-file findings: in changed files)."""
    out = []
    for finding in findings:
        path = Path(finding.path) if Path(finding.path).is_absolute() else cwd / finding.path
        if finding.rule in WHOLE_FILE_RULES:
            if changed.file_changed(path):
                out.append(finding)
        elif changed.line_changed(path, finding.line):
            out.append(finding)
    return tuple(out)


def filter_result(result, changed: ChangedLines, cwd: Optional[Path] = None):
    """The run with only the findings on changed lines.

    Suppressions are left as they are: they are a record of the whole scan, and
    whether a comment was used does not depend on which lines changed.
    """
    cwd = Path(cwd or Path.cwd())
    return replace(result, findings=keep_changed(result.findings, changed, cwd))
