"""The per-file result cache: same results cold and warm, keyed by content, settings and rules."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from copguard_lint.cache import CACHEDIR_TAG, ResultCache, result_from_json, result_to_json
from copguard_lint.config import Settings
from copguard_lint.engine import Engine
from corpus import write_corpus
from helpers import TEST_RULES, make_engine, run_process, write_tree

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def cached_engine(root: Path, settings=None, rules=TEST_RULES) -> Engine:
    engine = make_engine(settings, rules)
    engine.cache = ResultCache(root, engine.cache_key())
    return engine


def entries(cache_root: Path):
    return sorted(p for p in cache_root.rglob("*.json"))


def check_json(cwd: Path, *args: str) -> dict:
    done = run_process(["check", "--format", "json", "--exit-zero", "-j", "1", *args], cwd)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


# -- through the CLI, shipped rules ------------------------------------------------------------


@pytest.mark.parametrize("which", ["examples", "generated"])
def test_cold_and_warm_json_are_identical(tmp_path, which):
    if which == "examples":
        shutil.copytree(EXAMPLES, tmp_path / "examples")
    else:
        write_corpus(tmp_path / "examples", 30)
    cache = tmp_path / "cache"
    uncached = check_json(tmp_path, "--no-cache", "examples")
    assert not cache.exists()
    cold = check_json(tmp_path, "--cache-dir", "cache", "examples")
    assert entries(cache), "the cold run wrote the cache"
    # (That the warm run is served from the cache is asserted at the engine level
    # below: here the package's own files may change between runs and move the key.)
    warm = check_json(tmp_path, "--cache-dir", "cache", "examples")
    assert cold == uncached
    assert warm == cold
    assert warm["findings"], "the corpus has findings to compare"


def test_default_cache_dir_is_next_to_the_config_and_tagged(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[tool.copguard]\n", "src/app.py": "print(1)\n"})
    (tmp_path / "src" / "sub").mkdir()
    done = run_process(["check", "--exit-zero", "app.py"], tmp_path / "src")
    assert done.returncode == 0, done.stderr.decode()
    root = tmp_path / ".copguard_cache"
    assert (root / "CACHEDIR.TAG").read_text(encoding="utf-8") == CACHEDIR_TAG
    assert (root / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert entries(root)
    assert not (tmp_path / "src" / ".copguard_cache").exists()


def test_stdin_is_never_cached(tmp_path):
    done = run_process(["check", "--exit-zero", "-"], tmp_path, stdin=b"print(1)\n")
    assert done.returncode == 0
    assert not (tmp_path / ".copguard_cache").exists()


def test_env_var_moves_the_cache(tmp_path, monkeypatch):
    write_tree(tmp_path, {"app.py": "print(1)\n"})
    monkeypatch.setenv("COPGUARD_CACHE_DIR", str(tmp_path / "elsewhere"))
    done = run_process(["check", "--exit-zero", "app.py"], tmp_path)
    assert done.returncode == 0
    assert entries(tmp_path / "elsewhere")
    assert not (tmp_path / ".copguard_cache").exists()


def test_cache_options_on_baseline_and_coverage(tmp_path):
    write_tree(tmp_path, {"app.py": "print(1)\n"})
    done = run_process(["baseline", "create", "--cache-dir", "c1", "."], tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert entries(tmp_path / "c1")
    done = run_process(["coverage", "--no-cache", "--cache-dir", "c2", "."], tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert not (tmp_path / "c2").exists()


# -- engine level, test rules -------------------------------------------------------------------


def test_changed_file_is_linted_again(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "print(1)\n", "b.py": "x = 1\n"})
    files = [(tmp_path / "src" / name, name) for name in ("a.py", "b.py")]
    engine = cached_engine(tmp_path / "cache")
    first = engine.run(files)
    assert [f.rule for f in first.findings] == ["COP901"]
    (tmp_path / "src" / "b.py").write_text("input()\n", encoding="utf-8")
    engine = cached_engine(tmp_path / "cache")
    second = engine.run(files)
    assert (engine.cache.hits, engine.cache.misses) == (1, 1)
    assert sorted(f.rule for f in second.findings) == ["COP901", "COP903"]


def test_same_bytes_under_another_name_is_another_entry(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "print(1)\n", "b.py": "print(1)\n"})
    engine = cached_engine(tmp_path / "cache")
    result = engine.run([(tmp_path / "src" / n, n) for n in ("a.py", "b.py")])
    assert [f.path for f in result.findings] == ["a.py", "b.py"]
    assert len(entries(tmp_path / "cache")) == 2


def test_settings_and_rules_change_the_key():
    base = make_engine(Settings()).cache_key()
    assert make_engine(Settings()).cache_key() == base
    assert make_engine(Settings(consent_age=16)).cache_key() != base
    assert make_engine(Settings(ignore=("COP903",))).cache_key() != base
    assert make_engine(Settings(), rules=TEST_RULES[:-1]).cache_key() != base
    # Settings that cannot change a file's result share the key.
    assert make_engine(Settings(jobs=3, root="elsewhere")).cache_key() == base


def test_corrupt_entries_are_misses(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "print(1)\n"})
    files = [(tmp_path / "src" / "a.py", "a.py")]
    expected = make_engine().run(files)
    cached_engine(tmp_path / "cache").run(files)
    (entry,) = entries(tmp_path / "cache")
    for garbage in ("", "{", "[]", '"text"', '{"path": "a.py"}', json.dumps({**json.loads(entry.read_text()),
                    "findings": [{"rule": "COP901"}]})):
        entry.write_text(garbage, encoding="utf-8")
        engine = cached_engine(tmp_path / "cache")
        assert engine.run(files) == expected
        assert engine.cache.misses == 1
    entry.write_bytes(b"\xff\xfe\x00")
    assert cached_engine(tmp_path / "cache").run(files) == expected


def test_entry_for_another_path_is_not_served(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "print(1)\n"})
    engine = cached_engine(tmp_path / "cache")
    key = ResultCache.entry_key("a.py", b"print(1)\n")
    engine.cache.put(key, make_engine().lint_source("b.py", "x = 1\n"))
    result = engine.run([(tmp_path / "src" / "a.py", "a.py")])
    assert [f.rule for f in result.findings] == ["COP901"]


@pytest.mark.skipif(sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="needs POSIX permissions that bind (not root)")
def test_read_only_cache_dir_does_not_fail_the_run(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "print(1)\n", "b.py": "input()\n"})
    files = [(tmp_path / "src" / n, n) for n in ("a.py", "b.py")]
    root = tmp_path / "cache"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        engine = cached_engine(root)
        assert engine.run(files) == make_engine().run(files)
        assert engine.run(files) == make_engine().run(files)
    finally:
        root.chmod(stat.S_IRWXU)
    assert not entries(root)


def test_read_only_cache_dir_through_the_cli(tmp_path):
    write_tree(tmp_path, {"app.py": "print(1)\n"})
    (tmp_path / "blocker").write_text("a file where the cache directory should be", encoding="utf-8")
    done = run_process(["check", "--cache-dir", "blocker/cache", "--exit-zero", "app.py"], tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""


def test_facts_round_trip_so_project_rules_agree_warm(tmp_path):
    write_tree(tmp_path / "src", {"a.py": "class Message:\n    pass\n", "b.py": "class Other:\n    x = 1\n"})
    files = [(tmp_path / "src" / n, n) for n in ("a.py", "b.py")]
    expected = make_engine().run(files)
    assert [f.rule for f in expected.findings] == ["COP902"]
    cold = cached_engine(tmp_path / "cache").run(files)
    engine = cached_engine(tmp_path / "cache")
    warm = engine.run(files)
    assert engine.cache.hits == 2
    assert cold == warm == expected
    assert [f.fingerprint for f in warm.findings] == [f.fingerprint for f in expected.findings]


def test_results_round_trip_through_json(tmp_path):
    files = write_corpus(tmp_path, 12)
    engine = Engine(Settings())  # shipped rules: real facts, findings, errors and suppressions
    for path, display in files:
        result = engine.lint_path(path, display)
        assert result_from_json(json.loads(json.dumps(result_to_json(result)))) == result


def test_pool_workers_share_the_cache(tmp_path):
    files = write_corpus(tmp_path / "src", 16)
    expected = make_engine().run(files)
    engine = cached_engine(tmp_path / "cache")
    assert engine.run(files, jobs=2) == expected
    assert len(entries(tmp_path / "cache")) == len(files)
    engine = cached_engine(tmp_path / "cache")
    assert engine.run(files, jobs=2) == expected
    assert engine.cache.hits == len(files)  # read by the parent: no pool for a rescan with nothing changed
    assert engine.run(files, jobs=1) == expected
    assert engine.cache.hits == 2 * len(files)


def test_only_cache_misses_go_to_the_pool(tmp_path, monkeypatch):
    import copguard_lint.parallel as parallel

    files = write_corpus(tmp_path / "src", 16)
    engine = cached_engine(tmp_path / "cache")
    expected = engine.run(files, jobs=2)
    changed = files[:9]
    for path, _ in changed:
        path.write_bytes(path.read_bytes() + b"\n# edited\n")
    sent = []
    real = parallel.lint_in_pool
    monkeypatch.setattr(parallel, "lint_in_pool", lambda engine, todo, *a, **k: sent.extend(todo) or real(engine, todo, *a, **k))
    again = cached_engine(tmp_path / "cache").run(files, jobs=2)
    assert sorted(d for _, d in sent) == sorted(d for _, d in changed)
    assert again.files == expected.files


def test_timed_out_results_are_not_cached(tmp_path, monkeypatch):
    import copguard_lint.engine as engine_module

    write_tree(tmp_path / "src", {"a.py": "print(1)\n"})
    files = [(tmp_path / "src" / "a.py", "a.py")]
    engine = cached_engine(tmp_path / "cache")
    monkeypatch.setattr(
        engine, "lint_source",
        lambda display, data: engine._unanalysable(display, "analysis exceeded 1 s (file-timeout)"),
    )
    engine.run(files)
    assert not entries(tmp_path / "cache")
    assert engine_module._timed_out(engine.lint_path(*files[0]))
