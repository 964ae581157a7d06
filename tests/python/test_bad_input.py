"""A raw file that breaks the contract fails the build with the table, column and offending values
named, and the marts of the previous good build stay queryable and unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import COMPANIES, Build, copy_project, dbt_build

GOOD = COMPANIES / "edge_company"


def append_line(name: str, line: str):
    def edit(seeds: Path) -> None:
        with open(seeds / name, "a") as handle:
            handle.write(line + "\n")
    return edit


def drop_column(name: str, column: str):
    def edit(seeds: Path) -> None:
        lines = (seeds / name).read_text().splitlines()
        index = lines[0].split(",").index(column)
        kept = [",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines]
        (seeds / name).write_text("\n".join(kept) + "\n")
    return edit


def replace_text(name: str, old: str, new: str):
    def edit(seeds: Path) -> None:
        text = (seeds / name).read_text()
        assert old in text
        (seeds / name).write_text(text.replace(old, new, 1))
    return edit


CASES = {
    "missing_column": (drop_column("raw_users.csv", "segment"), ["raw_users.csv", "missing column", "segment"]),
    "unparseable_timestamp": (
        replace_text("raw_scans.csv", "2025-02-10 14:30:00", "2025-02-30 14:30:00"),
        ["raw_scans", "scanned_at", "2025-02-30 14:30:00"],
    ),
    "duplicate_id": (
        append_line("raw_users.csv", "3,2025-02-11 10:00:00,referral,career_changer,US"),
        ["raw_users.user_id", "duplicate", ": 3 "],
    ),
    "unknown_user": (
        append_line("raw_subscriptions.csv", "90,999,basic,2025-03-01 10:00:00,,"),
        ["raw_subscriptions.user_id", "no match", "999"],
    ),
    "unknown_plan": (
        append_line("raw_subscriptions.csv", "91,7,platinum,2025-03-01 10:00:00,,"),
        ["raw_subscriptions.plan_id", "no match", "platinum"],
    ),
    "match_rate_out_of_range": (
        append_line("raw_scans.csv", "6,7,2025-03-02 10:00:00,201,140"),
        ["raw_scans.match_rate", "outside [0, 100]", "140"],
    ),
    "ended_before_started": (
        append_line("raw_subscriptions.csv", "92,7,basic,2025-03-05 10:00:00,2025-03-01 10:00:00,cancelled"),
        ["raw_subscriptions", "ended_at >= started_at", "subscription_id=92", "ended_at=2025-03-01 10:00:00"],
    ),
}


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Build:
    workdir = tmp_path_factory.mktemp("good")
    build = dbt_build(copy_project(workdir / "project", GOOD), workdir / "warehouse.duckdb")
    assert build.returncode == 0, build.output[-3000:]
    return build


@pytest.mark.parametrize("case", CASES)
def test_bad_file_fails_clearly_and_keeps_last_good_marts(case: str, good_warehouse: Build, tmp_path: Path) -> None:
    edit, expected_fragments = CASES[case]
    project = copy_project(tmp_path / "project", GOOD)
    edit(project / "seeds")
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(good_warehouse.db, db)
    before = good_warehouse.query("select * from marts.mrr_monthly order by month")

    build = dbt_build(project, db)

    assert build.returncode != 0
    for fragment in expected_fragments:
        assert fragment in build.output, f"{fragment!r} not in the build output:\n{build.output[-4000:]}"
    after = build.query("select * from marts.mrr_monthly order by month")
    assert after.equals(before)
    assert len(build.query("select * from marts.fct_mrr")) == len(good_warehouse.query("select * from marts.fct_mrr"))
