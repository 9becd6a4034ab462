"""The flow analysis's data files: every key is one the code reads.

A misplaced key in TOML silently lands in the wrong table (a key written after
`[not-exposed]` belongs to that table); these tests make that loud.
"""

from __future__ import annotations

from copguard_lint.analysis.flow import FlowConfig, default_flow_config
from copguard_lint.analysis.sinks import default_sinks
from copguard_lint.data_files import load_data

FLOW_KEYS = {
    "schema_version", "request-receivers", "request-attributes", "request-query-attributes",
    "request-methods", "payload-attributes", "dump-functions", "dump-methods", "dump-attributes",
    "console-sinks", "command-decorators", "command-base-classes", "command-path-parts",
    "test-directories", "test-files", "propagating-functions", "propagating-methods",
    "quasi-identifiers", "user-facing-exceptions", "user-facing-exception-words", "not-exposed",
    "configuration-receivers", "configuration-functions", "aggregate-functions", "aggregate-methods",
    "group-by-methods", "validation-methods", "validation-classes",
}
SINK_FAMILIES = {"log", "exception", "error-tracker", "http", "url", "analytics", "ads", "ai"}


def test_flow_toml_has_only_known_keys() -> None:
    data = load_data("flow.toml")
    assert set(data) <= FLOW_KEYS, set(data) - FLOW_KEYS
    assert set(data["not-exposed"]) <= SINK_FAMILIES


def test_flow_config_reads_every_list() -> None:
    config: FlowConfig = default_flow_config()
    assert config.user_facing_exception_words
    assert config.quasi_identifiers
    assert config.is_user_facing("UserValueError")
    assert config.is_user_facing("ValidationError")
    assert not config.is_user_facing("ValueError")
    assert not config.is_user_facing("SignupError")
    assert "settings" in config.configuration_receivers
    assert "Count" in config.aggregate_functions
    assert "aggregate" in config.aggregate_methods
    assert "values" in config.group_by_methods
    assert "os.getenv" in config.configuration_functions
    assert config.is_validation_hook("PersonLinkListField.pre_validate")
    assert config.is_validation_hook("SignupForm.clean_email")
    assert config.is_validation_hook("app.forms.UniqueEmail.__call__") is False  # class 'email'
    assert config.is_validation_hook("UniqueEmailValidator.__call__")
    assert not config.is_validation_hook("SignupForm.save")
    assert not config.is_validation_hook("UserService.validate")
    assert not config.is_validation_hook("validate_email")


def test_test_module_paths() -> None:
    config = default_flow_config()
    assert config.is_test_module("tests/test_views.py")
    assert config.is_test_module("app/tests/factories.py")
    assert config.is_test_module("app/views_test.py")
    assert config.is_test_module("conftest.py")
    assert not config.is_test_module("app/views.py")
    assert not config.is_test_module("app/contest.py")
    assert not config.is_test_module("testimonials/views.py")


def test_sink_catalog_entries_are_well_formed() -> None:
    catalog = default_sinks()
    ids = [spec.id for spec in catalog.specs]
    assert len(ids) == len(set(ids))
    for spec in catalog.specs:
        assert spec.family in SINK_FAMILIES, spec.id
        assert spec.functions or spec.methods or spec.hosts, spec.id


def test_summaries_do_not_depend_on_the_hash_seed(tmp_path):
    """Facts are cached and compared across processes: set iteration order must not leak into them."""
    import json
    import os
    import subprocess
    import sys

    (tmp_path / "mod.py").write_text(
        "def check(value):\n    raise ValueError(value)\n\n\n"
        "def outer(first, second, third):\n    check(first + second + third)\n",
        encoding="utf-8",
    )
    script = (
        "import json, sys\n"
        "from copguard_lint.config import Settings\n"
        "from copguard_lint.engine import Engine\n"
        "result = Engine(Settings(select=('COP1',))).lint_source('mod.py', open(sys.argv[1], 'rb').read(), use_prefilter=False)\n"
        "print(json.dumps([f.to_json() for f in result.facts], sort_keys=True))\n"
    )
    outputs = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "mod.py")], env=env,
                              capture_output=True, text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    facts = json.loads(outputs.pop())
    assert any(f["kind"] == "flow.summary" and f["data"]["function"] == "outer" for f in facts)
