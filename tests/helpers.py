"""Test-only rules and small helpers for the foundation's tests.

The shipped rule set is being written elsewhere; these rules exist only to
prove the machinery (batched traversal, facts, project rules, suppressions,
selection, severities) with behaviour the tests control completely.

    COP901  every call to `print` (medium)
    COP902  project: classes named Message exist but no class named Report (high)
    COP903  every call to `input` (low)
    COP904  a per-file rule that crashes on `boom()` calls (rule bug -> COP001)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from copguard_lint.config import Settings
from copguard_lint.engine import Engine, RunResult
from copguard_lint.findings import Severity
from copguard_lint.rule import Analysis, ProjectFinding, ProjectRule, Rule
from copguard_lint.rules.engine_rules import UnanalysableFile

TESTS_DIR = Path(__file__).resolve().parent
PYTHON = sys.executable


class PrintCall(Rule):
    code = "COP901"
    name = "print-call"
    summary = "A call to print (test rule)"
    severity = Severity.MEDIUM
    clauses = ("TEST-1",)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            self.report(node, "print() called")


class ClassNames(Analysis):
    """Records a `class` fact for every class definition, with its name."""

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.record("class", node.name, name=node.name.value)


class MessageWithoutReport(ProjectRule):
    code = "COP902"
    name = "message-without-report"
    summary = "A Message class exists but no Report class anywhere (test rule)"
    severity = Severity.HIGH
    clauses = ("TEST-2",)
    requires = (ClassNames,)

    def check(self, project):
        classes = project.facts("class")
        if any(fact.get("name") == "Report" for fact in classes):
            return
        for fact in classes:
            if fact.get("name") == "Message":
                yield ProjectFinding.at(fact, "class Message but no class Report in the project")


class InputCall(Rule):
    code = "COP903"
    name = "input-call"
    summary = "A call to input (test rule)"
    severity = Severity.LOW

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "input":
            self.report(node, "input() called")


class Crashes(Rule):
    code = "COP904"
    name = "crashes"
    summary = "Raises on boom() (test rule for rule bugs)"

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "boom":
            raise ValueError("deliberate test failure")


TEST_RULES = (UnanalysableFile, PrintCall, MessageWithoutReport, InputCall)
TEST_CODES = tuple(rule.code for rule in TEST_RULES)


def make_engine(settings: Optional[Settings] = None, rules: Sequence = TEST_RULES) -> Engine:
    return Engine(settings or Settings(), rules=list(rules))


def write_tree(root: Path, files: Dict[str, object]) -> Path:
    """Create files under `root`; str values are dedented text, bytes are written as is."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(str(content)), encoding="utf-8")
    return root


def lint_text(source: str, path: str = "mod.py", rules: Sequence = TEST_RULES, settings=None):
    """Findings of one source text (dedented), through the whole run pipeline."""
    engine = make_engine(settings, rules)
    return engine.finish_run([engine.lint_source(path, textwrap.dedent(source))])


def key(finding) -> Tuple[str, int, int, str]:
    return (finding.path, finding.line, finding.column, finding.rule)


def keys(result: RunResult) -> List[Tuple[str, int, int, str]]:
    return [key(f) for f in result.findings]


# -- subprocesses ----------------------------------------------------------

_BOOTSTRAP = """
import sys
sys.path.insert(0, {tests!r})
import copguard_lint.rules as shipped
import helpers
shipped.ALL_RULES = helpers.TEST_RULES
sys.argv = [{prog!r}, *sys.argv[1:]]
{run}
"""


def run_process(args: Sequence[str], cwd: Path, *, test_rules: bool = False, stdin: Optional[bytes] = None,
                module: str = "copguard_lint") -> subprocess.CompletedProcess:
    """Run `python -m <module> ARGS` in `cwd`; with test_rules, the test rules replace the shipped ones."""
    env = dict(os.environ)
    env.pop("COPGUARD_DEBUG", None)
    env["PYTHONIOENCODING"] = "utf-8"
    if test_rules:
        run = {
            "copguard_lint": "from copguard_lint.cli import main; main()",
            "flake8": "from flake8.main.cli import main; sys.exit(main())",
        }[module]
        code = _BOOTSTRAP.format(tests=str(TESTS_DIR), prog=module, run=run)
        command = [PYTHON, "-c", code, *args]
    else:
        command = [PYTHON, "-m", module, *args]
    return subprocess.run(command, cwd=str(cwd), env=env, input=stdin, capture_output=True, timeout=120)


def json_of(output: str) -> dict:
    return json.loads(output)


def lines_of(output: str) -> List[str]:
    return [line for line in output.splitlines() if line]


def all_findings(payload: dict) -> Iterable[dict]:
    return payload["findings"]
