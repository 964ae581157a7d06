"""`make build`: gate the raw files, load them, run `dbt build` with every test, and publish atomically.

Everything happens in a scratch file beside the published warehouse (a copy of it, so incremental
models find their previous state). Only when the gate, the load, every model and every test pass is
the scratch file renamed over the published one: readers already connected keep the version they
opened, new connections see the new build, and a failed build leaves the published file untouched.
A lock file of our own keeps two builds from running at once.

The published file travels with its write-ahead log (`<file>.wal`): a writer that crashed, or a
read-write client still attached, leaves one behind. The build folds it into the file before copying,
refuses when a writer still holds the file, and checks that what it published opens, putting the
previous file back when it does not.

dbt's process starts first: while the raw files are checked and loaded, it imports itself and parses the
project, and it opens the scratch file only when the load is done (jobmetrics.pipeline.dbt_process).
"""

from __future__ import annotations

import collections
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from jobmetrics import paths
from jobmetrics.pipeline import dbt_process, diagnose, publishing, raw, tenant_files
from jobmetrics.warehouse import STORAGE_COMPATIBILITY

if TYPE_CHECKING:
    from jobmetrics.pipeline.contract import Failure

EXIT_RAW_BROKEN, EXIT_RAW_MISSING, EXIT_DBT_FAILED, EXIT_BUILD_RUNNING, EXIT_ENGINE_UNREACHABLE = 1, 2, 3, 4, 5
EXIT_CANNOT_WRITE = 6


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

    @property
    def semantic_manifest(self) -> Path:
        """MetricFlow's semantic manifest of the published build (what the report builder queries)."""
        return self.published.with_suffix(".semantic_manifest.json")


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


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def remove_with_wal(path: Path) -> None:
    for stale in (path, wal(path)):
        stale.unlink(missing_ok=True)


def writer_holds(error: duckdb.Error) -> bool:
    return "lock" in str(error).lower()


def fold_leftover_log(published: Path) -> None:
    """Fold a write-ahead log left beside the published file into it, or stop when a writer still holds it."""
    if not wal(published).exists():
        return
    try:
        with duckdb.connect(str(published), config=dict(STORAGE_COMPATIBILITY)) as con:
            con.execute("checkpoint")
    except duckdb.Error as error:
        if writer_holds(error):
            raise BuildFailed(
                EXIT_BUILD_RUNNING,
                f"{published} is open in another program that has written to it ({wal(published).name} is beside "
                "it); close that program (readers should open it read-only) and run again.",
            ) from error
        raise BuildFailed(
            EXIT_CANNOT_WRITE,
            f"{wal(published).name}, the write-ahead log beside {published}, cannot be replayed "
            f"({diagnose.duckdb_reason(error)}); move it away to publish over it, and run again.",
        ) from error


def start_scratch(warehouse: Warehouse) -> None:
    """A scratch copy of the published warehouse, or a new file when nothing is published yet."""
    remove_with_wal(warehouse.scratch)
    fold_leftover_log(warehouse.published)
    if warehouse.published.exists():
        shutil.copyfile(warehouse.published, warehouse.scratch)
    with duckdb.connect(str(warehouse.scratch), config=dict(STORAGE_COMPATIBILITY)) as con:
        drop_tables_from_before_tenants(con)


def drop_tables_from_before_tenants(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse published before tenants existed keeps incremental marts (and their fingerprints) without
    tenant_id; dropped, they are rebuilt whole instead of failing on their changed columns."""
    outdated = con.execute(
        "select schema_name, table_name from duckdb_tables() where (schema_name, table_name) in "
        "(('marts', 'fct_scans'), ('marts', 'scans_daily'), ('marts', 'engagement_daily'), "
        "('audit', 'incremental_state')) and not exists (select 1 from duckdb_columns() as c where "
        "c.schema_name = duckdb_tables.schema_name and c.table_name = duckdb_tables.table_name "
        "and c.column_name = 'tenant_id')"
    ).fetchall()
    for schema, table in outdated:
        con.execute(f'drop table "{schema}"."{table}"')


def refuse(failures: list[Failure]) -> None:
    """Stop the build when the raw files broke the contract, one line per failure."""
    if failures:
        lines = "\n".join(f"  {failure}" for failure in failures)
        raise BuildFailed(EXIT_RAW_BROKEN, f"raw data contract broken ({len(failures)} problem(s)):\n{lines}")


def check_raw(tenants: dict[str, dict[str, raw.RawFile]], docs_dir: Path, dbt_args: list[str]) -> None:
    """Every check of the contract, before anything is loaded."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        refuse(check_raw_beside(tenants, docs_dir, dbt_args, pool).result())


def check_raw_beside(
    tenants: dict[str, dict[str, raw.RawFile]], docs_dir: Path, dbt_args: list[str], pool: ThreadPoolExecutor
) -> Future[list[Failure]]:
    """DuckDB's checks of the contract now: any failure, or any value whose text is not of its column's type,
    stops the build here with the whole report. Otherwise Great Expectations' verdict on the files' formats
    (which DuckDB found all readable) and its Data Docs come in `pool` while the build goes on: the build waits
    for them before it publishes (a few seconds of GX's import and validation no longer come first)."""
    # Great Expectations takes seconds to import: only a build that gates raw files pays for it, not every
    # command that reaches this module (overview, report, the dashboard).
    from jobmetrics.pipeline import contract

    try:
        examined = contract.examine(tenants, docs_dir, pool, dates=raw.PlausibleDates.from_vars(dbt_args))
    except contract.RawFileUnreadable as error:
        raise BuildFailed(EXIT_RAW_MISSING, str(error)) from error
    if examined.failures or not examined.formats_read():
        refuse(examined.judged())
    examined.release()  # the files' tables are not needed while dbt builds
    return pool.submit(examined.judged)


def load_raw(warehouse: Warehouse, tenants: dict[str, dict[str, raw.RawFile]]) -> dict[str, int]:
    with duckdb.connect(str(warehouse.scratch), config=paths.duckdb_settings()) as con:
        return raw.load(con, tenants)


@dataclass(frozen=True)
class DbtRun:
    """How dbt is run on the scratch file. dbt runs in the warehouse's folder and names the file relatively, so
    the profile it renders is the same for every warehouse of the same name and a saved parse stays valid (dbt
    parses the whole project again, about 5 s, whenever its profile changes)."""

    command: list[str]
    env: dict[str, str]
    cwd: Path


def dbt_run(warehouse: Warehouse, command: str, dbt_args: list[str]) -> DbtRun:
    env = {
        **os.environ,
        "JOBMETRICS_DB": warehouse.scratch.name,
        "DBT_PROFILES_DIR": str(paths.PROJECT_ROOT),
        "JOBMETRICS_TEMP_DIR": str(paths.spill_dir()),
    }
    if "DBT_LOG_PATH" in os.environ:
        env["DBT_LOG_PATH"] = str(paths.from_root(os.environ["DBT_LOG_PATH"]))
    # -P: the warehouse's folder, dbt's working directory, is not where modules are imported from
    dbt = [sys.executable, "-P", "-m", dbt_process.__name__]
    return DbtRun([*dbt, command, "--project-dir", str(paths.PROJECT_ROOT), *dbt_args], env, warehouse.scratch.parent)


def without_gated_tests(dbt_args: list[str]) -> list[str]:
    """dbt's arguments for a build whose raw files the gate has just passed: the tests declared on the raw sources
    left out, since the gate ran each one's own SQL on the very values the load wrote. Stripe's tables read from
    a schema another tool loaded (JOBMETRICS_STRIPE_SCHEMA) were not gated, and a named selector cannot take
    --exclude: both keep every test."""
    if os.environ.get("JOBMETRICS_STRIPE_SCHEMA") or "--selector" in dbt_args:
        return dbt_args
    return [*dbt_args, "--exclude", f"path:{raw.SOURCES_YML.relative_to(paths.PROJECT_ROOT)}"]


@contextmanager
def dbt_started(warehouse: Warehouse, dbt_args: list[str]) -> Iterator[subprocess.Popen[str]]:
    """`dbt build` of the scratch file in a process started now, so that dbt imports itself and parses the project
    while the raw files are checked and loaded (jobmetrics.pipeline.dbt_process): it opens the warehouse only once
    `dbt_build` lets it. When the build stops before that, the process is killed, having touched nothing (at
    worst a parse it was saving is lost, and the next build parses whole)."""
    run = dbt_run(warehouse, "build", dbt_args)
    with subprocess.Popen(
        run.command,
        cwd=run.cwd,
        env=run.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def dbt_build(dbt: subprocess.Popen[str], warehouse: Warehouse) -> None:
    """Let the started dbt build the scratch file, its output passed through as it comes; the last lines are kept
    to tell a full disk or an unwritable folder from a failed model or test."""
    assert dbt.stdin is not None and dbt.stdout is not None
    try:
        dbt.stdin.write(dbt_process.GO + "\n")
        dbt.stdin.close()
    except BrokenPipeError:
        pass  # dbt ended before its turn (its project or arguments are wrong): its output says why
    last_lines: collections.deque[str] = collections.deque(maxlen=400)
    for line in dbt.stdout:
        sys.stdout.write(line)
        last_lines.append(line)
    if dbt.wait() != 0:
        problem = diagnose.write_problem(duckdb.IOException("".join(last_lines)), warehouse.scratch.parent)
        if problem is not None:
            raise BuildFailed(EXIT_CANNOT_WRITE, problem)
        raise BuildFailed(EXIT_DBT_FAILED, "dbt build failed (see above)")


def opens(path: Path) -> str | None:
    """None when the file opens read-only and lists its marts, else DuckDB's reason."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("select count(*) from information_schema.tables where table_schema = 'marts'").fetchall()
    except duckdb.Error as error:
        return diagnose.duckdb_reason(error)
    return None


def publish(warehouse: Warehouse, staged_tenants: dict[str, Path]) -> None:
    """Fold the scratch file's log into it and rename it, each tenant's file and the manifests over the published
    ones, all or none; then check that the published file opens, and put every previous file back when it does
    not."""
    with duckdb.connect(str(warehouse.scratch)) as con:
        con.execute("checkpoint")
    if wal(warehouse.published).exists():
        raise BuildFailed(
            EXIT_BUILD_RUNNING,
            f"another program wrote to {warehouse.published} during the build; close it and run again.",
        )
    manifests = {
        suffix: built
        for suffix, built in (
            (".manifest.json", paths.target_dir() / "manifest.json"),
            (".semantic_manifest.json", paths.target_dir() / "semantic_manifest.json"),
        )
        if built.exists()
    }
    replacements = [publishing.Replacement(warehouse.scratch, warehouse.published)]
    replacements += tenant_files.staged_copies(manifests, warehouse.published.with_suffix(""))
    replacements += tenant_files.replacements(staged_tenants, manifests)
    try:
        publishing.replace_all(replacements)
    except publishing.NotPublished as error:
        raise BuildFailed(
            EXIT_CANNOT_WRITE,
            f"{error}; nothing was published: the warehouse and every tenant's file are as they were.",
        ) from error
    reason = opens(warehouse.published)
    if reason is not None:
        publishing.put_back(replacements)
        raise BuildFailed(EXIT_CANNOT_WRITE, f"the new warehouse did not open ({reason}); the previous one is back")
    publishing.forget_previous(replacements)
    tenant_files.remove_gone(staged_tenants, warehouse.published)


def run(warehouse: Warehouse, raw_dir: Path | None, dbt_args: list[str], say: Callable[[str], None] = print) -> None:
    """The whole build; raw_dir None means the raw tables are already in JOBMETRICS_RAW_SCHEMA."""
    if warehouse.published.is_dir():
        raise BuildFailed(
            EXIT_CANNOT_WRITE,
            f"{warehouse.published} is a folder, not the warehouse file; name the file (JOBMETRICS_DB or --db), "
            f"e.g. {warehouse.published / 'jobmetrics.duckdb'}",
        )
    try:
        with exclusive(warehouse.lock):
            build_locked(warehouse, raw_dir, dbt_args, say)
    except OSError as error:  # the lock file itself could not be made
        problem = diagnose.write_problem(error, warehouse.published.parent)
        if problem is None:
            raise
        raise BuildFailed(EXIT_CANNOT_WRITE, problem) from error


def build_locked(warehouse: Warehouse, raw_dir: Path | None, dbt_args: list[str], say: Callable[[str], None]) -> None:
    try:
        raw_files = raw.find_tenants(raw_dir) if raw_dir is not None else {}
        with (
            ThreadPoolExecutor(max_workers=1) as beside,
            dbt_started(warehouse, without_gated_tests(dbt_args) if raw_files else dbt_args) as dbt,
        ):
            verdict = None
            if raw_files:
                say(f"Checking the raw files in {raw_dir} against the contract")
                verdict = check_raw_beside(raw_files, paths.target_dir() / "validate_raw", dbt_args, beside)
            start_scratch(warehouse)
            if raw_files:
                counts = load_raw(warehouse, raw_files)
                say("Loaded " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
            dbt_build(dbt, warehouse)
            if verdict is not None:
                refuse(verdict.result())
        staged = tenant_files.stage(warehouse.scratch, warehouse.published)
        try:
            publish(warehouse, staged)
        except BaseException:
            tenant_files.discard(staged)
            raise
    except raw.RawFilesMissing as error:
        remove_with_wal(warehouse.scratch)
        raise BuildFailed(EXIT_RAW_MISSING, str(error)) from error
    except (OSError, duckdb.Error) as error:
        remove_with_wal(warehouse.scratch)
        problem = diagnose.write_problem(error, warehouse.published.parent)
        if problem is None:
            raise
        raise BuildFailed(EXIT_CANNOT_WRITE, problem) from error
    except BaseException:
        remove_with_wal(warehouse.scratch)
        raise
