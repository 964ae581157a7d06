"""Throwaway warehouses for the tests: the real load and `dbt build` of the project into a scratch file.

Each build has its own folder (warehouse file, dbt target and logs); the project itself is never
copied or written to. Raw files are loaded with the package's loader, as `make build` does after its
gate, so bad files reach dbt's own contract tests.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from filelock import FileLock

from jobmetrics import warehouse
from jobmetrics.pipeline import build, raw

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COMPANIES = Path(__file__).resolve().parent / "companies"
SAMPLE = PROJECT_ROOT / "data" / "sample"
PARSE_FILE = "partial_parse.msgpack"
# The profile must read the same in every build for a saved parse to stay valid: dbt runs in the
# build's folder and finds the warehouse there under this one relative name.
WAREHOUSE_NAME = "warehouse.duckdb"
# What the tests that run `jobmetrics build` publish: the name its saved parse was made for (published_parse).
PUBLISHED_NAME = "jobmetrics.duckdb"


@dataclass
class Build:
    workdir: Path
    returncode: int
    output: str

    @property
    def db(self) -> Path:
        return self.workdir / WAREHOUSE_NAME

    @property
    def target(self) -> Path:
        return self.workdir / "target"

    @property
    def manifest(self) -> Path:
        return self.target / "manifest.json"

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql).df()

    def save(self, path: Path) -> None:
        path.write_text(
            json.dumps({"workdir": str(self.workdir), "returncode": self.returncode, "output": self.output})
        )

    @classmethod
    def load(cls, path: Path) -> Build:
        saved = json.loads(path.read_text())
        return cls(Path(saved["workdir"]), saved["returncode"], saved["output"])


def load_raw_files(raw_dir: Path, workdir: Path) -> None:
    """The raw files into schema raw of the build's warehouse, cast to the contract's types."""
    workdir.mkdir(parents=True, exist_ok=True)
    # created as make build creates it: in a format every DuckDB 1.4+ client opens
    with duckdb.connect(str(workdir / WAREHOUSE_NAME), config=dict(warehouse.STORAGE_COMPATIBILITY)) as con:
        raw.load(con, raw.find_tenants(raw_dir))


def dbt_build(
    workdir: Path,
    *args: str,
    parsed: Build | None = None,
    env: dict[str, str] | None = None,
    project: Path = PROJECT_ROOT,
    command: str = "build",
    artifacts: bool = False,
) -> Build:
    """`dbt build` (or another dbt command) of the project into the warehouse in workdir; a previous build's
    parse is reused. Without `artifacts`, a build or test run writes no manifest.json, semantic_manifest.json
    or run_results.json (a second of each run, and only the shared builds' are read)."""
    (workdir / "target").mkdir(parents=True, exist_ok=True)
    if parsed is not None and parsed.workdir != workdir and (parsed.target / PARSE_FILE).exists():
        shutil.copy(parsed.target / PARSE_FILE, workdir / "target" / PARSE_FILE)
    run_env = {
        **os.environ,
        "JOBMETRICS_DB": WAREHOUSE_NAME,
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        **(env or {}),
    }
    # the saved parse is the one in its own target folder (a build that starts from it and finds nothing changed
    # writes none, so the next build given it as `parsed` still finds it there)
    run_env.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)
    arguments = [
        command,
        "--no-use-colors",
        "--project-dir",
        str(project),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
        *([] if artifacts or command not in ("build", "test") else ["--no-write-json"]),
        *args,
    ]
    returncode, output = dbt_command(arguments, workdir, run_env)
    return Build(workdir, returncode, output)


class DbtZygote:
    """This worker's dbt_zygote.py process (dbt imported once), started by its first command."""

    process: subprocess.Popen[str] | None = None
    lock = threading.Lock()


def dbt_command(arguments: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> tuple[int, str]:
    """`dbt <arguments>` run in cwd with env, as the executable runs it but without importing dbt again: its exit
    code and its output (stdout and stderr)."""
    with DbtZygote.lock, tempfile.TemporaryDirectory() as scratch:
        zygote = DbtZygote.process
        if zygote is None or zygote.poll() is not None:
            script = str(Path(__file__).with_name("dbt_zygote.py"))
            zygote = subprocess.Popen(
                [sys.executable, "-P", script],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            DbtZygote.process = zygote
        assert zygote.stdin is not None and zygote.stdout is not None
        output = Path(scratch) / "output.txt"
        request = {"args": arguments, "cwd": str(cwd), "env": env, "output": str(output)}
        zygote.stdin.write(json.dumps(request) + "\n")
        zygote.stdin.flush()
        if not select.select([zygote.stdout], [], [], timeout)[0]:
            os.killpg(zygote.pid, signal.SIGKILL)  # the command's child with it
            zygote.wait()
            raise subprocess.TimeoutExpired(["dbt", *arguments], timeout)
        reply = zygote.stdout.readline()
        if not reply:
            raise RuntimeError(f"dbt_zygote.py ended with code {zygote.wait()}; its errors are above")
        return int(json.loads(reply)["returncode"]), output.read_text(errors="replace") if output.exists() else ""


def stop_dbt_zygote() -> None:
    """The worker's dbt process told to end (stdin closed) and waited for."""
    with DbtZygote.lock:
        zygote, DbtZygote.process = DbtZygote.process, None
        if zygote is not None and zygote.stdin is not None:
            zygote.stdin.close()
            zygote.wait(timeout=60)


def build_from(raw_dir: Path, workdir: Path, *args: str, parsed: Build | None = None, artifacts: bool = False) -> Build:
    load_raw_files(raw_dir, workdir)
    return dbt_build(workdir, *args, parsed=parsed, artifacts=artifacts)


def project_parse(shared_dir: Path) -> Build:
    """`dbt parse` of the project, once per session: a build given it as `parsed` starts in about a second instead
    of the five a full parse takes (when its vars differ, dbt parses again by itself)."""
    return shared_build(shared_dir, "parse", lambda work: dbt_build(work, command="parse"))


def published_parse(shared_dir: Path) -> Build:
    """`dbt parse` of the project as `jobmetrics build` runs dbt for a warehouse named PUBLISHED_NAME, once per
    session: the command's builds start from it (conftest's `saved_parse`) instead of parsing for five seconds."""

    def make(work: Path) -> Build:
        run = build.dbt_run(build.Warehouse(work / PUBLISHED_NAME), "parse", [])
        env = {**run.env, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
        env.pop("DBT_PARTIAL_PARSE_FILE_PATH", None)
        work.mkdir(parents=True)
        done = subprocess.run(run.command, cwd=run.cwd, env=env, capture_output=True, text=True, timeout=900)
        return Build(work, done.returncode, done.stdout + done.stderr)

    return shared_build(shared_dir, "published_parse", make)


def shared_build(shared_dir: Path, name: str, make: Callable[[Path], Build], must_pass: bool = True) -> Build:
    """The named build, made by whichever worker asks first while the others wait for it.

    Made once, failed or not: a test that asks for a build that failed gets the same failure, where making it
    again in the half-written folder would fail for another reason and hide the first.
    """
    with FileLock(shared_dir / f"{name}.lock"):
        work = shared_dir / name
        record = work / "build.json"
        if record.exists():
            build = Build.load(record)
        else:
            try:
                build = make(work)
            except Exception as error:
                work.mkdir(parents=True, exist_ok=True)
                Build(work, -1, f"making the build raised {error!r}").save(record)
                raise
            build.save(record)
        if must_pass:
            assert build.returncode == 0, f"the shared build {name} failed:\n{what_failed(build.output)}"
        return build


# A dbt error line, a JVM log's error, or a Python or Java exception
ERROR_LINE = re.compile(r"\bERROR\b|Error\b|Exception\b|Failure in ")


def what_failed(output: str, first_errors: int = 3, lines_after: int = 12) -> str:
    """A failed build's output cut to what says why: the first few errors, each with the lines that follow it,
    then the output's end. The end alone can hide the cause: Spark logs its shutdown after the error that
    caused it, and dbt's own summary is followed by the JVM's log on stderr."""
    lines = output.splitlines()
    shown: list[str] = []
    next_free = 0
    for number, line in enumerate(lines):
        if len(shown) // (lines_after + 1) >= first_errors:
            break
        if number >= next_free and ERROR_LINE.search(line):
            shown += [text[:300] for text in lines[number : number + lines_after + 1]]
            next_free = number + lines_after + 1
    return "\n".join([*shown, "[...] the output ends:", output[-1500:]])


# The edge company under names of its own: its channels and segments renamed, with its own lists of them.
OWN_CHANNELS = {
    "organic_search": "seo",
    "paid_search": "google_ads",
    "paid_social": "linkedin_ads",
    "referral": "word_of_mouth",
    "content": "blog",
    "partnerships": "career_centers",
}
OWN_SEGMENTS = {
    "active_job_seeker": "urgent",
    "career_changer": "switcher",
    "recent_graduate": "graduate",
    "passive_candidate": "curious",
}
RENAMED = {"acquisition_channel": OWN_CHANNELS, "channel": OWN_CHANNELS, "segment": OWN_SEGMENTS}


# How the churn-risk drivers name a channel and a segment (jobmetrics.stats.churn_risk.DRIVER_WORDS).
DRIVER_NAMING = {"acquisition_channel": "came through {}", "segment": "segment: {}"}


def under_edge_names(frame: pd.DataFrame) -> pd.DataFrame:
    """A mart's rows of the renamed edge company back under the edge company's own channel and segment names,
    in their columns, where a grouped mart names its group (`grouped_by`, `group_value`), and in the drivers of
    churn_risk."""
    frame = frame.copy()
    for column, names in RENAMED.items():
        back = {new: old for old, new in names.items()}
        if column in frame:
            frame[column] = frame[column].replace(back)
        if {"grouped_by", "group_value"} <= set(frame.columns):
            grouped = frame["grouped_by"] == column
            frame.loc[grouped, "group_value"] = frame.loc[grouped, "group_value"].replace(back)
        if column in DRIVER_NAMING:
            worded = {
                DRIVER_NAMING[column].format(new.replace("_", " ")): DRIVER_NAMING[column].format(old.replace("_", " "))
                for new, old in back.items()
            }
            for driver in [c for c in frame.columns if c.startswith("driver_") and not c.endswith("_contribution")]:
                frame[driver] = frame[driver].replace(worded)
    return frame


def columns_in_file(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> dict[str, str]:
    """The contract's columns of a table (name -> type) that its CSV has: a file may leave some out."""
    header = con.read_csv(str(path), header=True, all_varchar=True).columns
    return {column: kind for column, kind in raw.contract()[table].items() if column in header}


def with_own_names_as_parquet(source: Path, out: Path) -> None:
    """A company's CSVs as Parquet files typed as the contract says, its channels and segments renamed, and
    its own lists of them beside the files."""
    out.mkdir(parents=True)
    with duckdb.connect() as con:
        for table in raw.contract():
            if not (source / f"{table}.csv").exists():
                continue  # an optional table the company does not bring
            select = ", ".join(
                f"cast({renamed(column, RENAMED[column]) if column in RENAMED else column} as {kind}) as {column}"
                for column, kind in columns_in_file(con, source / f"{table}.csv", table).items()
            )
            con.execute(
                f"copy (select {select} from read_csv(?, header = true, all_varchar = true)) "
                f"to '{out / f'{table}.parquet'}' (format parquet)",
                [str(source / f"{table}.csv")],
            )
    channels = pd.read_csv(PROJECT_ROOT / "seeds" / "acquisition_channels.csv")
    channels["acquisition_channel"] = channels["acquisition_channel"].map(OWN_CHANNELS)
    channels.to_csv(out / "acquisition_channels.csv", index=False)
    segments = pd.read_csv(PROJECT_ROOT / "seeds" / "segments.csv")
    segments["segment"] = segments["segment"].map(OWN_SEGMENTS)
    segments.to_csv(out / "segments.csv", index=False)


def renamed(column: str, names: dict[str, str]) -> str:
    cases = " ".join(f"when '{old}' then '{new}'" for old, new in names.items())
    return f"case lower(trim({column})) {cases} end"


EDGE = COMPANIES / "edge_company"
JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))


def without_subscriptions(source: Path, out: Path) -> None:
    """The edge company before anyone paid: its users, plans, scans and spend, and no subscription."""
    shutil.copytree(source, out)
    header = (out / "raw_subscriptions.csv").read_text().splitlines()[0]
    (out / "raw_subscriptions.csv").write_text(header + "\n")


def build_tenants(work: Path) -> Build:
    raw_dir = work / "raw"
    shutil.copytree(SAMPLE, raw_dir / "sample")
    shutil.copytree(EDGE, raw_dir / "edge")
    # the edge company again, as Parquet under channel and segment names of its own (a company with its own lists);
    # every id it uses is also the edge tenant's
    with_own_names_as_parquet(EDGE, raw_dir / "edge-parquet")
    without_subscriptions(EDGE, raw_dir / "no-subscriptions")
    env = {**os.environ, "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    done = subprocess.run(
        [JOBMETRICS, "build", "--raw-dir", str(raw_dir), "--db", str(work / "warehouse.duckdb")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return Build(work, done.returncode, done.stdout + done.stderr)
