"""Serving the marts: atomic publish under a reader, one build at a time, a file DuckDB 1.x opens,
exports, SQLAlchemy, and the MetricFlow semantic layer."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlalchemy
from builds import COMPANIES, PROJECT_ROOT, SAMPLE, Build
from reference import load_raw

from jobmetrics.cli import build as build_cli
from jobmetrics.columns import UNITS
from jobmetrics.pipeline import build, exports
from jobmetrics.views import semantic
from jobmetrics.warehouse import connect_read_only

pytestmark = pytest.mark.build

DUCKDB1_PYTHON = PROJECT_ROOT / ".venv-duckdb1" / "bin" / "python"
DUCKDB1_CLI = PROJECT_ROOT / ".venv-duckdb1" / "bin" / "duckdb"
EDGE = COMPANIES / "edge_company"

# Reads the marts in a loop on one connection opened before the build, until told to stop: each line
# is the MRR total of mrr_monthly and of fct_mrr (equal in any one consistent version) or an error.
READER = """
import duckdb, json, sys, time
from pathlib import Path
con = duckdb.connect(sys.argv[1], read_only=True)
print("ready", flush=True)
while not Path(sys.argv[2]).exists():
    try:
        monthly, facts = con.execute(
            "select (select sum(mrr) from marts.mrr_monthly), (select sum(mrr) from marts.fct_mrr)").fetchone()
        print(json.dumps({"monthly": monthly, "facts": facts}), flush=True)
    except duckdb.Error as error:
        print(json.dumps({"error": str(error)}), flush=True)
    time.sleep(0.05)
"""


def mrr_total(db: Path) -> float:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("select sum(mrr) from marts.mrr_monthly").fetchone()
        assert row is not None
        return float(row[0])


@pytest.fixture(autouse=True)
def own_dbt_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds in parallel tests keep dbt's artifacts and the gate's Data Docs apart."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))


def publish_a_bigger_build(edge_company: Build, db: Path, tmp_path: Path) -> None:
    """What publishing does, with a build whose MRR is 1 more each month: rename a new file over the old one."""
    bigger = tmp_path / "bigger.duckdb"
    shutil.copy(edge_company.db, bigger)
    with duckdb.connect(str(bigger)) as con:
        con.execute("update marts.mrr_monthly set mrr = mrr + 1")
    bigger.replace(db)


def total_mrr(con: duckdb.DuckDBPyConnection) -> float:
    return float(con.execute("select sum(mrr) from marts.mrr_monthly").fetchall()[0][0])


def total_mrr_through(connection: sqlalchemy.Connection) -> float:
    return float(connection.execute(sqlalchemy.text("select sum(mrr) from marts.mrr_monthly")).scalar_one())


def test_a_new_connection_in_the_same_process_reads_the_newest_build(edge_company: Build, tmp_path: Path) -> None:
    """Hold one connection from connect_read_only, publish a build, open another through the same function:
    the new one reads the new build (DuckDB would hand back the instance already open for that path)."""
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(edge_company.db, db)
    months = len(edge_company.query("select month from marts.mrr_monthly"))
    held = connect_read_only(db)
    try:
        before = total_mrr(held)
        publish_a_bigger_build(edge_company, db, tmp_path)
        with connect_read_only(db) as fresh:
            after = total_mrr(fresh)
        assert total_mrr(held) == before  # the held one keeps its version
    finally:
        held.close()
    assert after == pytest.approx(before + months)


def test_the_sqlalchemy_recipe_sees_a_new_build_on_the_next_connection(edge_company: Build, tmp_path: Path) -> None:
    """docs/bi.md's SQLAlchemy settings: an in-memory database per connection that attaches the file, no pool."""
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(edge_company.db, db)
    months = len(edge_company.query("select month from marts.mrr_monthly"))
    engine = sqlalchemy.create_engine("duckdb:///:memory:", poolclass=sqlalchemy.pool.NullPool)

    @sqlalchemy.event.listens_for(engine, "connect")
    def attach(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.execute(f"attach '{db}' as warehouse (read_only)")
        dbapi_connection.execute("use warehouse")
        dbapi_connection.execute("set enable_external_access = false")
        dbapi_connection.execute("set lock_configuration = true")

    with engine.connect() as held:
        before = total_mrr_through(held)
        publish_a_bigger_build(edge_company, db, tmp_path)
        with engine.connect() as fresh:
            assert total_mrr_through(fresh) == pytest.approx(before + months)
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            held.execute(sqlalchemy.text("create table marts.nope as select 1 as x"))
    with engine.connect() as other, pytest.raises(sqlalchemy.exc.DBAPIError, match="disabled by configuration"):
        other.execute(sqlalchemy.text(f"attach '{edge_company.db}' as other (read_only)"))


@pytest.mark.usefixtures("saved_parse")
def test_a_reader_keeps_its_version_while_a_build_publishes(edge_company: Build, tmp_path: Path) -> None:
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(edge_company.db, db)  # the published warehouse before this build
    before = mrr_total(db)
    bigger = tmp_path / "raw"
    shutil.copytree(EDGE, bigger)
    with (bigger / "raw_subscriptions.csv").open("a") as handle:
        handle.write("93,7,pro,2025-03-03 09:00:00,,\n")  # user 7 starts paying: every month from March grows
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
        # the marts without their data tests (the edge company's pass in every other build): publishing is the point
        models_only = ["--", "--exclude", "resource_type:test", "resource_type:unit_test"]
        assert build_cli.main(["--raw-dir", str(bigger), "--db", str(db), *models_only]) == 0
        time.sleep(0.3)
    finally:
        stop.touch()
        output, _ = reader.communicate(timeout=30)
    reads = [json.loads(line) for line in output.splitlines()]
    assert reads and not [r for r in reads if "error" in r]
    assert {(r["monthly"], r["facts"]) for r in reads} == {(before, before)}  # the old version, whole
    after = mrr_total(db)
    assert after == pytest.approx(before + 2 * 90)  # a new connection sees the new build: 90 more in Mar and Apr
    assert not db.with_name(db.name + ".building").exists()
    opened_by_1x = subprocess.run(
        [str(DUCKDB1_CLI), "-readonly", "-csv", str(db), "select sum(mrr) as mrr from marts.mrr_monthly"],
        capture_output=True,
        text=True,
    )
    assert opened_by_1x.returncode == 0 and float(opened_by_1x.stdout.split()[1]) == pytest.approx(after)


def test_a_second_build_stops_with_one_line(
    edge_company: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(edge_company.db, db)
    with build.Warehouse(db).lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.perf_counter()
        code = build_cli.main(["--raw-dir", str(EDGE), "--db", str(db)])
    assert code == build.EXIT_BUILD_RUNNING and time.perf_counter() - started < 10
    err = capsys.readouterr().err
    assert "another build" in err and "is unchanged" in err and "Traceback" not in err


MART_DUMP = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
assert duckdb.__version__.startswith("1."), duckdb.__version__
for (name,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall():
    con.execute(f"copy (select * from marts.{name}) to '{sys.argv[2]}/{name}.parquet' (format parquet)")
print(duckdb.__version__)
"""


def test_duckdb_1x_reads_every_mart_the_same(default_company: Build, tmp_path: Path) -> None:
    published = default_company.db
    assert DUCKDB1_PYTHON.exists(), "run `make .venv-duckdb1/.installed` (make test does) to create the 1.x client"
    done = subprocess.run(
        [str(DUCKDB1_PYTHON), "-c", MART_DUMP, str(published), str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1.5")
    with duckdb.connect(str(published), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        assert len(names) >= 20
        for name in names:
            ours = con.execute(f"select * from marts.{name}").df()
            theirs = duckdb.read_parquet(str(tmp_path / f"{name}.parquet")).df()
            pd.testing.assert_frame_equal(theirs, ours, check_dtype=False, obj=name)
    cli = subprocess.run(
        [str(DUCKDB1_CLI), "-readonly", "-csv", str(published), "select count(*) as n from marts.mrr_monthly"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and cli.stdout.split() == ["n", "12"], cli.stderr


def test_exports_equal_the_marts(default_company: Build, tmp_path: Path) -> None:
    manifest = exports.export(default_company.db, tmp_path)
    assert manifest["as_of_date"] == "2025-12-31"
    exported_money = 0
    assert not list(tmp_path.glob(".*partial"))
    with duckdb.connect(str(default_company.db), read_only=True) as con:
        for mart, described in manifest["tables"].items():
            ours = con.execute(f"select * from marts.{mart}").df()
            assert described["rows"] == len(ours)
            assert [c["name"] for c in described["columns"]] == list(ours.columns)
            parquet = duckdb.read_parquet(str(tmp_path / f"{mart}.parquet")).df()
            pd.testing.assert_frame_equal(parquet, ours, obj=f"{mart}.parquet")
            # typed as the manifest says, as a careful reader does: a column empty in every row has no type in CSV
            types = {column["name"]: column["type"] for column in described["columns"]}
            csv = con.read_csv(str(tmp_path / f"{mart}.csv"), header=True, dtype=types).df()
            money = [column for column in ours.columns if UNITS.get(column) == "money"]  # to the cent in a CSV
            rest = [column for column in ours.columns if column not in money]
            pd.testing.assert_frame_equal(csv[rest], ours[rest], check_dtype=False, obj=f"{mart}.csv")
            written = pd.read_csv(tmp_path / f"{mart}.csv", dtype=str)
            for column in money:  # whole cents, as a spreadsheet shows them, each within half a cent of the mart's
                assert written[column].dropna().str.fullmatch(r"-?\d+(\.\d{1,2})?").all(), (mart, column)
                assert csv[column].isna().tolist() == ours[column].isna().tolist(), (mart, column)
                assert ((csv[column].astype(float) - ours[column].astype(float)).abs().fillna(0) <= 0.005 + 1e-9).all()
            exported_money += len(money)
    assert exported_money >= 20  # mrr_monthly's movements, fct_mrr, channels' spend and CAC, ...
    assert set(manifest["tables"]) == set(
        default_company.query("select table_name from information_schema.tables where table_schema = 'marts'")[
            "table_name"
        ]
    )


def test_sqlalchemy_reads_the_marts_read_only(default_company: Build) -> None:
    engine = sqlalchemy.create_engine(f"duckdb:///{default_company.db}", connect_args={"read_only": True})
    with engine.connect() as connection:
        through_sqlalchemy = pd.read_sql("select * from marts.mrr_monthly order by month", connection)
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
            connection.execute(sqlalchemy.text("create table marts.nope as select 1 as x"))
    engine.dispose()
    direct = default_company.query("select * from marts.mrr_monthly order by month")
    for column in ["month", "snapshot_date"]:  # the DB-API hands dates over as datetime.date
        through_sqlalchemy[column] = pd.to_datetime(through_sqlalchemy[column]).astype(direct[column].dtype)
    pd.testing.assert_frame_equal(through_sqlalchemy, direct, check_dtype=False)


def mf(project: Path, db: Path, *args: str, command: str = "mf") -> subprocess.CompletedProcess[str]:
    """mf (or dbt) in the project copy, whose own target/ holds the semantic manifest mf reads."""
    env = {**os.environ, "JOBMETRICS_DB": str(db), "DBT_PROFILES_DIR": str(project), "DBT_PROJECT_DIR": str(project)}
    env.pop("DBT_TARGET_PATH", None)
    return subprocess.run(
        [str(Path(sys.executable).with_name(command)), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def semantic_project(default_company: Build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the project (mf parses it and writes its target/) and of the sample's warehouse (mf opens
    it read-write, which must not block the other tests' readers)."""
    work = tmp_path_factory.mktemp("semantic")
    project = work / "project"
    shutil.copytree(
        PROJECT_ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv*", ".git", "target", "logs", "warehouse", "exports", "data", "*.egg-info", "__pycache__", "python"
        ),
    )
    db = work / "warehouse.duckdb"
    shutil.copy(default_company.db, db)
    parsed = mf(project, db, "parse", command="dbt")
    assert parsed.returncode == 0, parsed.stdout[-2000:]
    return project, db


def test_metricflow_configs_validate_against_the_warehouse(semantic_project: tuple[Path, Path]) -> None:
    done = mf(*semantic_project, "validate-configs")
    assert done.returncode == 0 and "ERRORS: 0" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]


def test_mf_mrr_by_month_equals_mrr_monthly(
    semantic_project: tuple[Path, Path], default_company: Build, tmp_path: Path
) -> None:
    out = tmp_path / "mrr.csv"
    done = mf(
        *semantic_project,
        "query",
        "--metrics",
        "mrr,active_customers",
        "--group-by",
        "metric_time__month",
        "--csv",
        str(out),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sliced = pd.read_csv(out, parse_dates=["metric_time__month"]).set_index("metric_time__month").sort_index()
    monthly = default_company.query("select month, mrr, active_customers from marts.mrr_monthly")
    monthly = monthly.set_index(pd.to_datetime(monthly["month"])).sort_index()
    assert sliced.index.tolist() == monthly.index.tolist()
    assert sliced["mrr"].tolist() == pytest.approx(monthly["mrr"].tolist(), rel=1e-9)
    assert sliced["active_customers"].tolist() == monthly["active_customers"].tolist()


def test_mf_signups_by_month_equal_the_raw_signups(semantic_project: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "signups.csv"
    done = mf(*semantic_project, "query", "--metrics", "signups", "--group-by", "metric_time__month", "--csv", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sliced = pd.read_csv(out, parse_dates=["metric_time__month"]).set_index("metric_time__month")["signups"]
    users = load_raw(SAMPLE)["raw_users"]
    by_month = pd.to_datetime(users["signup_at"]).dt.to_period("M").dt.to_timestamp().value_counts()
    assert sliced.sort_index().to_dict() == by_month.sort_index().to_dict()


def test_the_report_builder_equals_mf_query_and_never_writes(
    semantic_project: tuple[Path, Path], tmp_path: Path
) -> None:
    """The dashboard's report builder compiles with MetricFlow and reads on a read-only connection: its numbers
    are mf query's, and it runs while another reader holds the file (which a read-write open could not)."""
    project, db = semantic_project
    out = tmp_path / "by_segment.csv"
    metrics = ["signups", "free_to_paid_conversion_rate"]
    done = mf(project, db, "query", "--metrics", ",".join(metrics), "--group-by", "user__segment", "--csv", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    expected = pd.read_csv(out).sort_values("user__segment").reset_index(drop=True)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True);"
            " print('ready', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        ours = semantic.report(db, project / "target" / "semantic_manifest.json", metrics, ["user__segment"])
    finally:
        holder.kill()
        holder.wait()
    ours = ours.sort_values("user__segment").reset_index(drop=True)
    assert ours["user__segment"].tolist() == expected["user__segment"].tolist()
    for metric in metrics:
        assert ours[metric].tolist() == pytest.approx(expected[metric].tolist(), rel=1e-12), metric
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with pytest.raises(semantic.ReportFailed, match="no_such_metric"):
        semantic.report(db, project / "target" / "semantic_manifest.json", ["no_such_metric"], [])


def test_an_interrupted_build_leaves_the_published_file(
    edge_company: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(edge_company.db, db)
    before = db.read_bytes()

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "dbt_build", interrupted)
    assert build_cli.main(["--raw-dir", str(EDGE), "--db", str(db)]) == build_cli.EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
    assert db.read_bytes() == before and not db.with_name(db.name + ".building").exists()


def test_mf_mrr_at_risk_by_segment_equals_churn_risk(
    semantic_project: tuple[Path, Path], default_company: Build, tmp_path: Path
) -> None:
    out = tmp_path / "risk.csv"
    done = mf(
        *semantic_project,
        "query",
        "--metrics",
        "expected_mrr_at_risk,mrr_at_risk_share",
        "--group-by",
        "user__segment",
        "--csv",
        str(out),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sliced = pd.read_csv(out).set_index("user__segment").sort_index()
    risk = default_company.query("select segment, expected_mrr_at_risk, mrr from marts.churn_risk")
    by_segment = risk.groupby("segment")[["expected_mrr_at_risk", "mrr"]].sum().sort_index()
    assert sliced.index.tolist() == by_segment.index.tolist()
    assert sliced["expected_mrr_at_risk"].tolist() == pytest.approx(by_segment["expected_mrr_at_risk"].tolist())
    share = by_segment["expected_mrr_at_risk"] / by_segment["mrr"]
    assert sliced["mrr_at_risk_share"].tolist() == pytest.approx(share.tolist())
