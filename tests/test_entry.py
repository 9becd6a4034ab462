"""The console-script entry: the opt-in, and a normal path that stays as it was."""

from __future__ import annotations

import os
import subprocess

from copguard_lint import entry
from copguard_lint.entry import split_opt_in
from helpers import PYTHON


def test_the_flag_is_removed_wherever_it_is_before_a_double_dash(monkeypatch):
    monkeypatch.delenv("COPGUARD_DAEMON", raising=False)
    assert split_opt_in(["check", "a.py"]) == (False, ["check", "a.py"])
    assert split_opt_in(["check", "--daemon", "a.py"]) == (True, ["check", "a.py"])
    assert split_opt_in(["--daemon", "check", "a.py", "--daemon"]) == (True, ["check", "a.py"])
    assert split_opt_in(["check", "--", "--daemon"]) == (False, ["check", "--", "--daemon"])


def test_the_environment_variable_opts_in(monkeypatch):
    for value, wanted in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("COPGUARD_DAEMON", value)
        assert split_opt_in(["check"]) == (wanted, ["check"])


def test_the_normal_path_loads_no_daemon_machinery(tmp_path):
    (tmp_path / "clean.py").write_text("x = 1\n")
    code = (
        "import sys\n"
        "from copguard_lint import entry\n"
        "sys.argv = ['copguard', 'check', '--no-cache', 'clean.py']\n"
        "try:\n    entry.main()\nexcept SystemExit as exit_:\n    code = exit_.code\n"
        "loaded = [m for m in ('socket', '_socket', 'copguard_lint.daemon.client', 'copguard_lint.daemon.wire',\n"
        "          'copguard_lint.daemon.location', 'copguard_lint.daemon.server') if m in sys.modules]\n"
        "print(code, loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "COPGUARD_DAEMON"}
    source_root = os.path.dirname(os.path.dirname(os.path.abspath(entry.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, env.get("PYTHONPATH")]))
    done = subprocess.run([PYTHON, "-c", code], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stderr
