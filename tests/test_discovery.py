"""Which files a run checks: walking, default excludes, .gitignore, config excludes, symlinks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from copguard_lint.config import DEFAULT_EXCLUDES, Settings
from copguard_lint.discovery import discover
from helpers import write_tree


def names(found):
    return [display for _, display in found.files]


def run(tree: Path, paths=(".",), cwd=None, force_exclude=False, **settings):
    """discover() from `cwd` (default `tree`), with settings rooted at `cwd` unless given."""
    cwd = cwd or tree
    settings.setdefault("root", str(cwd))
    return discover(list(paths), Settings(**settings), cwd=cwd, force_exclude=force_exclude)


def git_repo(root: Path) -> Path:
    (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
    return root


# -- walking ------------------------------------------------------------------------


def test_finds_py_and_pyi_only_sorted(tmp_path):
    write_tree(tmp_path, {
        "b.py": "", "a.pyi": "", "pkg/__init__.py": "", "pkg/z/m.py": "", "notes.txt": "", "c.pyc": "",
        "script.pyw": "", "Makefile": "", "pkg/mod.py.orig": "",
    })
    assert names(run(tmp_path)) == ["a.pyi", "b.py", "pkg/__init__.py", "pkg/z/m.py"]


def test_display_paths_are_relative_to_cwd(tmp_path):
    write_tree(tmp_path, {"src/app/m.py": ""})
    found = run(tmp_path, paths=["src"], cwd=tmp_path)
    assert names(found) == ["src/app/m.py"]
    assert found.files[0][0] == tmp_path / "src" / "app" / "m.py"


def test_paths_outside_cwd_are_shown_absolute(tmp_path):
    write_tree(tmp_path, {"elsewhere/m.py": "", "here/x.txt": ""})
    found = run(tmp_path, paths=[str(tmp_path / "elsewhere")], cwd=tmp_path / "here")
    assert names(found) == [(tmp_path / "elsewhere" / "m.py").as_posix()]


def test_the_same_file_named_twice_is_checked_once(tmp_path):
    write_tree(tmp_path, {"a.py": "", "b.py": ""})
    assert names(run(tmp_path, paths=[".", "a.py", "./a.py", str(tmp_path / "a.py")])) == ["a.py", "b.py"]


def test_explicit_file_is_checked_whatever_its_name(tmp_path):
    write_tree(tmp_path, {"bin/tool": "x = 1\n", "notes.txt": ""})
    assert names(run(tmp_path, paths=["bin/tool"])) == ["bin/tool"]


def test_directory_named_like_a_python_file_is_walked_not_read(tmp_path):
    write_tree(tmp_path, {"weird.py/inner.py": "", "plain.py": ""})
    assert names(run(tmp_path)) == ["plain.py", "weird.py/inner.py"]
    assert names(run(tmp_path, paths=["weird.py"])) == ["weird.py/inner.py"]


def test_missing_paths_are_reported_and_the_rest_still_found(tmp_path):
    write_tree(tmp_path, {"a.py": ""})
    found = run(tmp_path, paths=["nope.py", ".", "gone/"])
    assert found.missing == ["nope.py", "gone/"]
    assert names(found) == ["a.py"]


# -- default excludes --------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "build", "dist",
    "__pycache__", "site-packages", ".mypy_cache",
])
def test_default_excludes(tmp_path, name):
    write_tree(tmp_path, {f"{name}/m.py": "", f"src/{name}/deep/m.py": "", "src/ok.py": ""})
    assert names(run(tmp_path)) == ["src/ok.py"]
    assert name in DEFAULT_EXCLUDES


def test_default_excludes_match_whole_names_only(tmp_path):
    write_tree(tmp_path, {"builder/m.py": "", "environment.py": "", "distro/m.py": "", "venv_tools.py": ""})
    assert names(run(tmp_path)) == ["builder/m.py", "distro/m.py", "environment.py", "venv_tools.py"]


@pytest.mark.parametrize("ancestor", ["build", "env", "dist", "venv"])
def test_excludes_do_not_apply_above_the_scanned_tree(tmp_path, ancestor):
    project = tmp_path / ancestor / "project"
    write_tree(project, {"app.py": "", "build/gen.py": ""})
    assert names(run(project, cwd=project)) == ["app.py"]
    # Named from above, too: only what is below the named directory is excluded.
    assert names(run(project, paths=[f"{ancestor}/project"], cwd=tmp_path, root=str(tmp_path))) == [
        f"{ancestor}/project/app.py"
    ]


def test_explicitly_named_excluded_directory_is_walked(tmp_path):
    write_tree(tmp_path, {"build/m.py": "", "build/dist/x.py": ""})
    assert names(run(tmp_path, paths=["build"])) == ["build/m.py"]


# -- exclude / extend-exclude -----------------------------------------------------------------


def test_exclude_replaces_the_defaults(tmp_path):
    write_tree(tmp_path, {"build/m.py": "", "generated/g.py": "", "ok.py": ""})
    assert names(run(tmp_path, exclude=("generated",))) == ["build/m.py", "ok.py"]


def test_extend_exclude_adds_to_the_defaults(tmp_path):
    write_tree(tmp_path, {"build/m.py": "", "generated/g.py": "", "ok.py": ""})
    assert names(run(tmp_path, extend_exclude=("generated",))) == ["ok.py"]


@pytest.mark.parametrize(
    "pattern, excluded",
    [
        ("*_pb2.py", {"api/user_pb2.py", "user_pb2.py"}),
        ("migrations", {"app/migrations/0001.py", "migrations/x.py"}),
        ("app/migrations", {"app/migrations/0001.py"}),
        ("/migrations", {"migrations/x.py"}),
        ("app/**/*.py", {"app/migrations/0001.py", "app/views.py"}),
        ("**/views.py", {"app/views.py"}),
        ("app/*.py", {"app/views.py"}),
        ("./user_pb2.py", {"user_pb2.py"}),
        ("api/", {"api/user_pb2.py"}),
    ],
)
def test_exclude_globs(tmp_path, pattern, excluded):
    files = {"api/user_pb2.py", "user_pb2.py", "app/migrations/0001.py", "migrations/x.py", "app/views.py",
             "main.py"}
    write_tree(tmp_path, {name: "" for name in files})
    assert set(names(run(tmp_path, extend_exclude=(pattern,)))) == files - excluded


def test_slash_globs_are_anchored_at_the_config_root(tmp_path):
    write_tree(tmp_path, {"app/gen/a.py": "", "app/sub/gen/b.py": "", "app/main.py": ""})
    found = run(tmp_path, paths=["."], cwd=tmp_path / "app", root=str(tmp_path), extend_exclude=("app/gen",))
    assert names(found) == ["main.py", "sub/gen/b.py"]


# -- --force-exclude -----------------------------------------------------------------------


def test_explicit_files_ignore_excludes_without_force_exclude(tmp_path):
    write_tree(tmp_path, {"build/gen.py": "", "migrations/m.py": "", "ok.py": ""})
    paths = ["build/gen.py", "migrations/m.py", "ok.py"]
    assert names(run(tmp_path, paths=paths, extend_exclude=("migrations",))) == paths
    assert names(run(tmp_path, paths=paths, extend_exclude=("migrations",), force_exclude=True)) == ["ok.py"]


def test_force_exclude_applies_gitignore_to_explicit_files(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "generated/\n*_pb2.py\n", "generated/x.py": "", "a_pb2.py": "",
                          "ok.py": ""})
    paths = ["generated/x.py", "a_pb2.py", "ok.py"]
    assert names(run(tmp_path, paths=paths)) == ["a_pb2.py", "generated/x.py", "ok.py"]
    assert names(run(tmp_path, paths=paths, force_exclude=True)) == ["ok.py"]


def test_force_exclude_with_gitignore_of_a_parent_repository_from_a_subdirectory(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "/app/generated/\n", "app/generated/x.py": "", "app/ok.py": ""})
    found = run(tmp_path, paths=["generated/x.py", "ok.py"], cwd=tmp_path / "app", force_exclude=True)
    assert names(found) == ["ok.py"]


# -- .gitignore -------------------------------------------------------------------------------


def test_gitignore_basic(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {
        ".gitignore": "# comment\n\nsecrets.py\n*_local.py\nscratch/\n",
        "secrets.py": "", "pkg/secrets.py": "", "settings_local.py": "", "scratch/a.py": "", "main.py": "",
    })
    assert names(run(tmp_path)) == ["main.py"]


def test_gitignore_negation(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {
        ".gitignore": "gen_*.py\n!gen_keep.py\n",
        "gen_a.py": "", "gen_keep.py": "", "sub/gen_b.py": "", "sub/gen_keep.py": "",
    })
    assert names(run(tmp_path)) == ["gen_keep.py", "sub/gen_keep.py"]


def test_negation_cannot_reinclude_a_file_in_an_ignored_directory(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "out/\n!out/keep.py\n", "out/keep.py": "", "main.py": ""})
    assert names(run(tmp_path)) == ["main.py"]


def test_nested_gitignore_applies_below_its_directory_only(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {
        "pkg/.gitignore": "fixtures.py\n/top_only.py\n",
        "fixtures.py": "", "pkg/fixtures.py": "", "pkg/deep/fixtures.py": "",
        "top_only.py": "", "pkg/top_only.py": "", "pkg/deep/top_only.py": "",
    })
    assert names(run(tmp_path)) == ["fixtures.py", "pkg/deep/top_only.py", "top_only.py"]


def test_nested_gitignore_can_reinclude(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "*_gen.py\n", "pkg/.gitignore": "!api_gen.py\n",
                          "api_gen.py": "", "pkg/api_gen.py": "", "pkg/db_gen.py": ""})
    assert names(run(tmp_path)) == ["pkg/api_gen.py"]


def test_directory_only_pattern_does_not_match_files(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "cache*/\n", "cache_utils.py": "", "cache/x.py": "",
                          "src/cache2/y.py": ""})
    assert names(run(tmp_path)) == ["cache_utils.py"]


def test_anchored_and_double_star_patterns(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {
        ".gitignore": "/root_only.py\ndocs/**\n**/snapshots/*.py\na/**/b.py\n",
        "root_only.py": "", "pkg/root_only.py": "", "docs/conf.py": "", "pkg/docs/conf.py": "",
        "tests/snapshots/s.py": "", "snapshots/t.py": "", "a/b.py": "", "a/x/y/b.py": "", "a/c.py": "",
    })
    assert names(run(tmp_path)) == ["a/c.py", "pkg/docs/conf.py", "pkg/root_only.py"]


def test_git_info_exclude(tmp_path):
    git_repo(tmp_path)
    (tmp_path / ".git" / "info" / "exclude").write_text("local_*.py\n")
    write_tree(tmp_path, {"local_x.py": "", "main.py": ""})
    assert names(run(tmp_path)) == ["main.py"]


def test_gitignore_applies_when_walking_a_subdirectory_relative_to_cwd(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "/src/app/gen/\nignored_*.py\n", "src/app/gen/g.py": "",
                          "src/app/ignored_1.py": "", "src/app/main.py": ""})
    assert names(run(tmp_path, paths=["src/app"], cwd=tmp_path)) == ["src/app/main.py"]
    assert names(run(tmp_path, paths=["app"], cwd=tmp_path / "src")) == ["app/main.py"]
    assert names(run(tmp_path, paths=["."], cwd=tmp_path / "src" / "app")) == ["main.py"]
    assert names(run(tmp_path, paths=[".."], cwd=tmp_path / "src" / "app" / "gen")) == [
        (tmp_path / "src" / "app" / "main.py").as_posix()
    ]


def test_gitignore_outside_a_git_work_tree_is_not_read(tmp_path):
    write_tree(tmp_path, {".gitignore": "*.py\n", "main.py": ""})
    assert names(run(tmp_path)) == ["main.py"]


def test_gitignore_can_be_switched_off(tmp_path):
    git_repo(tmp_path)
    write_tree(tmp_path, {".gitignore": "main.py\n", "main.py": ""})
    assert names(run(tmp_path, respect_gitignore=False)) == ["main.py"]


# -- symlinks ---------------------------------------------------------------------------------


needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs POSIX symlinks")


@needs_symlinks
def test_symlink_loop_terminates(tmp_path):
    write_tree(tmp_path, {"pkg/m.py": ""})
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "pkg" / "self").symlink_to(tmp_path / "pkg", target_is_directory=True)
    assert names(run(tmp_path)) == ["pkg/m.py"]


@needs_symlinks
def test_file_symlink_loop_is_skipped_with_a_reason(tmp_path):
    write_tree(tmp_path, {"ok.py": ""})
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    found = run(tmp_path)
    assert names(found) == ["ok.py"]
    assert sorted(found.skipped) == [("a.py", "dangling symlink"), ("b.py", "dangling symlink")]


@needs_symlinks
def test_dangling_symlink_is_skipped_with_a_reason(tmp_path):
    write_tree(tmp_path, {"ok.py": ""})
    (tmp_path / "gone.py").symlink_to(tmp_path / "never_existed.py")
    found = run(tmp_path)
    assert names(found) == ["ok.py"]
    assert found.skipped == [("gone.py", "dangling symlink")]
    explicit = run(tmp_path, paths=["gone.py"])
    assert explicit.files == [] and explicit.missing == []
    assert explicit.skipped == [("gone.py", "dangling symlink")]


@needs_symlinks
def test_symlink_pointing_outside_the_tree_is_not_followed(tmp_path):
    write_tree(tmp_path, {"outside/secret.py": "", "tree/ok.py": ""})
    (tmp_path / "tree" / "link.py").symlink_to(tmp_path / "outside" / "secret.py")
    (tmp_path / "tree" / "linkdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    found = run(tmp_path / "tree")
    assert names(found) == ["ok.py"]
    assert found.skipped == [("link.py", "symlink pointing outside the scanned tree (not followed)")]


@needs_symlinks
def test_symlink_to_a_file_inside_the_tree_is_followed(tmp_path):
    write_tree(tmp_path, {"real/impl.py": ""})
    (tmp_path / "alias.py").symlink_to(tmp_path / "real" / "impl.py")
    assert names(run(tmp_path)) == ["alias.py", "real/impl.py"]


@needs_symlinks
def test_symlinked_directory_named_like_a_file_is_reported(tmp_path):
    write_tree(tmp_path, {"pkg/m.py": ""})
    (tmp_path / "odd.py").symlink_to(tmp_path / "pkg", target_is_directory=True)
    found = run(tmp_path)
    assert names(found) == ["pkg/m.py"]
    assert found.skipped == [("odd.py", "symlink to a directory (not followed)")]


# -- through the CLI ----------------------------------------------------------------------------


def test_cli_nonexistent_path_exits_2_and_still_checks_the_rest(in_tmp, test_rules, invoke):
    write_tree(in_tmp, {"a.py": "print(1)\n"})
    result = invoke("check", "--format", "json", "missing.py", "a.py")
    assert result.exit_code == 2
    assert "copguard: error: missing.py: no such file or directory" in result.stderr
    payload = json.loads(result.stdout)
    assert [(f["rule"], f["path"]) for f in payload["findings"]] == [("COP901", "a.py")]


def test_cli_reports_skipped_symlinks_on_stderr(in_tmp, test_rules, invoke):
    if not hasattr(os, "symlink") or os.name == "nt":
        pytest.skip("needs POSIX symlinks")
    write_tree(in_tmp, {"a.py": "x = 1\n"})
    (in_tmp / "gone.py").symlink_to(in_tmp / "nowhere.py")
    result = invoke("check", ".")
    assert result.exit_code == 0
    assert "copguard: skipped gone.py: dangling symlink" in result.stderr


def test_cli_force_exclude_for_pre_commit(in_tmp, test_rules, invoke):
    git_repo(in_tmp)
    write_tree(in_tmp, {".gitignore": "vendor/\n", "vendor/lib.py": "print(1)\n", "build/gen.py": "print(1)\n",
                        "app.py": "print(1)\n"})
    args = ("check", "--format", "json", "vendor/lib.py", "build/gen.py", "app.py")
    checked = json.loads(invoke(*args).stdout)
    assert [f["path"] for f in checked["findings"]] == ["app.py", "build/gen.py", "vendor/lib.py"]
    forced = invoke(*args[:3], "--force-exclude", *args[3:])
    assert forced.exit_code == 1
    assert [f["path"] for f in json.loads(forced.stdout)["findings"]] == ["app.py"]
    all_excluded = invoke("check", "--force-exclude", "vendor/lib.py")
    assert all_excluded.exit_code == 0


# -- things that are not files to read ----------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_skipped_not_read(tmp_path):
    # Reading a FIFO blocks until something writes to it: the run would hang.
    write_tree(tmp_path, {"ok.py": ""})
    os.mkfifo(tmp_path / "pipe.py")
    found = run(tmp_path)
    assert names(found) == ["ok.py"]
    assert found.skipped == [("pipe.py", "not a regular file")]


def test_unreadable_directory_is_reported_not_passed_over_silently(tmp_path, monkeypatch):
    write_tree(tmp_path, {"ok.py": "", "locked/secret.py": ""})
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = run(tmp_path)
    assert names(found) == ["ok.py"]
    assert found.skipped == [("locked", "directory cannot be read: Permission denied")]


# -- agreement with git itself ---------------------------------------------------------------------

GIT_IGNORES = {
    ".gitignore": "\n".join([
        "# comment", "*.pyc", "/top.py", "b/", "**/gen_*.py", "d/**/deep.py", "sp\\ ace/", "\\#hash.py",
        "\\!bang.py", "*.py[iy]", "!keep.pyi", "x/*", "!x/ok.py", "a?c.py", "[ab]z.py", "[!q]q.py",
        "trailing.py   ", "**/scratch", "docs/*.py", "lib/**", "!lib/inner.py", "",
    ]),
    "pkg/.gitignore": "local.py\n!gen_pkg.py\n/anchored.py\nsub/\n",
    "pkg/deep/.gitignore": "!local.py\n",
}
GIT_FILES = [
    "top.py", "a/top.py", "a/b/f.py", "b/x.py", "a/c.py", "a/gen_1.py", "gen_2.py", "d/e/deep.py", "d/deep.py",
    "e/d/deep.py", "sp ace/s.py", "#hash.py", "!bang.py", "m.pyi", "keep.pyi", "x/no.py", "x/ok.py",
    "x/y/no.py", "abc.py", "axc.py", "abbc.py", "az.py", "bz.py", "cz.py", "qq.py", "zq.py", "trailing.py",
    "scratch/t.py", "src/scratch/t.py", "src/scratch.py", "docs/conf.py", "docs/api/ref.py", "lib/a.py", "lib/inner.py",
    "pkg/local.py", "pkg/gen_pkg.py", "pkg/anchored.py", "pkg/x/anchored.py", "pkg/sub/s.py",
    "pkg/deep/local.py", "pkg/x/local.py", "plain.py",
]


def test_gitignore_agrees_with_git(tmp_path):
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "."], cwd=repo, env=env, check=True)
    write_tree(repo, {**GIT_IGNORES, **{name: "" for name in GIT_FILES}})
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=repo, env=env,
                            check=True, capture_output=True, text=True).stdout
    expected = sorted(name for name in listed.splitlines() if name.endswith((".py", ".pyi")))
    assert 10 < len(expected) < len(GIT_FILES)
    assert names(run(repo)) == expected
