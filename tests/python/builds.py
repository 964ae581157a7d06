"""Throwaway warehouses for the tests: the real `dbt build` on a copy of the project with other raw CSVs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPANIES = Path(__file__).resolve().parent / "companies"
DBT = str(Path(sys.executable).parent / "dbt")
PROJECT_FILES = [
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "macros",
    "docs",
    "seeds/_seeds.yml",
    "seeds/kpi_thresholds.csv",
]
PARSE_FILE = "target/partial_parse.msgpack"


@dataclass
class Build:
    project: Path
    db: Path
    returncode: int
    output: str

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).df()

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}))

    @classmethod
    def load(cls, path: Path) -> Build:
        saved = json.loads(path.read_text())
        return cls(Path(saved["project"]), Path(saved["db"]), saved["returncode"], saved["output"])


def copy_project(target: Path, seed_dir: Path, parsed: Build | None = None) -> Path:
    """A copy of the dbt project (without the committed seeds) whose seeds/ holds the CSVs of seed_dir.

    Given a build of an identical project, its saved parse is reused (dbt re-parses only what changed).
    """
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
    if parsed is not None and (parsed.project / PARSE_FILE).exists():
        (target / "target").mkdir()
        shutil.copy(parsed.project / PARSE_FILE, target / PARSE_FILE)
    return target


def dbt_build(project: Path, db: Path, *args: str) -> Build:
    """`dbt build` of the project into db, which sits beside the project: the relative path keeps the
    profile identical across copies, so a saved parse stays valid."""
    assert db.parent == project.parent, "the warehouse sits beside the project folder"
    env = {
        **os.environ,
        "JOBMETRICS_DB": f"../{db.name}",
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    done = subprocess.run(
        [DBT, "build", "--no-use-colors", *args], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    return Build(project, db, done.returncode, done.stdout + done.stderr)


def build_from(seed_dir: Path, workdir: Path, *args: str, parsed: Build | None = None) -> Build:
    project = copy_project(workdir / "project", seed_dir, parsed)
    return dbt_build(project, workdir / "warehouse.duckdb", *args)


def shared_build(shared_dir: Path, name: str, make: Callable[[Path], Build], must_pass: bool = True) -> Build:
    """The named build, made by whichever worker asks first while the others wait for it."""
    with FileLock(shared_dir / f"{name}.lock"):
        record = shared_dir / name / "build.json"
        if record.exists():
            return Build.load(record)
        build = make(shared_dir / name)
        if must_pass:
            assert build.returncode == 0, build.output[-3000:]
        build.save(record)
        return build
