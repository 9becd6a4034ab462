"""Where the socket lives and what names a server: private directories, keys that follow the installation."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from copguard_lint.daemon import location

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX only")


def test_the_directory_is_created_private(tmp_path, monkeypatch):
    target = tmp_path / "d"
    monkeypatch.setenv(location.DIR_ENV, str(target))
    if len(str(target)) + 30 > location.MAX_SOCKET_PATH:
        pytest.skip("temporary directory too deep")
    assert location.socket_dir() == str(target)
    assert (target.stat().st_mode & 0o777) == 0o700


def test_a_directory_others_can_enter_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "d"
    target.mkdir(mode=0o755)
    os.chmod(target, 0o755)
    with pytest.raises(location.UnsafeDirectory, match="accessible to other users"):
        location._ensure_private(str(target))


def test_a_symlink_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(location.UnsafeDirectory, match="not a directory"):
        location._ensure_private(str(link))


def test_the_default_directory_is_per_user(monkeypatch):
    monkeypatch.delenv(location.DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    short = tempfile.mkdtemp(prefix="cgt")
    try:
        monkeypatch.setenv("TMPDIR", short)
        if len(short) + 50 > location.MAX_SOCKET_PATH:
            pytest.skip("temporary directory too deep")
        assert location.socket_dir() == os.path.join(short, f"copguard-{os.getuid()}")
    finally:
        shutil.rmtree(short)


def test_socket_paths_fit_sun_path(tmp_path, monkeypatch):
    monkeypatch.setenv(location.DIR_ENV, "/" + "x" * 200)
    with pytest.raises(location.UnsafeDirectory, match="short enough"):
        location.socket_dir()


def test_the_key_is_stable_and_follows_startup_variables(monkeypatch):
    first = location.key()
    assert first == location.key() and len(first) == 16
    monkeypatch.setenv("PYTHONCOPGUARDTESTKEY", "1")
    assert location.key() != first
    monkeypatch.delenv("PYTHONCOPGUARDTESTKEY")
    monkeypatch.setenv("COPGUARD_SOMETHING_ELSE", "1")  # read per request: not part of the key
    assert location.key() == first


def test_the_key_follows_the_package_files(tmp_path, monkeypatch):
    package = tmp_path / "copguard_lint"
    (package / "data").mkdir(parents=True)
    (package / "cli.py").write_text("x = 1\n")
    (package / "data" / "words.toml").write_text("a = 1\n")
    (package / "__pycache__").mkdir()
    monkeypatch.setattr(location, "package_dir", lambda: str(package))
    before = location.key()
    (package / "__pycache__" / "cli.pyc").write_bytes(b"ignored")
    assert location.key() == before
    (package / "data" / "words.toml").write_text("a = 22\n")
    assert location.key() != before


def test_the_server_path_has_no_relative_entry_nor_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", ["", "relative/dir", str(tmp_path), os.path.dirname(os.__file__)])
    assert location.import_path() == [os.path.dirname(os.__file__)]


def test_an_unusable_runtime_directory_falls_back_to_the_temporary_one(monkeypatch):
    monkeypatch.delenv(location.DIR_ENV, raising=False)
    short = tempfile.mkdtemp(prefix="cgt")
    try:
        runtime = os.path.join(short, "run")
        os.mkdir(runtime, 0o700)
        os.mkdir(os.path.join(runtime, "copguard"), 0o755)  # not private: refused
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
        monkeypatch.setenv("TMPDIR", short)
        assert location.socket_dir() == os.path.join(short, f"copguard-{os.getuid()}")
    finally:
        shutil.rmtree(short)
