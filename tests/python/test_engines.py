"""Same numbers everywhere: every mart built on PostgreSQL and on Spark equals DuckDB's. Each engine builds three
tenants at once, the sample, the hand-worked edge-case company (as Parquet, under channel and segment names
of its own, with its own lists of them) and a company billed through Stripe (stripe_companies.hand_worked), and
each tenant's rows equal that company built alone on DuckDB (same rows; counts and text exact, amounts and rates
within 1e-9)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import stripe_companies
import yaml
from builds import (
    COMPANIES,
    PROJECT_ROOT,
    SAMPLE,
    Build,
    build_from,
    project_parse,
    shared_build,
    under_edge_names,
    with_own_names_as_parquet,
)
from engines import build_on, differences, engine_marts

from devtools import throwaway_postgres
from jobmetrics.pipeline.engines import DUCKDB_ONLY_MARTS

pytestmark = pytest.mark.build

RAW = {"sample": SAMPLE, "edge": COMPANIES / "edge_company"}
ALONE = {"sample": "default_company", "edge": "edge_company", "billing": "stripe_company"}


@pytest.fixture(scope="module")
def stripe_company(shared_dir: Path) -> Build:
    """The hand-worked company billed through Stripe, built alone on DuckDB."""
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        stripe_companies.hand_worked().write(work / "raw")
        return build_from(work / "raw", work, parsed=parsed)

    return shared_build(shared_dir, "stripe_company_alone", make)


def spark_tests(manifest: Path) -> list[str]:
    """The data tests the Spark build runs beside every model and seed: the singular tests, every
    expression_is_true (its SQL is the test) and one instance of each other generic test for each set of
    arguments it is given, among the tests of what the other engines build. Spark spends a second or more on each
    test query; the other instances are the same macro on other columns, and all of them run on DuckDB and
    PostgreSQL."""
    parsed = json.loads(manifest.read_text())
    nodes = parsed["nodes"]
    duckdb_only = [uid for uid, node in nodes.items() if "statistics" in node["tags"]]
    for uid in duckdb_only:  # grows as it goes: everything after them, as the engines' `--exclude tag:statistics+`
        duckdb_only += [child for child in parsed["child_map"][uid] if child not in duckdb_only]
    tests = [node for uid, node in nodes.items() if node["resource_type"] == "test" and uid not in duckdb_only]
    chosen: list[str] = []
    shapes: set[tuple[str, ...]] = set()
    for node in sorted(tests, key=lambda n: n["unique_id"]):
        test = node.get("test_metadata")
        if test is not None and test["name"] != "expression_is_true":
            shape = (test["name"], *sorted(set(test["kwargs"]) - {"column_name", "model"}))
            if shape in shapes:
                continue
            shapes.add(shape)
        chosen.append(node["name"])
    return chosen


def built(shared_dir: Path, engine: str) -> Build:
    """Both companies as two tenants in one build on the engine, with its data tests (on Spark, spark_tests')."""

    def make(work: Path) -> Build:
        shutil.copytree(RAW["sample"], work / "raw" / "sample")
        with_own_names_as_parquet(RAW["edge"], work / "raw" / "edge")
        stripe_companies.hand_worked().write(work / "raw" / "billing")
        if engine == "postgres":
            with throwaway_postgres.server() as settings:
                return build_on(engine, work / "raw", work, settings)
        tests = spark_tests(project_parse(shared_dir).manifest)
        selected = ["--select", "resource_type:model", "resource_type:seed", *tests, "--indirect-selection", "empty"]
        return build_on(engine, work / "raw", work, {}, *selected)

    return shared_build(shared_dir, f"{engine}_tenants", make)


@pytest.mark.parametrize("tenant", ["sample", "edge", "billing"])
@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_every_mart_equals_duckdb(engine: str, tenant: str, shared_dir: Path, request: pytest.FixtureRequest) -> None:
    marts = engine_marts(built(shared_dir, engine))
    # the DuckDB build is asked for only now, so the longer engine build starts first
    reference: Build = request.getfixturevalue(ALONE[tenant])
    expected = reference.query("select table_name from information_schema.tables where table_schema = 'marts'")
    assert sorted(marts) == sorted(set(expected["table_name"]) - set(DUCKDB_ONLY_MARTS))
    problems = []
    for mart, frame in marts.items():
        rows = frame[frame["tenant_id"] == tenant].drop(columns="tenant_id")
        if tenant == "edge":  # back under the names the company built alone uses
            rows = under_edge_names(rows)
        alone = reference.query(f"select * exclude (tenant_id) from marts.{mart}")
        problems += differences(mart, engine, alone, rows)
    assert not problems, "\n".join(problems[:40])


def declared_unit_tests() -> int:
    ymls = (PROJECT_ROOT / "models").rglob("*.yml")
    return sum(len((yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])) for path in ymls)


def test_the_engine_build_runs_the_data_tests_and_says_what_it_skips(shared_dir: Path) -> None:
    output = built(shared_dir, "spark").output
    assert f" {len(spark_tests(project_parse(shared_dir).manifest))} data tests" in output  # all it chose ran
    assert "dbt unit tests are not run on Spark" in output
    assert f"({', '.join(DUCKDB_ONLY_MARTS)}) are computed by dbt Python models" in output
    assert "Completed successfully" in output and re.search(r"PASS=\d+ WARN=0 ERROR=0 SKIP=0", output)
    postgres = built(shared_dir, "postgres").output
    assert f"{declared_unit_tests()} unit tests" in postgres and "Completed successfully" in postgres


def test_an_unreachable_postgres_fails_with_what_to_set(tmp_path: Path) -> None:
    done = build_on("postgres", SAMPLE, tmp_path, {"PGHOST": "127.0.0.1", "PGPORT": "1"})
    assert done.returncode == 5, done.output[-2000:]
    assert "set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE" in done.output
