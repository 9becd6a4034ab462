"""Configuration: `[tool.copguard]`, validated strictly, found like other tools find theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copguard_lint.config import (
    DEFAULT_EXCLUDES,
    ConfigError,
    Settings,
    find_config,
    load_settings,
    settings_from_table,
)
from copguard_lint.findings import Severity
from helpers import TEST_CODES, write_tree


def table(**values):
    return settings_from_table({k.replace("_", "-"): v for k, v in values.items()}, "pyproject.toml", TEST_CODES)


def error_of(values) -> str:
    with pytest.raises(ConfigError) as info:
        settings_from_table(values, "proj/pyproject.toml", TEST_CODES)
    return str(info.value)


# -- defaults and valid values ----------------------------------------------------


def test_defaults():
    settings = Settings()
    assert settings.select == ("COP",)
    assert settings.ignore == ()
    assert settings.fail_on is Severity.LOW
    assert settings.audience == "mixed"
    assert settings.consent_age == 13
    for name in (".git", ".hg", ".svn", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "build",
                 "dist", "__pycache__", "site-packages", ".mypy_cache"):
        assert name in settings.exclude
    assert settings.exclude == DEFAULT_EXCLUDES


def test_every_documented_key():
    settings = settings_from_table(
        {
            "select": ["COP9"],
            "ignore": ["COP903"],
            "exclude": ["generated"],
            "extend-exclude": ["migrations/*.py"],
            "per-file-ignores": {"tests/*": ["COP901"], "scripts/**": ["ALL"]},
            "fail-on": "high",
            "audience": "children",
            "consent-age": 16,
        },
        "pyproject.toml",
        TEST_CODES,
    )
    assert settings.select == ("COP9",)
    assert settings.ignore == ("COP903",)
    assert settings.exclude == ("generated",)
    assert settings.extend_exclude == ("migrations/*.py",)
    assert settings.per_file_ignores == (("scripts/**", ("ALL",)), ("tests/*", ("COP901",)))
    assert settings.fail_on is Severity.HIGH
    assert settings.audience == "children"
    assert settings.consent_age == 16


@pytest.mark.parametrize("audience", ["children", "mixed", "general"])
def test_audiences(audience):
    assert table(audience=audience).audience == audience


@pytest.mark.parametrize("level", ["low", "medium", "high", "critical", "HIGH"])
def test_fail_on_levels(level):
    assert table(fail_on=level).fail_on is Severity.parse(level)


def test_settings_are_hashable_and_digest_tracks_results_only():
    a = table(select=["COP9"])
    b = table(select=["COP9"])
    assert hash(a) == hash(b) and a.digest() == b.digest()
    assert table(select=["COP90"]).digest() != a.digest()
    assert table(consent_age=16).digest() != Settings().digest()


# -- errors name the file, the key and what was expected ---------------------------------


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"selct": ["COP9"]}, ["proj/pyproject.toml", "unknown key 'selct'", "did you mean 'select'", "known keys:"]),
        ({"colour": "red"}, ["proj/pyproject.toml", "unknown key 'colour'", "known keys: "]),
        ({"select": "COP901"}, ["proj/pyproject.toml", "select", "must be a list", "got a string ('COP901')"]),
        ({"ignore": [901]}, ["ignore", "must be a list of rule codes", "got a list"]),
        ({"exclude": "build"}, ["exclude", "must be a list of glob patterns"]),
        ({"extend-exclude": {"a": 1}}, ["extend-exclude", "must be a list of glob patterns", "got a table"]),
        ({"per-file-ignores": ["tests/*"]}, ["per-file-ignores", "must be a table mapping glob patterns"]),
        ({"per-file-ignores": {"tests/*": "COP901"}}, ["per-file-ignores.'tests/*'", "must be a list"]),
        ({"fail-on": "severe"}, ["fail-on", "must be one of low, medium, high, critical", "'severe'"]),
        ({"fail-on": 3}, ["fail-on", "must be one of low, medium, high, critical", "a number (3)"]),
        ({"audience": "kids"}, ["audience", "must be one of children, mixed, general", "'kids'"]),
        ({"consent-age": "13"}, ["consent-age", "must be a whole number", "a string ('13')"]),
        ({"consent-age": True}, ["consent-age", "must be a whole number", "a boolean"]),
        ({"consent-age": 12.5}, ["consent-age", "must be a whole number"]),
        ({"consent-age": 0}, ["consent-age", "from 1 to 21", "got a number (0)"]),
    ],
)
def test_invalid_values(values, expected):
    message = error_of(values)
    for part in expected:
        assert part in message, (part, message)
    assert message.startswith("proj/pyproject.toml: [tool.copguard]")


@pytest.mark.parametrize(
    "values, where, code",
    [
        ({"select": ["COP999"]}, "select", "'COP999'"),
        ({"ignore": ["COP9", "COP7"]}, "ignore", "'COP7'"),
        ({"select": ["E501"]}, "select", "'E501'"),
        ({"per-file-ignores": {"tests/*": ["COP901", "COP123"]}}, "per-file-ignores.'tests/*'", "'COP123'"),
    ],
)
def test_unknown_rule_codes(values, where, code):
    message = error_of(values)
    assert f"[tool.copguard] {where}" in message
    assert f"unknown rule code or prefix {code}" in message
    assert "expected a code such as" in message


def test_prefixes_of_known_codes_are_accepted():
    assert table(select=["COP", "COP9", "COP90", "COP901"], ignore=["COP0"]).select == (
        "COP", "COP9", "COP90", "COP901",
    )
    assert table(per_file_ignores={"x/*": ["ALL"]}).per_file_ignores == (("x/*", ("ALL",)),)


# -- finding the configuration -------------------------------------------------------


def pyproject(directory: Path, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_nearest_pyproject_with_a_copguard_table_wins(tmp_path):
    pyproject(tmp_path, "[tool.copguard]\naudience = 'general'\n")
    pyproject(tmp_path / "app", "[tool.copguard]\naudience = 'children'\n")
    write_tree(tmp_path, {"app/pkg/m.py": "x = 1\n", "other/m.py": "x = 1\n"})
    settings = load_settings(["app/pkg"], TEST_CODES, cwd=tmp_path)
    assert settings.audience == "children"
    assert settings.config_path == "app/pyproject.toml"
    assert Path(settings.root) == (tmp_path / "app").resolve()
    assert load_settings(["other"], TEST_CODES, cwd=tmp_path).audience == "general"
    assert load_settings(["app/pkg/m.py"], TEST_CODES, cwd=tmp_path).audience == "children"


def test_pyproject_without_our_table_is_passed_over(tmp_path):
    pyproject(tmp_path, "[tool.copguard]\nconsent-age = 16\n")
    pyproject(tmp_path / "app", "[project]\nname = 'app'\n[tool.black]\nline-length = 100\n")
    assert load_settings(["app"], TEST_CODES, cwd=tmp_path).consent_age == 16


def test_broken_pyproject_that_is_not_ours_is_passed_over(tmp_path):
    pyproject(tmp_path, "[tool.copguard]\nconsent-age = 16\n")
    pyproject(tmp_path / "app", "[project\nname = \n")
    assert load_settings(["app"], TEST_CODES, cwd=tmp_path).consent_age == 16


def test_broken_pyproject_with_our_table_is_an_error(tmp_path):
    pyproject(tmp_path, "[tool.copguard]\nconsent-age = = 16\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(["."], TEST_CODES, cwd=tmp_path)


@pytest.mark.parametrize("name", ["copguard-lint", "copguard_lint"])
def test_wrongly_named_table_is_an_error_not_a_silent_default(tmp_path, name):
    pyproject(tmp_path, f"[tool.{name}]\nconsent-age = 16\n")
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path / "sub")
    assert f"found [tool.{name}]; the table is named [tool.copguard]" in str(info.value)
    with pytest.raises(ConfigError):
        load_settings(["."], TEST_CODES, cwd=tmp_path)


def test_broken_pyproject_with_only_a_subtable_of_ours_is_an_error(tmp_path):
    pyproject(tmp_path, "[tool.copguard.per-file-ignores]\n'tests/*' = ['COP901'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(["."], TEST_CODES, cwd=tmp_path)


def test_no_configuration_means_defaults_rooted_at_cwd(tmp_path):
    write_tree(tmp_path, {"m.py": "x = 1\n"})
    settings = load_settings(["."], TEST_CODES, cwd=tmp_path)
    assert settings == Settings()
    assert settings.config_path is None
    assert Path(settings.root) == tmp_path.resolve()


def test_explicit_config_file(tmp_path):
    pyproject(tmp_path, "[tool.copguard]\naudience = 'general'\n")
    own = tmp_path / "ci" / "copguard.toml"
    own.parent.mkdir()
    own.write_text("audience = 'children'\nfail-on = 'high'\n", encoding="utf-8")
    settings = load_settings(["."], TEST_CODES, config_file=str(own), cwd=tmp_path)
    assert (settings.audience, settings.fail_on) == ("children", Severity.HIGH)
    assert Path(settings.root) == own.parent.resolve()


def test_explicit_config_file_with_tool_table(tmp_path):
    own = tmp_path / "copguard.toml"
    own.write_text("[tool.copguard]\nconsent-age = 16\n", encoding="utf-8")
    assert load_settings(["."], TEST_CODES, config_file=str(own), cwd=tmp_path).consent_age == 16


def test_explicit_pyproject_without_our_table_means_defaults(tmp_path):
    path = pyproject(tmp_path / "elsewhere", "[project]\nname = 'x'\n[build-system]\nrequires = []\n")
    settings = load_settings(["."], TEST_CODES, config_file=str(path), cwd=tmp_path)
    assert settings == Settings()


def test_explicit_config_errors_name_the_file(tmp_path):
    own = tmp_path / "copguard.toml"
    own.write_text("audience = 'kids'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(["."], TEST_CODES, config_file=str(own), cwd=tmp_path)
    assert str(info.value).startswith(f"{own}: [tool.copguard] audience must be one of")
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(["."], TEST_CODES, config_file=str(tmp_path / "missing.toml"), cwd=tmp_path)


# -- through the CLI ----------------------------------------------------------------------


def test_cli_config_error_exits_2_with_the_message(in_tmp, test_rules, invoke):
    pyproject(in_tmp, "[tool.copguard]\nselect = ['COP901']\nfail_on = 'high'\n")
    write_tree(in_tmp, {"m.py": "print(1)\n"})
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "copguard: error: pyproject.toml: [tool.copguard] has unknown key 'fail_on'" in result.stderr
    assert "did you mean 'fail-on'" in result.stderr


def test_cli_unknown_code_in_config_exits_2(in_tmp, test_rules, invoke):
    pyproject(in_tmp, "[tool.copguard]\nignore = ['COP999']\n")
    result = invoke(".")
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.copguard] ignore names unknown rule code or prefix 'COP999'" in result.stderr


def test_cli_missing_config_file_exits_2(in_tmp, test_rules, invoke):
    result = invoke("check", "--config", "nope.toml", ".")
    assert result.exit_code == 2
    assert "nope.toml: configuration file not found" in result.stderr


def test_cli_unknown_code_on_command_line_exits_2(in_tmp, test_rules, invoke):
    result = invoke("check", "--select", "COP901,COP555", ".")
    assert result.exit_code == 2
    assert "--select names unknown rule code or prefix 'COP555'" in result.stderr
    result = invoke("check", "--ignore", "XYZ1", ".")
    assert result.exit_code == 2
    assert "--ignore" in result.stderr


def cli_json(invoke, *args):
    result = invoke("check", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return {(f["rule"], f["path"]) for f in json.loads(result.stdout)["findings"]}, result.exit_code


def test_cli_options_override_the_file(in_tmp, test_rules, invoke):
    pyproject(in_tmp, "[tool.copguard]\nselect = ['COP901']\nignore = ['COP903']\nfail-on = 'critical'\n")
    write_tree(in_tmp, {"m.py": "print(input())\n"})
    found, code = cli_json(invoke, ".")
    assert found == {("COP901", "m.py")} and code == 0  # medium < critical
    found, code = cli_json(invoke, "--fail-on", "medium", ".")
    assert code == 1
    found, code = cli_json(invoke, "--select", "COP903", ".")
    assert found == set()  # --select replaces the file's select; the file's ignore still applies
    found, code = cli_json(invoke, "--select", "cop9", "--ignore", "COP901", ".")
    assert found == set()
    found, code = cli_json(invoke, "--config", "pyproject.toml", "--select", "COP90", ".")
    assert found == {("COP901", "m.py")}


def test_cli_per_file_ignores_from_config(in_tmp, test_rules, invoke):
    pyproject(in_tmp, "[tool.copguard]\n[tool.copguard.per-file-ignores]\n'tests/*' = ['COP901']\n"
                      "'scripts/**' = ['ALL']\n")
    write_tree(in_tmp, {"app.py": "print(1)\n", "tests/t.py": "print(input())\n",
                        "scripts/deep/s.py": "print(input())\n"})
    found, _ = cli_json(invoke, ".")
    assert found == {("COP901", "app.py"), ("COP903", "tests/t.py")}


def test_cli_config_root_anchors_globs_when_run_from_a_subdirectory(in_tmp, test_rules, invoke, monkeypatch):
    pyproject(in_tmp, "[tool.copguard]\nextend-exclude = ['app/generated']\n"
                      "[tool.copguard.per-file-ignores]\n'app/legacy/*' = ['COP901']\n")
    write_tree(in_tmp, {"app/main.py": "print(1)\n", "app/generated/g.py": "print(1)\n",
                        "app/legacy/old.py": "print(1)\n"})
    monkeypatch.chdir(in_tmp / "app")
    found, _ = cli_json(invoke, ".")
    assert found == {("COP901", "main.py")}


def test_cli_per_file_ignores_mean_the_roots_paths_from_a_subdirectory(in_tmp, test_rules, invoke, monkeypatch):
    pyproject(in_tmp, "[tool.copguard.per-file-ignores]\n'tests/*' = ['COP901']\n")
    write_tree(in_tmp, {"tests/t.py": "print(1)\n", "app/tests/t.py": "print(1)\n"})
    monkeypatch.chdir(in_tmp / "app")
    result = invoke("check", "--format", "json", ".", "../tests")
    assert [(f["rule"], f["path"]) for f in json.loads(result.stdout)["findings"]] == [("COP901", "tests/t.py")]
