"""Shared warehouses: each is built once per test session and shared by every module and xdist worker.

Tests that use one are marked `build` automatically, so `make test-fast` can leave them out.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from builds import (
    COMPANIES,
    PARSE_FILE,
    PROJECT_ROOT,
    SAMPLE,
    Build,
    build_from,
    build_tenants,
    project_parse,
    published_parse,
    shared_build,
    stop_dbt_zygote,
)
from helpers import KeptMediaFiles, MessagesStub, Stub

# The test warehouses are small and two workers share two cores: DuckDB's own worker threads (four by default)
# would only take turns with the other worker's builds. Set before any build, so every build and its saved parse
# see the same profile.
os.environ.setdefault("JOBMETRICS_THREADS", "1")
# dbt's log file holds every node's SQL at debug level: a tenth of a small build's CPU. The tests read what dbt prints.
os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")

# Each test's own time in `make test` on 2026-12-07 (--durations): 142 s (Spark's, the longest by far), then 34, 34,
# 34, 28, 27 and 25 s; the rest take under 21 s.
LONGEST = (
    "[spark-",
    "test_watch.py::test_the_watcher_rebuilds_on_a_change",
    "test_faults.py::test_a_build_killed_in_any_phase",
    "test_scale.py::test_a_100k_user_company",
    "test_signin_browser.py::test_a_session_ends_after_its_hours",
    "[postgres-",
    "test_bad_data_faults.py::test_a_company_with_no_scans",
)

SHARED_BUILDS = {
    "edge_company",
    "default_company",
    "edge_company_mid_march",
    "edge_company_mid_january",
    "planted",
    "saved_parse",
}


def pytest_sessionfinish() -> None:
    """The worker's dbt process is waited for, so that its builds' CPU is counted where the suite's is."""
    stop_dbt_zygote()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SHARED_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
    # The longest tests first, so that `make test` (--dist load, which deals the tests out in this order) ends
    # on short ones: with the watcher's test last in file order, one worker ran it alone for its last 26 s.
    items.sort(key=lambda item: next((rank for rank, part in enumerate(LONGEST) if part in item.nodeid), len(LONGEST)))


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this session sees (the base temp folder's parent under xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture
def saved_parse(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's `jobmetrics build` runs (publishing under builds.PUBLISHED_NAME) start from a saved parse."""
    monkeypatch.setenv("DBT_PARTIAL_PARSE_FILE_PATH", str(published_parse(shared_dir).target / PARSE_FILE))


@pytest.fixture(scope="session")
def edge_company(shared_dir: Path) -> Build:
    parsed = project_parse(shared_dir)
    return shared_build(
        shared_dir, "edge", lambda work: build_from(COMPANIES / "edge_company", work, parsed=parsed, artifacts=True)
    )


@pytest.fixture(scope="session")
def default_company(shared_dir: Path) -> Build:
    """The committed sample with every data and unit test: what `make build` builds."""
    parsed = project_parse(shared_dir)
    return shared_build(shared_dir, "default", lambda work: build_from(SAMPLE, work, parsed=parsed, artifacts=True))


def models_and_their_tests(*selectors: str) -> list[str]:
    """dbt arguments that build the selected models, their parents and the data tests among them only."""
    return ["--select", *selectors, "--indirect-selection", "cautious", "--exclude", "test_type:unit"]


def models_only(*selectors: str) -> list[str]:
    """dbt arguments that build the selected models and their parents without any test: for the tests that
    compare what the models compute (the shared builds run every data and unit test)."""
    return ["--select", *selectors, "--exclude", "resource_type:test", "resource_type:unit_test"]


@pytest.fixture(scope="session")
def edge_company_mid_march(shared_dir: Path) -> Build:
    """as_of_date inside a month: the marts the as-of and incremental tests read, with their data tests."""
    return shared_build(
        shared_dir,
        "edge_mid_march",
        lambda work: build_from(
            COMPANIES / "edge_company",
            work,
            "--vars",
            "{as_of_date: '2025-03-15'}",
            *models_and_their_tests(
                "+mrr_monthly", "+channel_performance", "+fct_scans", "+scans_daily", "+engagement_daily"
            ),
        ),
    )


@pytest.fixture(scope="session")
def edge_company_mid_january(shared_dir: Path) -> Build:
    """as_of_date before the first month ends: no complete month to judge KPIs on."""
    return shared_build(
        shared_dir,
        "edge_mid_january",
        lambda work: build_from(
            COMPANIES / "edge_company",
            work,
            "--vars",
            "{as_of_date: '2025-01-15'}",
            *models_and_their_tests("+kpi_summary"),
        ),
    )


def plant_incidents(seeds: Path) -> None:
    """Two incidents in the default data: 5x the usual signups on Wed 11 Jun, no scans on Wed 17 Sep."""
    for csv in SAMPLE.glob("raw_*.csv"):
        shutil.copy(csv, seeds / csv.name)
    users = pd.read_csv(seeds / "raw_users.csv", dtype=str)
    day = users[users["signup_at"].str.startswith("2025-06-11")]
    extra = pd.concat([day] * 4, ignore_index=True)
    extra["user_id"] = [str(i) for i in range(10_000_001, 10_000_001 + len(extra))]
    pd.concat([users, extra]).to_csv(seeds / "raw_users.csv", index=False)
    scans = pd.read_csv(seeds / "raw_scans.csv", dtype=str)
    scans[~scans["scanned_at"].str.startswith("2025-09-17")].to_csv(seeds / "raw_scans.csv", index=False)


@pytest.fixture(scope="session")
def planted(shared_dir: Path) -> Build:
    def make(work: Path) -> Build:
        (work / "raw").mkdir(parents=True)
        plant_incidents(work / "raw")
        return build_from(
            work / "raw", work, *models_and_their_tests("+metric_anomalies", "+scans_daily"), parsed=parsed
        )

    parsed = project_parse(shared_dir)
    return shared_build(shared_dir, "planted", make)


APP = str(PROJECT_ROOT / "dashboard" / "app.py")


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app as `jobmetrics dashboard` serves it without a users file: listening on this machine only."""
    from streamlit import config as streamlit_config
    from streamlit.testing.v1 import AppTest, app_test

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptMediaFiles)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    address = streamlit_config.get_option("server.address")
    streamlit_config.set_option("server.address", "127.0.0.1")

    def run(db: Path, **query: str | list[str]) -> AppTest:
        monkeypatch.setenv("JOBMETRICS_DB", str(db))
        monkeypatch.setenv("JOBMETRICS_USERS", str(db.with_name("no-users.yaml")))  # open, as on loopback
        app = AppTest.from_file(APP, default_timeout=120)
        for name, value in query.items():
            app.query_params[name] = value
        app.run()
        assert not app.exception, app.exception
        return app

    yield run
    streamlit_config.set_option("server.address", address)


@pytest.fixture
def stub() -> Iterator[Stub]:
    MessagesStub.script, MessagesStub.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), MessagesStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", MessagesStub
    server.shutdown()


@pytest.fixture(scope="session")
def four_tenants(shared_dir: Path) -> Build:
    return shared_build(shared_dir, "tenants", build_tenants)


@pytest.fixture
def published(edge_company: Build, tmp_path: Path) -> Path:
    """A published warehouse of the edge company, in a folder of its own."""
    folder = tmp_path / "warehouse"
    folder.mkdir()
    shutil.copy(edge_company.db, folder / "jobmetrics.duckdb")
    return folder / "jobmetrics.duckdb"
