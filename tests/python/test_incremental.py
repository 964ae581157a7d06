"""Incremental event marts: a refresh after one more day of data, a changed past row and an earlier
as_of_date each leave fct_scans, scans_daily and engagement_daily identical, row for row, to a full
rebuild on the same data (the rule is in macros/event_marts.sql)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from builds import COMPANIES, SAMPLE, Build, dbt_build, load_raw_files
from conftest import models_only

from jobmetrics.pipeline import raw

pytestmark = pytest.mark.build

EVENT_MARTS = ["fct_scans", "scans_daily", "engagement_daily"]
# what the event marts compute is compared with a full rebuild; their data tests run in the shared builds
SELECT = models_only(*[f"+{table}" for table in EVENT_MARTS])


def mart(build: Build, table: str) -> pd.DataFrame:
    frame = build.query(f"select * from marts.{table}")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def assert_same_event_marts(built: Build, rebuilt: Build) -> None:
    for table in EVENT_MARTS:
        pd.testing.assert_frame_equal(mart(built, table), mart(rebuilt, table), obj=table)


def cutoffs(build: Build) -> dict[str, bool]:
    """Whether each event mart computed only the days after its watermark in this build."""
    compiled = build.target / "compiled" / "jobmetrics" / "models" / "marts" / "product"
    return {table: ">= cast('" in (compiled / f"{table}.sql").read_text() for table in EVENT_MARTS}


def build_into(raw_dir: Path, workdir: Path, parsed: Build, *args: str) -> Build:
    """Load the raw files into workdir's warehouse (new, or kept from the last build) and build the event marts."""
    load_raw_files(raw_dir, workdir)
    build = dbt_build(workdir, *SELECT, *args, parsed=parsed)
    assert build.returncode == 0, build.output[-3000:]
    return build


def test_one_more_day_adds_only_that_day(default_company: Build, tmp_path: Path) -> None:
    dec_30 = tmp_path / "dec_30"
    raw.as_known_on(raw.find_raw_files(SAMPLE), "2025-12-30", dec_30)
    workdir = tmp_path / "warehouse"
    first = build_into(dec_30, workdir, default_company)
    assert (
        first.query("select max(date_day) as d from marts.scans_daily")["d"].iloc[0].date().isoformat() == "2025-12-30"
    )

    second = build_into(SAMPLE, workdir, first)
    assert cutoffs(second) == dict.fromkeys(EVENT_MARTS, True)
    assert_same_event_marts(second, default_company)


def warehouse_from(good: Build, workdir: Path) -> Path:
    """A folder holding a copy of a finished build's warehouse, ready for the next build."""
    workdir.mkdir(parents=True)
    shutil.copy(good.db, workdir / good.db.name)
    return workdir


def test_a_changed_past_row_rebuilds(edge_company: Build, tmp_path: Path) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(COMPANIES / "edge_company", changed)
    scans = pd.read_csv(changed / "raw_scans.csv", dtype=str)
    scans.loc[scans["scan_id"] == "4", "match_rate"] = "99"  # a February scan, long before the watermark
    scans.to_csv(changed / "raw_scans.csv", index=False)
    after_change = build_into(changed, warehouse_from(edge_company, tmp_path / "warehouse"), edge_company)
    assert cutoffs(after_change) == dict.fromkeys(EVENT_MARTS, False)
    assert_same_event_marts(after_change, build_into(changed, tmp_path / "full", edge_company))


def test_an_earlier_as_of_date_rebuilds(edge_company: Build, edge_company_mid_march: Build, tmp_path: Path) -> None:
    earlier = ["--vars", "{as_of_date: '2025-03-15'}"]
    workdir = warehouse_from(edge_company, tmp_path / "warehouse")
    after_earlier = build_into(COMPANIES / "edge_company", workdir, edge_company_mid_march, *earlier)
    assert cutoffs(after_earlier) == dict.fromkeys(EVENT_MARTS, False)
    assert_same_event_marts(after_earlier, edge_company_mid_march)


def tenant_rows(build: Build, table: str, tenant: str) -> pd.DataFrame:
    frame = build.query(f"select * exclude (tenant_id) from marts.{table} where tenant_id = '{tenant}'")
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def recomputed(build: Build, table: str, tenant: str) -> str:
    """How this build computed a tenant's rows of an event mart: "days after" its watermark, or "whole"."""
    compiled = (build.target / "compiled" / "jobmetrics" / "models" / "marts" / "product" / f"{table}.sql").read_text()
    if f"when tenant_id = '{tenant}' then true" in compiled:
        return "whole"
    return "days after" if f"when tenant_id = '{tenant}' then" in compiled else "whole table"


def test_a_new_day_for_one_tenant_refreshes_that_tenant_only(
    default_company: Build, edge_company: Build, tmp_path: Path
) -> None:
    before, after = tmp_path / "raw_dec_30", tmp_path / "raw_dec_31"
    raw.as_known_on(raw.find_raw_files(SAMPLE), "2025-12-30", before / "sample")
    shutil.copytree(SAMPLE, after / "sample")
    for folder in (before, after):
        shutil.copytree(COMPANIES / "edge_company", folder / "edge")
    workdir = tmp_path / "warehouse"
    first = build_into(before, workdir, default_company)
    edge_first = {table: tenant_rows(first, table, "edge") for table in EVENT_MARTS}

    second = build_into(after, workdir, first)
    for table in EVENT_MARTS:
        assert (recomputed(second, table, "sample"), recomputed(second, table, "edge")) == ("days after", "days after")
        pd.testing.assert_frame_equal(tenant_rows(second, table, "edge"), edge_first[table], obj=table)
        sample_alone = mart(default_company, table).drop(columns="tenant_id")
        pd.testing.assert_frame_equal(tenant_rows(second, table, "sample"), sample_alone, obj=table)
        edge_alone = mart(edge_company, table).drop(columns="tenant_id")
        pd.testing.assert_frame_equal(tenant_rows(second, table, "edge"), edge_alone, obj=table)

    # a changed past row of one tenant recomputes that tenant whole, and the other only from its watermark
    scans = pd.read_csv(after / "edge" / "raw_scans.csv", dtype=str)
    scans.loc[scans["scan_id"] == "4", "match_rate"] = "99"
    scans.to_csv(after / "edge" / "raw_scans.csv", index=False)
    third = build_into(after, workdir, second)
    full = build_into(after, tmp_path / "full", second)
    for table in EVENT_MARTS:
        assert (recomputed(third, table, "sample"), recomputed(third, table, "edge")) == ("days after", "whole")
        for tenant in ("sample", "edge"):
            pd.testing.assert_frame_equal(
                tenant_rows(third, table, tenant), tenant_rows(full, table, tenant), obj=table
            )
