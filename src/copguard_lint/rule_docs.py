"""Rule documentation pages: `rules/COPnnn.md`, their generated parts, and their examples.

Every registered rule has one Markdown page in the rule data folder (the
checkout's `rules/`, shipped in the wheel as `copguard_lint/_rules`). The prose
is written by hand; three parts are generated from rule metadata and the clause
catalog so they cannot drift:

* the heading, `# COP101: child-data-in-logs` (the page's first line);
* the metadata line, between `<!-- generated: meta -->` and `<!-- end generated -->`;
* the clause list, between `<!-- generated: clauses -->` and `<!-- end generated -->`
  inside `## Guideline clauses`.

The index, `rules/README.md`, has one generated block (`<!-- generated: index -->`).

`tools/gen_rule_docs.py` rewrites the generated parts in place (and writes a
skeleton page for a rule that has none); `--check` fails when anything is stale.
`copguard explain CODE` prints a page with freshly generated parts.

The doc examples are executable: the first ```python block of `## Example`
must make the rule report, the one of `## Use instead` must not. An example
for a project rule can hold several files, each introduced by a `# file: path.py`
line.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .catalog import Catalog, load_catalog
from .rule import AnyRule, ProjectRule

__all__ = [
    "INDEX_FILENAME",
    "SECTIONS",
    "DocProblem",
    "check_docs",
    "example_blocks",
    "generate_docs",
    "generated_blocks",
    "page_filename",
    "parse_sections",
    "render_clause_block",
    "render_index_block",
    "render_meta_line",
    "rule_scope",
    "run_example",
    "section",
    "split_example_files",
    "strip_markers",
    "update_index",
    "update_page",
    "write_docs",
]

SECTIONS: Tuple[str, ...] = (
    "What it does",
    "Why it matters for children",
    "Example",
    "Use instead",
    "Configuration",
    "Guideline clauses",
    "References",
)
INDEX_FILENAME = "README.md"
PAGE_NAME = re.compile(r"^COP[0-9]{3}\.md$")

_BEGIN = "<!-- generated: {name} -->"
_END = "<!-- end generated -->"
_BLOCK = re.compile(
    r"<!-- generated: (?P<name>[a-z-]+) -->\n(?P<body>.*?)<!-- end generated -->",
    re.DOTALL,
)
_MARKER_LINE = re.compile(r"^<!-- (generated: [a-z-]+|end generated) -->\n?", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)")
_FILE_MARKER = re.compile(r"^#\s*file:\s*(?P<path>\S.*?)\s*$")

INDEX_INTRO = """\
# copguard rules

One page per rule: what it finds, why it matters for children, an example that
triggers it and one that does not, its settings, and the guideline clauses it
concerns. `copguard explain CODE` prints a page in the terminal; `copguard rules`
lists the rules; `copguard coverage` reports, clause by clause, what a scan
checked and found.

The table and each page's metadata line and clause list are generated from the
rules' metadata and `clauses.toml` by `python tools/gen_rule_docs.py`; do not
edit them by hand (`--check` fails when they are stale). The prose is written by
hand.

"""

SKELETON = """\
# {code}: {name}

<!-- generated: meta -->
<!-- end generated -->

## What it does

TODO: what the rule finds, in two or three sentences.

## Why it matters for children

TODO: the harm to a child, concretely.

## Example

```python
# TODO: realistic code that makes {code} report.
```

## Use instead

```python
# TODO: the same code, fixed; {code} must not report it.
```

## Configuration

TODO: the settings that change what this rule finds (see the README's Configuration section).

## Guideline clauses

<!-- generated: clauses -->
<!-- end generated -->

## References

- TODO: the primary sources behind the clauses above.
"""


@dataclass(frozen=True)
class DocProblem:
    """Something wrong or stale in the rule docs; `diff` is set for stale generated text."""

    path: str
    message: str
    diff: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (f"\n{self.diff}" if self.diff else "")


# -- metadata ------------------------------------------------------------------


def page_filename(code: str) -> str:
    return f"{code}.md"


def is_project_rule(rule: AnyRule) -> bool:
    return isinstance(rule, type) and issubclass(rule, ProjectRule)


def rule_scope(rule: AnyRule) -> str:
    """"file" (one file at a time) or "project" (the whole scanned tree)."""
    return "project" if is_project_rule(rule) else "file"


def _has_cross_file_part(rule: AnyRule) -> bool:
    check = getattr(rule, "has_project_part", None)
    return bool(check()) if callable(check) and not is_project_rule(rule) else False


def render_heading(rule: AnyRule) -> str:
    return f"# {rule.code}: {rule.name}"


def render_meta_line(rule: AnyRule) -> str:
    scope = rule_scope(rule)
    if _has_cross_file_part(rule):
        scope += " (calls into helpers in other files too, with `copguard check`)"
    elif scope == "project":
        scope += " (the whole scanned tree; `copguard check` only, not flake8)"
    return (
        f"**Severity:** {rule.severity.label} · **Confidence:** {rule.confidence.label} · "
        f"**Scope:** {scope}"
    )


def _clause_label(catalog: Catalog, clause_id: str) -> str:
    """The catalog's label without the leading id: title plus any derived-numbering note."""
    label = catalog.describe(clause_id)
    return label[len(clause_id) + 1:] if label.startswith(clause_id + " ") else label


def render_clause_block(rule: AnyRule, catalog: Catalog) -> str:
    """The generated body of `## Guideline clauses` (ends with a newline)."""
    if not rule.clauses:
        note = getattr(rule, "no_clause_note", None)  # a rule may say why it maps to no clause
        return note or (
            "This rule maps to no guideline clause. It makes sure that a file no rule could read is\n"
            "reported instead of passing silently, so every other rule's result can be trusted.\n"
        )
    lines: List[str] = []
    derived: List[str] = []
    for clause_id in rule.clauses:
        clause = catalog.clause(clause_id)  # KeyError names the unknown id
        framework = catalog.framework(clause.framework)
        lines.append(
            f"- `{clause.id}` {_clause_label(catalog, clause.id)}. "
            f"*{framework.id} ({framework.year}); {clause.citation}; checkable: {clause.checkable}.*"
        )
        if framework.derived_numbering and framework.id not in derived:
            derived.append(framework.id)
    for framework_id in derived:
        framework = catalog.framework(framework_id)
        lines.append("")
        lines.append(
            f"**{framework.id} numbering is derived by copguard.** No public text of the "
            f"*{framework.title}* ({framework.year}) was found, so these clause IDs follow "
            "copguard's own structure, taken from the published launch summary, not the "
            "publisher's numbering. They will be re-keyed when the official text is available."
        )
    return "\n".join(lines) + "\n"


def render_index_block(rules: Sequence[AnyRule]) -> str:
    rows = [
        "| Code | Name | Severity | Scope | Clauses | Summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in sorted(rules, key=lambda r: r.code):
        clauses = ", ".join(rule.clauses) if rule.clauses else "none"
        summary = rule.summary.replace("|", "\\|")
        rows.append(
            f"| [{rule.code}]({page_filename(rule.code)}) | {rule.name} | {rule.severity.label} | "
            f"{rule_scope(rule)} | {clauses} | {summary} |"
        )
    return "\n".join(rows) + "\n"


# -- page structure --------------------------------------------------------------


def _outside_fences(text: str) -> List[Tuple[int, str, bool]]:
    """(line index, line, inside a code fence) for every line."""
    out = []
    fence: Optional[str] = None
    for index, line in enumerate(text.split("\n")):
        match = _FENCE.match(line)
        if fence is None and match:
            out.append((index, line, True))
            fence = match.group(1)
            continue
        if fence is not None:
            out.append((index, line, True))
            if line.strip() == fence:
                fence = None
            continue
        out.append((index, line, False))
    return out


def parse_sections(text: str) -> List[Tuple[str, str]]:
    """The `## ` sections of a page, in order: (title, body text)."""
    lines = text.split("\n")
    sections: List[Tuple[str, int]] = []
    for index, line, fenced in _outside_fences(text):
        if not fenced and line.startswith("## "):
            sections.append((line[3:].strip(), index))
    out = []
    for number, (title, start) in enumerate(sections):
        end = sections[number + 1][1] if number + 1 < len(sections) else len(lines)
        out.append((title, "\n".join(lines[start + 1:end])))
    return out


def section(text: str, title: str) -> Optional[str]:
    for name, body in parse_sections(text):
        if name == title:
            return body
    return None


def generated_blocks(text: str) -> Dict[str, str]:
    return {match.group("name"): match.group("body") for match in _BLOCK.finditer(text)}


def _replace_block(text: str, name: str, body: str, insert_after: Optional[re.Pattern] = None) -> str:
    """Replace block `name`'s body; if absent, insert it after the first line matching `insert_after`."""
    block = f"{_BEGIN.format(name=name)}\n{body}{_END}"
    pattern = re.compile(
        re.escape(_BEGIN.format(name=name)) + r"\n.*?" + re.escape(_END), re.DOTALL
    )
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    if insert_after is not None:
        match = insert_after.search(text)
        if match:
            position = match.end()
            rest = text[position:].lstrip("\n")
            return text[:position] + "\n\n" + block + ("\n\n" + rest if rest else "\n")
    raise ValueError(f"no place for the generated {name!r} block")


def update_page(text: str, rule: AnyRule, catalog: Catalog) -> str:
    """The page with its heading, metadata line and clause list regenerated."""
    text = text.replace("\r\n", "\n")
    heading = render_heading(rule)
    lines = text.split("\n")
    if lines and lines[0].startswith("# "):
        lines[0] = heading
    else:
        lines.insert(0, heading)
        lines.insert(1, "")
    text = "\n".join(lines)
    text = _replace_block(text, "meta", render_meta_line(rule) + "\n", re.compile(r"\A# .*$", re.MULTILINE))
    text = _replace_block(
        text, "clauses", render_clause_block(rule, catalog),
        re.compile(r"^## Guideline clauses[ \t]*$", re.MULTILINE),
    )
    return text.rstrip("\n") + "\n"


def update_index(text: Optional[str], rules: Sequence[AnyRule]) -> str:
    if not text:
        text = INDEX_INTRO + _BEGIN.format(name="index") + "\n" + _END + "\n"
    text = text.replace("\r\n", "\n")
    text = _replace_block(text, "index", render_index_block(rules))
    return text.rstrip("\n") + "\n"


def strip_markers(text: str) -> str:
    """The page as a reader sees it: without the generated-block marker comments."""
    return _MARKER_LINE.sub("", text)


# -- generating and checking -------------------------------------------------------


def _defaults(rules: Optional[Sequence[AnyRule]], catalog: Optional[Catalog]):
    if rules is None:
        from .registry import all_rules

        rules = all_rules()
    return tuple(rules), catalog if catalog is not None else load_catalog()


def generate_docs(
    directory: Path,
    rules: Optional[Sequence[AnyRule]] = None,
    catalog: Optional[Catalog] = None,
) -> Dict[Path, Tuple[Optional[str], str]]:
    """Every doc file as it should be: {path: (current text or None, wanted text)}."""
    rules, catalog = _defaults(rules, catalog)
    out: Dict[Path, Tuple[Optional[str], str]] = {}
    for rule in sorted(rules, key=lambda r: r.code):
        path = directory / page_filename(rule.code)
        current = _read(path)
        base = current if current is not None else SKELETON.format(code=rule.code, name=rule.name)
        out[path] = (current, update_page(base, rule, catalog))
    index = directory / INDEX_FILENAME
    current = _read(index)
    out[index] = (current, update_index(current, rules))
    return out


def write_docs(
    directory: Path,
    rules: Optional[Sequence[AnyRule]] = None,
    catalog: Optional[Catalog] = None,
) -> List[Path]:
    """Rewrite the generated parts in place; return the files that changed."""
    changed = []
    for path, (current, wanted) in generate_docs(directory, rules, catalog).items():
        if current != wanted:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:  # LF on every OS
                handle.write(wanted)
            changed.append(path)
    return changed


def check_docs(
    directory: Path,
    rules: Optional[Sequence[AnyRule]] = None,
    catalog: Optional[Catalog] = None,
) -> List[DocProblem]:
    """Missing pages, pages of unknown rules, and stale generated parts (with a diff)."""
    rules, catalog = _defaults(rules, catalog)
    problems: List[DocProblem] = []
    codes = {rule.code for rule in rules}
    for path, (current, wanted) in generate_docs(directory, rules, catalog).items():
        shown = f"rules/{path.name}"
        if current is None:
            problems.append(DocProblem(shown, "missing; run `python tools/gen_rule_docs.py` to create it"))
        elif current != wanted:
            diff = "".join(
                difflib.unified_diff(
                    current.splitlines(keepends=True), wanted.splitlines(keepends=True),
                    fromfile=f"{shown} (committed)", tofile=f"{shown} (generated)",
                )
            )
            problems.append(
                DocProblem(shown, "generated parts are stale; run `python tools/gen_rule_docs.py`", diff)
            )
    for path in sorted(directory.glob("COP*.md")):
        if PAGE_NAME.match(path.name) and path.stem not in codes:
            problems.append(DocProblem(f"rules/{path.name}", f"documents {path.stem}, which is not a registered rule"))
    return problems


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


# -- examples --------------------------------------------------------------------


def example_blocks(text: str, title: str) -> List[str]:
    """The ```python code blocks of section `title`, in order."""
    body = section(text, title)
    if body is None:
        return []
    blocks: List[str] = []
    current: Optional[List[str]] = None
    for line in body.split("\n"):
        if current is None:
            if re.match(r"^```\s*python\s*$", line):
                current = []
        elif line.strip() == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        else:
            current.append(line)
    return blocks


def split_example_files(code: str) -> Optional[List[Tuple[str, str]]]:
    """[(path, source)] when `code` is several files marked by `# file: path.py` lines, else None."""
    files: List[Tuple[str, List[str]]] = []
    preamble: List[str] = []
    for line in code.split("\n"):
        match = _FILE_MARKER.match(line)
        if match:
            files.append((match.group("path"), []))
        elif files:
            files[-1][1].append(line)
        else:
            preamble.append(line)
    if not files:
        return None
    if any(line.strip() for line in preamble):
        raise ValueError("code before the first `# file:` line of a multi-file example")
    out = []
    for path, lines in files:
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise ValueError(f"example file path {path!r} must be relative and stay inside the example")
        out.append((path, "\n".join(lines).strip("\n") + "\n"))
    return out


def run_example(code: str, rule_code: str, workdir: Optional[Path] = None):
    """Lint an example with only `rule_code` selected; return the RunResult.

    A single-file example is linted from memory as `example.py`; a multi-file one
    is written under `workdir` and run like `copguard check` (project rules too).
    """
    from .config import Settings
    from .engine import Engine

    from .registry import by_code

    # A rule about other rules' findings (COP004) names the rules its example needs too.
    also = getattr(by_code().get(rule_code), "doc_example_select", ())
    engine = Engine(Settings(select=(rule_code, *also)))
    files = split_example_files(code)
    if files is None:
        return engine.finish_run([engine.lint_source("example.py", code)])
    if workdir is None:
        raise ValueError("a multi-file example needs a directory to be written to")
    written = []
    for relative, source in files:
        path = workdir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        written.append((path, Path(relative).as_posix()))
    return engine.run(sorted(written, key=lambda item: item[1]))
