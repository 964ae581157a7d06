"""Faults an operator meets, injected on purpose: each case asserts the exit code, the one-line message and
that the published warehouse is the old file or a new complete one. docs/reliability.md lists them.

Builds here are the real `jobmetrics build` in a child process, on the small edge company, each into its
own folder. A kill -9 is the child killing its own process group (the build and its dbt) at the chosen
moment, by replacing the function that begins that phase: no hook in the product is needed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from builds import COMPANIES, Build, columns_in_file

from jobmetrics.cli import alerts
from jobmetrics.cli import build as build_cli
from jobmetrics.pipeline import build, dbt_process, raw

pytestmark = pytest.mark.build

EDGE = COMPANIES / "edge_company"
JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))
IS_ROOT = os.geteuid() == 0

# Replaces the function that starts a phase with a kill -9 of the build's process group.
KILLER = """
import os, signal, sys, threading
from jobmetrics.pipeline import build, contract, tenant_files
from jobmetrics.cli import build as cli

def die(*args, **kwargs):
    os.killpg(0, signal.SIGKILL)

phase = sys.argv[1]
if phase == "gate":
    contract.examine = die
elif phase == "load":
    build.load_raw = die
elif phase == "dbt":
    original = build.dbt_build
    def dbt_then_die(*args):
        threading.Timer(3.0, die).start()
        original(*args)
    build.dbt_build = dbt_then_die
elif phase == "tenant files":
    original_stage = tenant_files.stage
    def stage_then_die(built, published):
        original_stage(built, published)
        die()
    tenant_files.stage = stage_then_die  # every tenant's file written beside its name, none renamed yet
elif phase == "publish":
    build.opens = die  # the new file is renamed in; it has not been checked yet
sys.exit(cli.main(sys.argv[2:]))
"""
PHASES = ["gate", "load", "dbt", "tenant files", "publish"]
# Builds that reach dbt run one model over a copy of the published warehouse: every mart is there already,
# and the fault is in the build's own steps, not in the models.
ONE_MODEL = ["--", "--select", "int_reporting_period"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def marts(db: Path) -> dict[str, pd.DataFrame]:
    """Every mart, sorted: a complete warehouse in a form two builds can be compared by."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        frames = {name: con.execute(f"select * from marts.{name}").df() for name in names}
    return {name: frame.sort_values(list(frame.columns)).reset_index(drop=True) for name, frame in frames.items()}


def assert_same_marts(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    assert list(left) == list(right)
    for name, frame in left.items():
        pd.testing.assert_frame_equal(frame, right[name], obj=name)


def environment(workdir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DBT_TARGET_PATH": str(workdir / "target"), "DBT_LOG_PATH": str(workdir / "logs"), **extra}


def run_build(
    workdir: Path, db: Path, raw_dir: Path = EDGE, dbt_args: tuple[str, ...] = (), **extra: str
) -> subprocess.CompletedProcess[str]:
    command = [JOBMETRICS, "build", "--raw-dir", str(raw_dir), "--db", str(db), *dbt_args]
    return subprocess.run(command, env=environment(workdir, **extra), capture_output=True, text=True, timeout=600)


def killed_build(workdir: Path, db: Path, phase: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", KILLER, phase, "--raw-dir", str(EDGE), "--db", str(db), *ONE_MODEL]
    return subprocess.run(
        command, env=environment(workdir), capture_output=True, text=True, timeout=600, start_new_session=True
    )


@pytest.fixture(autouse=True)
def own_dbt_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds run in this process keep dbt's artifacts and the gate's Data Docs in the test's folder."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))


def build_here(raw_dir: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`jobmetrics build` in this process: its exit code and what it wrote to stderr."""
    code = build_cli.main(["--raw-dir", str(raw_dir), "--db", str(db)])
    return code, capsys.readouterr().err


@pytest.mark.usefixtures("saved_parse")
def test_a_build_killed_in_any_phase_leaves_a_whole_warehouse_and_the_next_build_cleans_up(
    published: Path, edge_company: Build, tmp_path: Path
) -> None:
    expected = marts(edge_company.db)
    for phase in PHASES:
        before = digest(published)
        done = killed_build(tmp_path, published, phase)
        assert done.returncode == -9, (phase, done.stdout[-2000:], done.stderr[-2000:])
        # the old file, byte for byte, or a new one that is complete
        if digest(published) != before:
            assert_same_marts(marts(published), expected)
    done = run_build(tmp_path, published, dbt_args=tuple(ONE_MODEL))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert_same_marts(marts(published), expected)
    leftovers = [p.name for p in published.parent.iterdir() if p.name != published.name]
    expected_files = [
        "jobmetrics.duckdb.lock",
        "jobmetrics.manifest.json",
        "jobmetrics.semantic_manifest.json",
        "tenants",
    ]
    assert sorted(leftovers) == expected_files, leftovers
    tenant_files = sorted(path.name for path in (published.parent / "tenants").iterdir())
    assert tenant_files == ["default.duckdb", "default.manifest.json", "default.semantic_manifest.json"]


@pytest.mark.usefixtures("saved_parse")
def test_dbt_parses_first_and_opens_nothing_until_the_build_says_go(tmp_path: Path) -> None:
    """dbt's process starts before the gate: it parses, then waits before its first query. A build that stops
    there (the gate refused the files, say) tells it nothing: it ends with its own code and the warehouse was
    never opened (DuckDB would have created the file)."""
    warehouse = build.Warehouse(tmp_path / "jobmetrics.duckdb")
    with build.dbt_started(warehouse, ONE_MODEL[1:]) as dbt:
        assert dbt.stdin is not None and dbt.stdout is not None
        dbt.stdin.close()
        output = dbt.stdout.read()
        assert dbt.wait() == dbt_process.EXIT_STOPPED, output
    assert "Found " in output and "Concurrency: " in output, output
    assert not warehouse.scratch.exists() and not warehouse.published.exists()


@pytest.mark.usefixtures("saved_parse")
def test_a_leftover_write_ahead_log_is_folded_in_before_publishing(published: Path, tmp_path: Path) -> None:
    """A writer that crashed left jobmetrics.duckdb.wal: the build folds it in and publishes a file that opens."""
    writer = (
        "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); c.execute('create table note as select 1');"
        " os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", writer, str(published)], check=True)
    assert build.wal(published).exists()
    done = run_build(tmp_path, published, dbt_args=tuple(ONE_MODEL))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Published" in done.stdout
    assert not build.wal(published).exists()
    reader = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
        " print(con.execute('select count(*) from marts.mrr_monthly').fetchone()[0])"
    )
    opened = subprocess.run([sys.executable, "-c", reader, str(published)], capture_output=True, text=True)
    assert opened.returncode == 0 and int(opened.stdout) > 0, opened.stderr


def test_a_writer_still_holding_the_warehouse_is_refused_in_one_line(published: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); c.execute('create table note as select 1');"
            " print('ready', flush=True); time.sleep(60)",
            str(published),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        before = digest(published)
        done = run_build(tmp_path, published, dbt_args=tuple(ONE_MODEL))
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == build.EXIT_BUILD_RUNNING
    assert done.stderr.count("\n") == 1 and "is open in another program that has written to it" in done.stderr
    assert digest(published) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not IS_ROOT:
        pytest.skip("a full disk is a tmpfs of its own, which only root can mount (CI runs as root)")
    mount = tmp_path / "small_disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_with_its_own_code(
    published: Path, small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = small_disk / "jobmetrics.duckdb"
    shutil.copy(published, db)
    # fill the disk to a few kilobytes short of full: the scratch copy cannot fit
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 64 * 1024))
    before = digest(db)
    code, err = build_here(EDGE, db, capsys)
    assert code == build.EXIT_CANNOT_WRITE, err
    assert err.count("\n") == 1 and f"cannot write in {small_disk}: no space left on the device" in err, err
    assert "Traceback" not in err and digest(db) == before
    assert not (small_disk / "jobmetrics.duckdb.building").exists()


def test_a_read_only_folder_is_one_line_with_its_own_code(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not IS_ROOT:
        pytest.skip("an immutable folder needs chattr +i, which only root can set (CI runs as root)")
    folder = published.parent
    before = digest(published)
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        code, err = build_here(EDGE, published, capsys)
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    assert code == build.EXIT_CANNOT_WRITE, err
    assert err.count("\n") == 1 and f"cannot write in {folder}:" in err and "read-only or immutable" in err, err
    assert "Traceback" not in err and digest(published) == before


def tz_aware_parquet(folder: Path) -> Path:
    """The edge company with every timestamp a Parquet TIMESTAMP WITH TIME ZONE (the same instants)."""
    shutil.copytree(EDGE, folder)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'Asia/Kolkata'")  # written with an offset that is not UTC's
        for table in raw.contract():
            if not (folder / f"{table}.csv").exists():
                continue  # an optional table the company does not bring
            select = ", ".join(
                f"cast({c} || '+00' as timestamptz) as {c}" if kind == "timestamp" else f"cast({c} as {kind}) as {c}"
                for c, kind in columns_in_file(con, folder / f"{table}.csv", table).items()
            )
            source = con.read_csv(str(folder / f"{table}.csv"), header=True, all_varchar=True)
            source.select(select).write_parquet(str(folder / f"{table}.parquet"))
            (folder / f"{table}.csv").unlink()
    return folder


@pytest.mark.usefixtures("saved_parse")
def test_builds_do_not_depend_on_the_machines_time_zone(edge_company: Build, tmp_path: Path) -> None:
    """The edge company built from UTC text (in this machine's zone) and, under TZ=America/New_York, from
    time-zone-aware Parquet written with an Indian offset: the same marts."""
    folder = tz_aware_parquet(tmp_path / "raw")
    db = tmp_path / "new_york" / "jobmetrics.duckdb"
    models_only = ("--", "--exclude", "resource_type:test", "resource_type:unit_test")  # the marts are compared
    done = run_build(tmp_path / "new_york", db, raw_dir=folder, dbt_args=models_only, TZ="America/New_York")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert_same_marts(marts(db), marts(edge_company.db))


UNREADABLE: dict[str, tuple[Callable[[Path], object], str]] = {
    "not UTF-8": (
        lambda path: path.write_bytes(path.read_bytes().replace(b"paid_search,", b"paid_s\xe9arch,", 1)),
        "raw_users.csv is not UTF-8 text: line 2 holds the bytes e9",
    ),
    "a 10 MB field": (
        lambda path: path.write_text(
            "\n".join(
                line if number != 6 else line.replace("US", "U" * 10_000_000)
                for number, line in enumerate(path.read_text().splitlines(), start=1)
            )
            + "\n"
        ),
        "raw_users.csv: line 6 is 10,000,",
    ),
    "an empty file": (lambda path: path.write_bytes(b""), "raw_users.csv is empty (0 bytes); it needs a header row"),
}


@pytest.mark.parametrize("case", UNREADABLE)
def test_an_unreadable_file_says_what_where_and_how(
    case: str, published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "raw"
    shutil.copytree(EDGE, folder)
    spoil, words = UNREADABLE[case]
    spoil(folder / "raw_users.csv")
    before = digest(published)
    code, err = build_here(folder, published, capsys)
    assert code == build.EXIT_RAW_MISSING
    assert err.count("\n") == 1 and words in err, err
    assert digest(published) == before


def test_alerts_on_a_warehouse_without_marts_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.duckdb"
    with duckdb.connect(str(empty)):
        pass
    assert alerts.main(["--db", str(empty)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run `make build`" in err, err
