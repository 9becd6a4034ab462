"""tools/results_digest.py: a changed result is reported, an unchanged run is identical."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("results_digest", REPO_ROOT / "tools" / "results_digest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_tree_is_identical_and_a_new_finding_is_not(tmp_path, capsys, monkeypatch):
    tool = _tool()
    tree = tmp_path / "tree"
    shutil.copytree(REPO_ROOT / "examples" / "kidschat", tree / "kidschat",
                    ignore=shutil.ignore_patterns("__pycache__", ".copguard_cache"))
    monkeypatch.chdir(tree)
    first = tool.dump(tmp_path / "a.json", ["kidschat"])
    tool.dump(tmp_path / "b.json", ["kidschat"])
    assert first["findings"] and first["facts"]
    assert tool.main(["compare", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    assert capsys.readouterr().out.strip().endswith("identical")
    (tree / "kidschat" / "extra.py").write_text(
        "import logging\n\ndef log_child(child):\n    logging.info('child %s', child.email)\n", encoding="utf-8"
    )
    tool.dump(tmp_path / "c.json", ["kidschat"])
    assert tool.main(["compare", str(tmp_path / "a.json"), str(tmp_path / "c.json")]) == 1
    out = capsys.readouterr().out
    assert "findings: 0 only before, 1 only after" in out and out.strip().endswith("different")
