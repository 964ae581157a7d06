"""A build from raw files leaves dbt's run of the raw contract's tests to the gate, which has just run each one's own
SQL on the values the load writes; a build from tables another tool loaded (no gate) runs every one of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from builds import COMPANIES

from jobmetrics.pipeline import build

pytestmark = pytest.mark.build  # the gate imports Great Expectations

EDGE = COMPANIES / "edge_company"
CONTRACT_TESTS_LEFT_OUT = ["--exclude", "path:models/staging/_sources.yml"]


class DbtReached(Exception):
    """Stops the build where it would start dbt."""


@pytest.fixture
def dbt_arguments(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    given: list[list[str]] = []

    def record(warehouse: build.Warehouse, dbt_args: list[str]) -> Iterator[None]:
        given.append(dbt_args)
        raise DbtReached
        yield  # a generator, as the context manager it stands in for

    monkeypatch.setattr(build, "dbt_started", contextmanager(record))
    monkeypatch.delenv("JOBMETRICS_STRIPE_SCHEMA", raising=False)
    return given


def test_a_build_from_files_leaves_the_contracts_tests_to_the_gate(
    tmp_path: Path, dbt_arguments: list[list[str]]
) -> None:
    with pytest.raises(DbtReached):
        build.run(build.Warehouse(tmp_path / "jobmetrics.duckdb"), EDGE, ["--full-refresh"], say=lambda _: None)
    assert dbt_arguments == [["--full-refresh", *CONTRACT_TESTS_LEFT_OUT]]


def test_a_build_from_tables_another_tool_loaded_runs_the_contracts_tests(
    tmp_path: Path, dbt_arguments: list[list[str]]
) -> None:
    with pytest.raises(DbtReached):
        build.run(build.Warehouse(tmp_path / "jobmetrics.duckdb"), None, ["--full-refresh"], say=lambda _: None)
    assert dbt_arguments == [["--full-refresh"]]


def test_stripe_tables_from_another_schema_and_named_selectors_keep_every_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JOBMETRICS_STRIPE_SCHEMA", raising=False)
    assert build.without_gated_tests(["--selector", "nightly"]) == ["--selector", "nightly"]
    monkeypatch.setenv("JOBMETRICS_STRIPE_SCHEMA", "their_stripe")
    assert build.without_gated_tests(["--full-refresh"]) == ["--full-refresh"]
