"""`make build`: gate the raw files, load them, run `dbt build` with every test, and publish atomically.

Everything happens in a scratch file beside the published warehouse (a copy of it, so incremental
models find their previous state). Only when the gate, the load, every model and every test pass is
the scratch file renamed over the published one: readers already connected keep the version they
opened, new connections see the new build, and a failed build leaves the published file untouched.
A lock file of our own keeps two builds from running at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from jobmetrics import contract, paths, raw

# Every DuckDB 1.4+ client can open what this writes (2.x would otherwise write storage version 69).
STORAGE_COMPATIBILITY = {"storage_compatibility_version": "v1.4.0"}
EXIT_RAW_BROKEN, EXIT_RAW_MISSING, EXIT_DBT_FAILED, EXIT_BUILD_RUNNING, EXIT_ENGINE_UNREACHABLE = 1, 2, 3, 4, 5


class BuildFailed(Exception):
    """The build stopped; `code` is the exit code and str() says why and what to do."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Warehouse:
    """The published file and the files that travel with it."""

    published: Path

    @property
    def scratch(self) -> Path:
        return self.published.with_name(self.published.name + ".building")

    @property
    def lock(self) -> Path:
        return self.published.with_name(self.published.name + ".lock")

    @property
    def manifest(self) -> Path:
        """dbt's manifest of the published build (what ai_ask and the docs describe)."""
        return self.published.with_suffix(".manifest.json")


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold the build lock, or stop at once when another build holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildFailed(
                EXIT_BUILD_RUNNING,
                f"another build of {lock_path.with_suffix('')} is running; wait for it to finish and run again.",
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_with_wal(path: Path) -> None:
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)


def start_scratch(warehouse: Warehouse) -> None:
    """A scratch copy of the published warehouse, or a new file when nothing is published yet."""
    remove_with_wal(warehouse.scratch)
    if warehouse.published.exists():
        shutil.copyfile(warehouse.published, warehouse.scratch)
    with duckdb.connect(str(warehouse.scratch), config=dict(STORAGE_COMPATIBILITY)):
        pass


def check_raw(files: dict[str, raw.RawFile], docs_dir: Path) -> None:
    try:
        failures = contract.validate(files, docs_dir)
    except contract.RawFileUnreadable as error:
        raise BuildFailed(EXIT_RAW_MISSING, str(error)) from error
    if failures:
        lines = "\n".join(f"  {failure}" for failure in failures)
        raise BuildFailed(EXIT_RAW_BROKEN, f"raw data contract broken ({len(failures)} problem(s)):\n{lines}")


def load_raw(warehouse: Warehouse, files: dict[str, raw.RawFile]) -> dict[str, int]:
    with duckdb.connect(str(warehouse.scratch), config=paths.duckdb_settings()) as con:
        return raw.load(con, files)


def dbt_build(warehouse: Warehouse, dbt_args: list[str]) -> None:
    env = {**os.environ, "JOBMETRICS_DB": str(warehouse.scratch), "DBT_PROFILES_DIR": str(paths.PROJECT_ROOT)}
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run([str(dbt), "build", *dbt_args], cwd=paths.PROJECT_ROOT, env=env, check=False)
    if done.returncode != 0:
        raise BuildFailed(EXIT_DBT_FAILED, "dbt build failed (see above)")


def publish(warehouse: Warehouse) -> None:
    """Fold the write-ahead log into the file, then rename it over the published one in one step."""
    with duckdb.connect(str(warehouse.scratch)) as con:
        con.execute("checkpoint")
    warehouse.scratch.replace(warehouse.published)
    manifest = paths.target_dir() / "manifest.json"
    if manifest.exists():
        staged = warehouse.manifest.with_name(warehouse.manifest.name + ".new")
        shutil.copyfile(manifest, staged)
        staged.replace(warehouse.manifest)


def run(warehouse: Warehouse, raw_dir: Path | None, dbt_args: list[str], say: Callable[[str], None] = print) -> None:
    """The whole build; raw_dir None means the raw tables are already in JOBMETRICS_RAW_SCHEMA."""
    with exclusive(warehouse.lock):
        try:
            files = raw.find_raw_files(raw_dir) if raw_dir is not None else {}
            if files:
                say(f"Checking the raw files in {raw_dir} against the contract")
                check_raw(files, paths.target_dir() / "validate_raw")
            start_scratch(warehouse)
            if files:
                counts = load_raw(warehouse, files)
                say("Loaded " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
            dbt_build(warehouse, dbt_args)
            publish(warehouse)
        except raw.RawFilesMissing as error:
            remove_with_wal(warehouse.scratch)
            raise BuildFailed(EXIT_RAW_MISSING, str(error)) from error
        except BaseException:
            remove_with_wal(warehouse.scratch)
            raise
