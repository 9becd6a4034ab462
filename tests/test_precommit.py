"""The pre-commit hooks, for real: `pre-commit try-repo` against a temporary git repository.

pre-commit installs a hook repository from git, so the project (as it is on
disk, committed or not) is copied to a temporary directory and committed
there; the hooks then run in a second temporary repository. pre-commit builds
a virtualenv and pip-installs copguard into it, which takes some tens of
seconds: it happens once for the module (the `runs` fixture), and every test
reads the outcome.

Also checked: the hook manifest's conventions and the CI examples.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from ci_support import git, write

REPO_ROOT = Path(__file__).resolve().parents[1]
HOOKS_FILE = REPO_ROOT / ".pre-commit-hooks.yaml"
EXAMPLES = REPO_ROOT / "examples" / "ci"

VIEWS = """\
import logging

logger = logging.getLogger(__name__)


def register(child):
    logger.info("new child %s", child.email)
"""

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with pre-commit
    yaml = None


def _load_yaml(path: Path):
    if yaml is None:
        pytest.skip("PyYAML is not installed (pip install pre-commit brings it)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- the manifest ---------------------------------------------------------------------------


def test_hook_manifest_follows_the_conventions():
    hooks = {hook["id"]: hook for hook in _load_yaml(HOOKS_FILE)}
    assert set(hooks) == {"copguard", "copguard-project"}
    per_file = hooks["copguard"]
    assert per_file["entry"] == "copguard check --force-exclude"
    assert per_file["language"] == "python"
    assert per_file["types_or"] == ["python", "pyi"]
    assert per_file["require_serial"] is True
    assert per_file.get("pass_filenames", True) is True
    project = hooks["copguard-project"]
    assert project["pass_filenames"] is False
    assert project["entry"].startswith("copguard check")
    assert project["language"] == "python"
    assert project["require_serial"] is True
    assert project["types_or"] == ["python", "pyi"]
    for hook in hooks.values():
        assert hook["name"] and hook["description"]
        assert hook["minimum_pre_commit_version"] == "2.9.2"  # types_or


def test_hook_entry_is_a_console_script_of_this_package():
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'copguard = "copguard_lint.entry:main"' in text


# -- the CI examples --------------------------------------------------------------------------


def test_github_workflow_uploads_sarif_with_a_category():
    workflow = _load_yaml(EXAMPLES / "github-actions.yml")
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["category"] == "copguard"
    assert upload["with"]["sarif_file"] == "copguard.sarif"
    assert "always()" in upload["if"]
    commands = " ".join(step.get("run", "") for step in steps)
    assert "copguard check --format sarif --output copguard.sarif" in commands
    assert "--format github --diff" in commands
    scan = workflow["jobs"]["scan"]
    assert scan["permissions"]["security-events"] == "write"


def test_gitlab_job_produces_the_code_quality_report():
    job = _load_yaml(EXAMPLES / "gitlab-ci.yml")["copguard"]
    assert any("--format gitlab --output gl-code-quality.json" in line for line in job["script"])
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    assert job["artifacts"]["when"] == "always"


def test_pre_commit_config_example_uses_both_hooks():
    config = _load_yaml(EXAMPLES / ".pre-commit-config.yaml")
    hook_ids = [hook["id"] for repo in config["repos"] for hook in repo["hooks"]]
    manifest_ids = [hook["id"] for hook in _load_yaml(HOOKS_FILE)]
    assert hook_ids == manifest_ids


# -- pre-commit try-repo, for real ----------------------------------------------------------------


def _copy_project(target: Path) -> None:
    """What pip needs to build copguard from a hook repository, plus the hook manifest."""
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO_ROOT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO_ROOT / "src", target / "src", ignore=ignore)
    shutil.copytree(REPO_ROOT / "rules", target / "rules", ignore=ignore)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Dict[str, subprocess.CompletedProcess]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    hook_repo = tmp_path_factory.mktemp("hook-repo")
    _copy_project(hook_repo)
    git(hook_repo, "init", "-q")
    git(hook_repo, "add", "-A")
    git(hook_repo, "commit", "-q", "-m", "copguard hooks")

    target = tmp_path_factory.mktemp("target-repo")
    write(target, {
        # The rules these tests are about, whatever else ships; vendored/ is excluded.
        "pyproject.toml": '[tool.copguard]\nselect = ["COP0", "COP1"]\nextend-exclude = ["vendored"]\n',
        "app/views.py": VIEWS,
        "app/clean.py": "def add(a, b):\n    return a + b\n",
        "vendored/lib.py": VIEWS,
        "notes.md": "# notes\n",
    })
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "app")

    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env.pop("COPGUARD_DEBUG", None)

    def try_repo(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *args, "--color", "never"],
            cwd=str(target), env=env, capture_output=True, text=True, timeout=1200,
        )

    # try-repo installs the hooks into a fresh environment on every call (some tens of
    # seconds each), so there are two calls: every hook on a commit with a finding, and
    # the per-file hook on a clean commit.
    return {
        "bad": try_repo("--files", "app/views.py", "vendored/lib.py"),
        "clean": try_repo("copguard", "--files", "app/clean.py", "vendored/lib.py"),
    }


def _output(run: subprocess.CompletedProcess) -> str:
    return run.stdout + run.stderr


def _hook_section(output: str, hook_id: str) -> str:
    """What pre-commit printed for one hook: from its status line to the next hook's."""
    lines = output.splitlines()
    marker = lines.index(f"- hook id: {hook_id}")
    start = marker - 1  # the `name.....Failed` status line
    end = len(lines)
    for number in range(marker + 1, len(lines)):
        if lines[number].startswith("- hook id: "):
            end = number - 1
            break
    return "\n".join(lines[start:end])


def test_hooks_fail_on_a_finding(runs):
    run = runs["bad"]
    assert run.returncode == 1, _output(run)
    assert "copguard (whole project)" in run.stdout


def test_per_file_hook_reports_the_committed_file_and_force_excludes(runs):
    section = _hook_section(runs["bad"].stdout, "copguard")
    assert section.startswith("copguard.") and section.split("\n")[0].endswith("Failed")
    assert "app/views.py:7:5: COP101" in section
    # vendored/ is excluded in the target's config: --force-exclude drops it although it was passed.
    assert "vendored/lib.py" not in section
    assert "Found 1 problem in 1 file." in section


def test_project_hook_scans_the_whole_project(runs):
    section = _hook_section(runs["bad"].stdout, "copguard-project")
    assert section.startswith("copguard (whole project).") and section.split("\n")[0].endswith("Failed")
    assert "app/views.py:7:5: COP101" in section
    assert "vendored/lib.py" not in section
    # Every Python file of the project, not the two passed: app/views.py, app/clean.py.
    assert "Found 1 problem in 2 files." in section


def test_per_file_hook_passes_a_clean_commit(runs):
    run = runs["clean"]
    assert run.returncode == 0, _output(run)
    status = [line for line in run.stdout.splitlines() if line.startswith("copguard.")]
    assert len(status) == 1 and status[0].endswith("Passed")
    assert "COP1" not in run.stdout
