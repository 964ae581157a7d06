"""The front door: one `jobmetrics` command with help on every subcommand, the runtime free of development
tools, versions that agree, and `make test`'s provisioning that never skips a system package silently."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import jinja2
import pytest
import yaml
from builds import PROJECT_ROOT

from devtools import provision
from jobmetrics import cli, paths

JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))
DEV_TOOLS = {"playwright", "mypy", "ruff", "pytest", "pytest-xdist", "sqlfluff", "filelock"}


def pyproject() -> dict[str, object]:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def help_of(command: str) -> int:
    """The command's --help, run in this process (argparse exits; `benchmark` runs the harness's own)."""
    try:
        return cli.main([command, "--help"])
    except SystemExit as exited:
        return int(exited.code or 0)


def test_every_command_answers_help(capfd: pytest.CaptureFixture[str]) -> None:
    listed = subprocess.run([JOBMETRICS, "--help"], capture_output=True, text=True, check=True).stdout
    for command in cli.COMMANDS:
        assert f"  {command} " in listed, command
        assert help_of(command) == 0, command
        assert f"usage: jobmetrics {command}" in capfd.readouterr().out, command


def test_an_unknown_command_is_refused_in_one_line() -> None:
    done = subprocess.run([JOBMETRICS, "biuld"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "invalid choice: 'biuld'" in done.stderr


def test_the_shims_call_the_command() -> None:
    for shim, command in (("ai_ask.py", "ask"), ("generate_seeds.py", "sample")):
        done = subprocess.run(
            [sys.executable, shim, "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
        assert f"usage: jobmetrics {command}" in done.stdout


def test_the_runtime_does_not_pull_development_tools() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    runtime = {name.split("[")[0].split("~")[0].split("=")[0].split(">")[0] for name in project["dependencies"]}
    assert not runtime & DEV_TOOLS, runtime & DEV_TOOLS
    pinned = {
        line.split("==")[0].split("[")[0]
        for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith(("#", "-"))
    }
    assert not pinned & DEV_TOOLS, pinned & DEV_TOOLS
    assert project["scripts"] == {"jobmetrics": "jobmetrics.cli:run"}


def test_the_dbt_project_has_the_package_version_and_requires_dbt_1_11() -> None:
    dbt_project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    project = pyproject()["project"]
    assert isinstance(project, dict)
    assert dbt_project["version"] == project["version"]
    assert dbt_project["require-dbt-version"] == [">=1.11.0", "<1.12.0"]


def test_a_missing_system_package_stops_make_test_with_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not root (or no apt): one line per missing package, naming the exact command; exit 1, nothing skipped."""
    missing = [provision.Requirement(r.what, lambda: None, r.debian_package, r.why) for r in provision.REQUIREMENTS]
    monkeypatch.setattr(provision, "REQUIREMENTS", missing)
    monkeypatch.setattr(provision, "can_install", lambda: False)
    assert provision.main() == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    packages = ("chromium", "postgresql", "openjdk-17-jre-headless", "poppler-utils")
    for line, package in zip(lines, packages, strict=True):
        assert f"`sudo apt-get install -y {package}`" in line, line


def test_as_root_with_apt_a_missing_package_is_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    installed: list[list[str]] = []
    found = {"chromium": False}
    chromium = provision.Requirement("Chromium", lambda: Path("/c") if found["chromium"] else None, "chromium", "x")

    def install(packages: list[str]) -> bool:
        installed.append(packages)
        found["chromium"] = True
        return True

    monkeypatch.setattr(provision, "REQUIREMENTS", [chromium])
    monkeypatch.setattr(provision, "can_install", lambda: True)
    monkeypatch.setattr(provision, "install", install)
    assert provision.main() == 0
    assert installed == [["chromium"]]


def test_this_machine_has_what_make_test_provisioned() -> None:
    """make test ran the provisioning first: every system package is found now."""
    for requirement in provision.REQUIREMENTS:
        assert requirement.find() is not None, requirement.what


def test_relationships_between_tenant_tables_are_tested_within_the_tenant() -> None:
    """A relationship between two tables that both carry tenant_id is tested per tenant: the plain test would
    pass a join that matched a user of another company."""
    documents = [yaml.safe_load(path.read_text()) for path in (PROJECT_ROOT / "models").rglob("*.yml")]
    has_tenant = {
        model["name"]
        for document in documents
        for model in (document or {}).get("models", [])
        if any(column["name"] == "tenant_id" for column in model.get("columns", []))
    }
    plain = []
    for document in documents:
        for model in (document or {}).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if isinstance(test, dict) and "relationships" in test:
                        parent = test["relationships"]["arguments"]["to"].split("'")[1]
                        if model["name"] in has_tenant and parent in has_tenant:
                            plain.append(f"{model['name']}.{column['name']} -> {parent}")
    assert plain == []


def test_dbt_and_the_gate_give_duckdb_the_same_resources_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """profiles.yml's DuckDB settings (dbt's models and tests) and jobmetrics.paths' (the gate's and the loader's)
    have the same defaults: one build, one set of resources to tune."""
    for name in ("JOBMETRICS_THREADS", "JOBMETRICS_MEMORY_LIMIT", "JOBMETRICS_TEMP_DIR"):
        monkeypatch.delenv(name, raising=False)
    profile = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text())
    options = profile["jobmetrics"]["outputs"]["dev"]["config_options"]
    rendered = {key: jinja2.Template(value).render(env_var=os.environ.get) for key, value in options.items()}
    settings = paths.duckdb_settings()
    assert (rendered["threads"], rendered["memory_limit"]) == (settings["threads"], settings["memory_limit"])
    assert paths.from_root(rendered["temp_directory"]) == Path(str(settings["temp_directory"]))
