"""The tree shows who runs what, and imports run one way: every runtime's package reads the small core, the core
reads nothing above it, what dbt's Python models import reads nothing else of the project, and nothing imports the
CLI or the dashboard."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest
from builds import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "jobmetrics"
# a layer -> the layers it may import (itself included)
MAY_IMPORT = {
    "core": {"core"},
    "stats": {"stats"},
    "access": {"core", "access"},
    "pipeline": {"core", "pipeline"},
    "alerts": {"core", "alerts", "pipeline"},
    "ask": {"core", "ask", "alerts"},
    "views": {"core", "views", "access"},
    "cli": {"core", "stats", "access", "pipeline", "alerts", "ask", "views", "cli"},
    "dashboard": {"core", "access", "ask", "views", "dashboard"},
}
LAYERS = set(MAY_IMPORT) - {"core", "dashboard"}
MAX_LINES = 500


def layer_of_file(path: Path) -> str:
    if path.is_relative_to(PROJECT_ROOT / "dashboard"):
        return "dashboard"
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else "core"


def layer_of_module(name: str) -> str | None:
    """The layer of an imported module of the project, None for anything else."""
    parts = name.split(".")
    if parts[0] == "dashboard":
        return "dashboard"
    if parts[0] != "jobmetrics":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "core"


def imported(path: Path) -> list[str]:
    """Every module the file imports, at the top or inside a function (`from jobmetrics import x` names x)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


SOURCES = sorted([*PACKAGE.rglob("*.py"), *(PROJECT_ROOT / "dashboard").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_imports_run_one_way(path: Path) -> None:
    layer = layer_of_file(path)
    wrong = [
        name
        for name in imported(path)
        if (other := layer_of_module(name)) is not None and other not in MAY_IMPORT[layer]
    ]
    assert wrong == [], f"{layer} may import {sorted(MAY_IMPORT[layer])} only"


def test_what_dbt_imports_needs_only_the_scientific_stack() -> None:
    allowed = {"numpy", "pandas", "scipy", "sklearn", "jobmetrics", "__future__", *sys.stdlib_module_names}
    found = {name.split(".")[0] for path in (PACKAGE / "stats").rglob("*.py") for name in imported(path)}
    assert found <= allowed, found - allowed


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *PACKAGE.rglob("*.py"),
            *(PROJECT_ROOT / "dashboard").rglob("*.py"),
            *(PROJECT_ROOT / "devtools").rglob("*.py"),
        ]
    ),
    ids=lambda path: str(path.relative_to(PROJECT_ROOT)),
)
def test_no_python_file_is_over_500_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_every_package_says_who_runs_it() -> None:
    for package in [PACKAGE, *(PACKAGE / layer for layer in LAYERS)]:
        text = (package / "__init__.py").read_text()
        assert ast.get_docstring(ast.parse(text)), package


# what only one runtime needs: the pipeline alone installs none of it (pyproject.toml's extras)
RUNTIME_ONLY = {"streamlit": "dashboard", "plotly": "dashboard", "metricflow": "dashboard", "anthropic": "ask"}
RUNTIME_ONLY |= {"pyspark": "spark", "psycopg2": "postgres", "streamlit_authenticator": "dashboard"}
NEEDS_ITS_EXTRA = {"dashboard": {"dashboard", "views", "cli"}, "ask": {"ask", "cli"}, "spark": {"pipeline", "cli"}}
NEEDS_ITS_EXTRA |= {"postgres": {"pipeline", "cli"}}


def top_level_imports(path: Path) -> list[str]:
    """What a module imports when it is imported (not inside a function, not for type checking only)."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_the_pipeline_alone_imports_no_runtimes_extra() -> None:
    """The package without extras is the pipeline: a module outside a runtime's layers imports none of that
    runtime's libraries when it is imported, and the base dependencies list none of them."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    assert not [name for name in ("streamlit", "plotly", "anthropic", "pyspark", "metricflow") if name in base]
    assert set(project["optional-dependencies"]) >= {"dashboard", "ask", "postgres", "spark", "dev"}
    for path in PACKAGE.rglob("*.py"):
        layer = layer_of_file(path)
        for name in top_level_imports(path):
            extra = RUNTIME_ONLY.get(name.split(".")[0])
            assert extra is None or layer in NEEDS_ITS_EXTRA[extra], (path, name)


def test_no_test_module_imports_another() -> None:
    """Fixtures live in conftest.py and helpers in builds, helpers and reference: a test module imported by another
    would run its tests twice and hide where a fixture comes from."""
    tests = PROJECT_ROOT / "tests" / "python"
    importing = {
        path.name: name
        for path in tests.glob("*.py")
        for name in imported(path)
        if name.split(".")[0].startswith("test_")
    }
    assert importing == {}
