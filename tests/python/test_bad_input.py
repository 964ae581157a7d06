"""Raw tables loaded by another tool (JOBMETRICS_RAW_SCHEMA) that break the contract fail `dbt build`
with the table, column and offending values named, and the marts of the previous good build stay
queryable and unchanged. (Raw files are stopped earlier, by the gate: test_raw_data.py.)

A missing column and an unparseable value stop staging itself, so each gets a build of its own; the
five row-level defects share one build, whose report must name every one of them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from builds import COMPANIES, Build, dbt_build, shared_build

from jobmetrics.pipeline import raw

pytestmark = pytest.mark.build

GOOD = COMPANIES / "edge_company"
Edit = Callable[[Path], None]


def append_lines(name: str, *lines: str) -> Edit:
    def edit(seeds: Path) -> None:
        with (seeds / name).open("a") as handle:
            handle.writelines(line + "\n" for line in lines)

    return edit


def drop_column(name: str, column: str) -> Edit:
    def edit(seeds: Path) -> None:
        lines = (seeds / name).read_text().splitlines()
        index = lines[0].split(",").index(column)
        kept = [",".join(v for i, v in enumerate(line.split(",")) if i != index) for line in lines]
        (seeds / name).write_text("\n".join(kept) + "\n")

    return edit


def replace_text(name: str, old: str, new: str) -> Edit:
    def edit(seeds: Path) -> None:
        text = (seeds / name).read_text()
        assert old in text
        (seeds / name).write_text(text.replace(old, new, 1))

    return edit


def all_of(*edits: Edit) -> Edit:
    def edit(seeds: Path) -> None:
        for one in edits:
            one(seeds)

    return edit


ROW_DEFECTS = all_of(
    append_lines("raw_users.csv", "3,2025-02-11 10:00:00,referral,career_changer,US"),
    append_lines(
        "raw_subscriptions.csv",
        "90,999,basic,2025-03-01 10:00:00,,",
        "91,7,platinum,2025-03-01 10:00:00,,",
        "92,7,basic,2025-03-05 10:00:00,2025-03-01 10:00:00,cancelled",
    ),
    append_lines("raw_scans.csv", "6,7,2025-03-02 10:00:00,201,140"),
)

BROKEN_FILES = {
    "missing_column": drop_column("raw_users.csv", "segment"),
    "unparseable_timestamp": replace_text("raw_scans.csv", "2025-02-10 14:30:00", "2025-02-30 14:30:00"),
    "row_defects": ROW_DEFECTS,
}

# defect: (broken build, what its output must say)
CASES = {
    "missing_column": ("missing_column", ["their_raw", "raw_users", "missing column(s) segment"]),
    "unparseable_timestamp": ("unparseable_timestamp", ["raw_scans", "scanned_at", "2025-02-30 14:30:00"]),
    "duplicate_id": ("row_defects", ["raw_users.user_id has duplicate values: 3 "]),
    "unknown_user": ("row_defects", ["raw_subscriptions.user_id has values with no match", "999"]),
    "unknown_plan": ("row_defects", ["raw_subscriptions.plan_id has values with no match", "platinum"]),
    "match_rate_out_of_range": ("row_defects", ["raw_scans.match_rate has values outside [0, 100]: 140"]),
    "ended_before_started": (
        "row_defects",
        ["raw_subscriptions", "ended_at >= started_at", "subscription_id=92", "ended_at=2025-03-01 10:00:00"],
    ),
}


def load_as_another_tool_would(raw_dir: Path, db: Path, schema: str) -> None:
    """Each CSV into schema.<table> with the types DuckDB guesses, no contract applied."""
    with duckdb.connect(str(db)) as con:
        con.execute(f"create schema {schema}")
        for table, raw_file in raw.find_raw_files(raw_dir).items():
            con.read_csv(str(raw_file.path)).create(f"{schema}.{table}")


def broken_build(name: str, good: Build, shared_dir: Path) -> Build:
    """The broken tables built over a copy of the good warehouse, as a company's next build would be."""

    def make(workdir: Path) -> Build:
        shutil.copytree(GOOD, workdir / "raw")
        BROKEN_FILES[name](workdir / "raw")
        shutil.copy(good.db, workdir / good.db.name)
        load_as_another_tool_would(workdir / "raw", workdir / good.db.name, "their_raw")
        return dbt_build(workdir, parsed=good, env={"JOBMETRICS_RAW_SCHEMA": "their_raw"})

    return shared_build(shared_dir, f"broken_{name}", make, must_pass=False)


@pytest.mark.parametrize("case", CASES)
def test_bad_file_fails_clearly_and_keeps_last_good_marts(case: str, edge_company: Build, shared_dir: Path) -> None:
    build_name, expected_fragments = CASES[case]
    build = broken_build(build_name, edge_company, shared_dir)
    assert build.returncode != 0
    for fragment in expected_fragments:
        assert fragment in build.output, f"{fragment!r} not in the build output:\n{build.output[-4000:]}"
    before = edge_company.query("select * from marts.mrr_monthly order by month")
    assert build.query("select * from marts.mrr_monthly order by month").equals(before)
    assert len(build.query("select * from marts.fct_mrr")) == len(edge_company.query("select * from marts.fct_mrr"))
