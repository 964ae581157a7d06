"""Same numbers everywhere: every mart built on PostgreSQL and on Spark equals DuckDB's, for the sample and
for the hand-worked edge-case company (same rows; counts and text exact, amounts and rates within 1e-9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builds import COMPANIES, SAMPLE, Build, shared_build
from engines import build_on, differences, engine_marts

from devtools import throwaway_postgres

pytestmark = pytest.mark.build

RAW = {"sample": SAMPLE, "edge": COMPANIES / "edge_company"}
# The sample runs every data test on each engine; the edge company compares its marts only.
MODELS_ONLY = ("--exclude", "resource_type:test", "resource_type:unit_test")


def built(shared_dir: Path, engine: str, company: str) -> Build:
    def make(work: Path) -> Build:
        args = () if company == "sample" else MODELS_ONLY
        if engine == "postgres":
            with throwaway_postgres.server() as settings:
                return build_on(engine, RAW[company], work, settings, *args)
        return build_on(engine, RAW[company], work, {}, *args)

    return shared_build(shared_dir, f"{engine}_{company}", make)


@pytest.mark.parametrize("company", ["sample", "edge"])
@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_every_mart_equals_duckdb(engine: str, company: str, shared_dir: Path, request: pytest.FixtureRequest) -> None:
    marts = engine_marts(built(shared_dir, engine, company))
    # the DuckDB build is asked for only now, so the longer engine build starts first
    reference: Build = request.getfixturevalue("default_company" if company == "sample" else "edge_company")
    expected = reference.query("select table_name from information_schema.tables where table_schema = 'marts'")
    assert sorted(marts) == sorted(expected["table_name"])
    problems = []
    for mart, frame in marts.items():
        problems += differences(mart, engine, reference.query(f"select * from marts.{mart}"), frame)
    assert not problems, "\n".join(problems[:40])


def test_the_engine_build_runs_the_data_tests_and_says_what_it_skips(shared_dir: Path) -> None:
    output = built(shared_dir, "spark", "sample").output
    assert "dbt unit tests are not run on Spark" in output
    assert "Completed successfully" in output and "PASS=2" in output
    postgres = built(shared_dir, "postgres", "sample").output
    assert "10 unit tests" in postgres and "Completed successfully" in postgres


def test_an_unreachable_postgres_fails_with_what_to_set(tmp_path: Path) -> None:
    done = build_on("postgres", SAMPLE, tmp_path, {"PGHOST": "127.0.0.1", "PGPORT": "1"})
    assert done.returncode == 5, done.output[-2000:]
    assert "set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE" in done.output
