"""Build throwaway warehouses from CSV fixtures by running the real `dbt build` on a copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPANIES = Path(__file__).resolve().parent / "companies"
DBT = str(Path(sys.executable).parent / "dbt")
PROJECT_FILES = ["dbt_project.yml", "profiles.yml", "models", "macros", "docs", "seeds/_seeds.yml",
                 "seeds/kpi_thresholds.csv"]


@dataclass
class Build:
    project: Path
    db: Path
    returncode: int
    output: str

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).df()


def copy_project(target: Path, seed_dir: Path) -> Path:
    """A copy of the dbt project (without the committed seeds) whose seeds/ holds the CSVs of seed_dir."""
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / name)
    shutil.copytree(PROJECT_ROOT / "tests", target / "tests", ignore=shutil.ignore_patterns("python"))
    for csv in seed_dir.glob("raw_*.csv"):
        shutil.copy(csv, target / "seeds" / csv.name)
    return target


def dbt_build(project: Path, db: Path, *args: str) -> Build:
    env = {**os.environ, "JOBMETRICS_DB": str(db), "DBT_PROFILES_DIR": str(project),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    done = subprocess.run(
        [DBT, "build", "--no-use-colors", *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    return Build(project, db, done.returncode, done.stdout + done.stderr)


def build_from(seed_dir: Path, workdir: Path, *args: str) -> Build:
    project = copy_project(workdir / "project", seed_dir)
    return dbt_build(project, workdir / "warehouse.duckdb", *args)


@pytest.fixture(scope="session")
def edge_company(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = build_from(COMPANIES / "edge_company", tmp_path_factory.mktemp("edge"))
    assert build.returncode == 0, build.output[-3000:]
    return build


@pytest.fixture(scope="session")
def default_company(tmp_path_factory: pytest.TempPathFactory) -> Build:
    build = build_from(PROJECT_ROOT / "seeds", tmp_path_factory.mktemp("default"))
    assert build.returncode == 0, build.output[-3000:]
    return build
