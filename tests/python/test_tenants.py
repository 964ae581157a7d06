"""Several companies in one warehouse: each tenant's marts equal that company built alone, each tenant's own file
holds its rows and nothing else, and readers given a tenant cannot reach another's rows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from builds import COMPANIES, PROJECT_ROOT, SAMPLE, Build, under_edge_names
from helpers import Stub, sql_call, text_reply, tool_results

from jobmetrics import paths, tenants
from jobmetrics.cli import build as build_cli
from jobmetrics.kpis import format_value
from jobmetrics.pipeline import raw
from jobmetrics.views import semantic

pytestmark = pytest.mark.build

EDGE = COMPANIES / "edge_company"
ALONE = {"sample": "default_company", "edge": "edge_company"}
JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))
# sums of doubles in another order differ in their last bits; the marts' own allowance (macros/money.sql)
MONEY_RTOL, MONEY_ATOL = 1e-9, 1e-3


def mart_names(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()
    return [str(row[0]) for row in rows]


def rows_of(db: Path, mart: str, tenant: str | None = None, edge_names: bool = False) -> pd.DataFrame:
    """A mart's rows (one tenant's, or all), without tenant_id, in one order; with edge_names, the renamed
    company's channels and segments under the edge company's names."""
    with duckdb.connect(str(db), read_only=True) as con:
        if tenant is None:
            frame = con.execute(f"select * from marts.{mart}").df()
        else:
            frame = con.execute(f"select * from marts.{mart} where tenant_id = ?", [tenant]).df()
    frame = frame.drop(columns="tenant_id")
    if edge_names:
        frame = under_edge_names(frame)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize(
    ("tenant", "company"), [("sample", "default_company"), ("edge", "edge_company"), ("edge-parquet", "edge_company")]
)
def test_each_tenant_equals_its_company_built_alone(
    four_tenants: Build, tenant: str, company: str, request: pytest.FixtureRequest
) -> None:
    alone: Build = request.getfixturevalue(company)
    marts = mart_names(alone.db)
    assert mart_names(four_tenants.db) == marts
    for mart in marts:
        pd.testing.assert_frame_equal(
            rows_of(four_tenants.db, mart, tenant, edge_names=tenant == "edge-parquet"),
            rows_of(alone.db, mart),
            obj=mart,
            check_exact=False,
            rtol=MONEY_RTOL,
            atol=MONEY_ATOL,
        )


def test_a_tenant_without_subscriptions_has_empty_revenue_marts(four_tenants: Build) -> None:
    counts = four_tenants.query(
        "select "
        "(select count(*) from marts.dim_users where tenant_id = 'no-subscriptions') as users, "
        "(select count(*) from marts.fct_subscriptions where tenant_id = 'no-subscriptions') as subscriptions, "
        "(select count(*) from marts.fct_mrr where tenant_id = 'no-subscriptions') as movements, "
        "(select count(*) from marts.mrr_monthly where tenant_id = 'no-subscriptions' and mrr <> 0) as paid_months"
    ).iloc[0]
    edge_users = len(pd.read_csv(EDGE / "raw_users.csv"))
    assert (int(counts.users), int(counts.subscriptions), int(counts.movements), int(counts.paid_months)) == (
        edge_users,
        0,
        0,
        0,
    )


def test_each_tenant_file_holds_that_tenants_rows_only(four_tenants: Build) -> None:
    published = four_tenants.db
    assert tenants.published_tenants(published) == ["edge", "edge-parquet", "no-subscriptions", "sample"]
    for tenant in tenants.published_tenants(published):
        own = tenants.tenant_file(published, tenant)
        assert mart_names(own) == mart_names(published)
        with duckdb.connect(str(own), read_only=True) as con:
            schemas = {
                str(row[0]) for row in con.execute("select distinct schema_name from duckdb_tables()").fetchall()
            }
            assert schemas == {"marts"}
        for mart in mart_names(own):
            with duckdb.connect(str(own), read_only=True) as con:
                others = con.execute(f"select count(*) from marts.{mart} where tenant_id <> ?", [tenant]).fetchone()
            assert others == (0,), mart
            pd.testing.assert_frame_equal(rows_of(own, mart), rows_of(published, mart, tenant), obj=mart)


def latest_date(folder: Path) -> str:
    """The last date anywhere in a company's raw files (its as_of_date when none is set)."""
    dated = {
        "raw_users": ["signup_at"],
        "raw_subscriptions": ["started_at", "ended_at"],
        "raw_scans": ["scanned_at"],
        "raw_marketing_spend": ["spend_date"],
    }
    return max(
        str(pd.read_csv(folder / f"{table}.csv")[column].dropna().max())[:10]
        for table, columns in dated.items()
        for column in columns
    )


def test_each_tenant_keeps_its_own_reporting_date(four_tenants: Build) -> None:
    dates = four_tenants.query(
        "select tenant_id, cast(as_of_date as varchar) as day from intermediate.int_reporting_period"
    )
    by_tenant = {str(row.tenant_id): str(row.day) for row in dates.itertuples()}
    assert by_tenant["sample"] == latest_date(SAMPLE)
    assert by_tenant["edge"] == by_tenant["edge-parquet"] == latest_date(EDGE)
    assert by_tenant["sample"] != by_tenant["edge"]


def test_readers_need_a_tenant_when_there_are_several(four_tenants: Build) -> None:
    env = {**os.environ, "JOBMETRICS_DB": str(four_tenants.db)}
    env.pop("JOBMETRICS_TENANT", None)
    unnamed = subprocess.run([JOBMETRICS, "overview"], env=env, capture_output=True, text=True, timeout=120)
    assert unnamed.returncode == 3
    assert "holds 4 tenants (edge, edge-parquet, no-subscriptions, sample); choose one with --tenant" in unnamed.stderr
    unknown = subprocess.run(
        [JOBMETRICS, "alerts", "--tenant", "acme"], env=env, capture_output=True, text=True, timeout=120
    )
    assert unknown.returncode == 3
    assert "no tenant 'acme'" in unknown.stderr and "edge, edge-parquet" in unknown.stderr
    named = subprocess.run(
        [JOBMETRICS, "overview"], env={**env, "JOBMETRICS_TENANT": "edge"}, capture_output=True, text=True, timeout=120
    )
    assert named.returncode == 0, named.stderr


def test_ask_on_one_tenant_never_returns_another_tenants_rows(four_tenants: Build, stub: Stub) -> None:
    url, api = stub
    attempts = [
        "select distinct tenant_id from marts.dim_users",
        f"select * from read_parquet('{four_tenants.db}')",
        f"attach '{four_tenants.db}' as everyone",
        "select distinct tenant_id from warehouse.marts.fct_mrr",
    ]
    api.script = [(200, sql_call(sql, f"toolu_{n}")) for n, sql in enumerate(attempts)] + [(200, text_reply("Done."))]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(four_tenants.workdir),
        "ANTHROPIC_API_KEY": "sk-test-secret",
        "ANTHROPIC_BASE_URL": url,
        "JOBMETRICS_DB": str(four_tenants.db),
        "JOBMETRICS_TENANT": "edge",
    }
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "ai_ask.py"), "Which tenants are there?"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = tool_results(api.requests[-1])
    assert len(results) == len(attempts)
    texts = [str(result["content"]) for result in results]
    assert "edge" in texts[0] and "edge" in texts[3]
    for other in ("sample", "edge-parquet", "no-subscriptions"):
        assert all(other not in text for text in texts), other
    assert [bool(result.get("is_error")) for result in results] == [False, True, True, False]


def test_a_tenant_folder_with_a_bad_name_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    shutil.copytree(EDGE, tmp_path / "raw" / "acme")
    shutil.copytree(EDGE, tmp_path / "raw" / "Big Co")
    code = build_cli.main(["--raw-dir", str(tmp_path / "raw"), "--db", str(tmp_path / "w.duckdb")])
    error = capsys.readouterr().err
    assert code == 2
    assert "'Big Co' cannot be a tenant" in error and len(error.strip().splitlines()) == 1
    assert not (tmp_path / "w.duckdb").exists()


def test_a_broken_file_in_one_tenant_stops_the_build_naming_tenant_file_column_and_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    shutil.copytree(EDGE, tmp_path / "raw" / "good")
    shutil.copytree(EDGE, tmp_path / "raw" / "broken")
    users = tmp_path / "raw" / "broken" / "raw_users.csv"
    users.write_text(users.read_text() + "77,2025-01-05 10:00:00,television,career_changer,US\n")
    code = build_cli.main(["--raw-dir", str(tmp_path / "raw"), "--db", str(tmp_path / "w.duckdb")])
    error = capsys.readouterr().err
    assert code == 1
    assert "broken/raw_users.csv: acquisition_channel: 'television'" in error
    assert "good/" not in error
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "tenants").exists()


def test_one_folder_of_files_is_the_default_tenant() -> None:
    assert list(raw.find_tenants(EDGE)) == [tenants.DEFAULT_TENANT]
    brought = sorted(raw.RAW_TABLES + raw.GROUPS["own_billing"])
    assert json.dumps(sorted(raw.find_tenants(EDGE)[tenants.DEFAULT_TENANT])) == json.dumps(brought)


@pytest.mark.parametrize("asked", ["sample", "edge"])
def test_the_dashboard_shows_the_tenant_of_its_link(
    four_tenants: Build, asked: str, run_app: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOBMETRICS_TENANT", raising=False)
    alone: Build = request.getfixturevalue(ALONE[asked])
    app = run_app(four_tenants.db, tenant=asked)
    company = next(box for box in app.sidebar.selectbox if box.label == "Company")
    assert company.options == ["edge", "edge-parquet", "no-subscriptions", "sample"] and company.value == asked
    assert app.query_params["tenant"] in (asked, [asked])
    latest = alone.query("select mrr from marts.mrr_monthly where is_complete_month order by month desc limit 1")
    cards = {metric.label: metric.value for metric in app.metric}
    assert cards["MRR"] == format_value(latest.iloc[0, 0], "money")


def test_a_tenant_with_its_own_channel_list_is_held_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    shutil.copytree(EDGE, tmp_path / "raw" / "acme")
    shutil.copytree(EDGE, tmp_path / "raw" / "globex")
    (tmp_path / "raw" / "acme" / "acquisition_channels.csv").write_text(
        "acquisition_channel,is_paid\npaid_search,true\norganic_search,false\n"
    )
    code = build_cli.main(["--raw-dir", str(tmp_path / "raw"), "--db", str(tmp_path / "w.duckdb")])
    error = capsys.readouterr().err
    assert code == 1
    # the edge company's other channels break acme's own list, and nothing in globex, which uses seeds/
    assert "acme/raw_users.csv: acquisition_channel: 'referral' is not in acme/acquisition_channels.csv" in error
    assert "acme/raw_marketing_spend.csv: channel: 'paid_social' is not in acme/acquisition_channels.csv" in error
    assert "globex/" not in error


def test_the_semantic_layer_groups_every_metric_by_tenant(four_tenants: Build) -> None:
    manifest = paths.semantic_manifest_path(four_tenants.db)
    assert "user__tenant" in semantic.group_by_names(manifest, ["signups"])
    assert "user_month__tenant" in semantic.group_by_names(manifest, ["new_customers"])
    signups = semantic.report(four_tenants.db, manifest, ["signups"], ["user__tenant"])
    by_tenant = {str(row["user__tenant"]): int(row["signups"]) for row in signups.to_dict("records")}
    users = {name: len(pd.read_csv(folder / "raw_users.csv")) for name, folder in [("sample", SAMPLE), ("edge", EDGE)]}
    assert by_tenant == {"sample": users["sample"], "edge": users["edge"], "edge-parquet": users["edge"]} | {
        "no-subscriptions": users["edge"]
    }


def test_a_tenant_list_without_its_column_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    shutil.copytree(EDGE, tmp_path / "raw" / "acme")
    (tmp_path / "raw" / "acme" / "segments.csv").write_text("name\nstudents\n")
    code = build_cli.main(["--raw-dir", str(tmp_path / "raw"), "--db", str(tmp_path / "w.duckdb")])
    error = capsys.readouterr().err
    assert code == 2
    assert "acme/segments.csv: the column segment is missing; the header has name" in error


@pytest.mark.usefixtures("saved_parse")
def test_a_warehouse_folder_with_quotes_in_its_name_gets_its_tenant_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    published = tmp_path / 'it\'s "here"' / "jobmetrics.duckdb"
    code = build_cli.main(["--raw-dir", str(EDGE), "--db", str(published), "--", "--exclude", "resource_type:test"])
    assert code == 0, capsys.readouterr().err
    assert tenants.published_tenants(published) == ["default"]


@pytest.mark.usefixtures("saved_parse")
def test_a_tenant_id_that_cannot_name_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw tables another tool loaded may hold any tenant_id; one that is no file name stops the build."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    published = tmp_path / "warehouse" / "jobmetrics.duckdb"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as con:
        raw.load(con, {"../evil": raw.find_raw_files(EDGE)}, schema="their_raw")
    monkeypatch.setenv("JOBMETRICS_RAW_SCHEMA", "their_raw")
    # the tenants come from int_reporting_period: the models it reads are all the build needs to reach the check
    code = build_cli.main(
        ["--db", str(published), "--", "--select", "+int_reporting_period", "--exclude", "resource_type:test"]
    )
    error = capsys.readouterr().err
    assert code == 2
    assert "tenant_id '../evil' in the raw tables cannot name a tenant's file" in error
    assert not list(tmp_path.rglob("*evil*"))
