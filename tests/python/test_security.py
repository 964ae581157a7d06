"""Every query run on a reader's behalf takes the guarded path (jobmetrics.guarded): one SELECT, no files, no other
database, no settings, bound values, and memory and time limits that hold whatever the query does. The report
builder's filter is chosen, never typed SQL; the dashboard refuses to open without sign-in beyond this machine;
BI connections as docs/bi.md writes them cannot reach files or other tenants."""

from __future__ import annotations

import hashlib
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy
from builds import PROJECT_ROOT, Build
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from jobmetrics import guarded
from jobmetrics.access import users
from jobmetrics.views import display, semantic

pytestmark = pytest.mark.build

PASSWD = "cast((select content from read_text('/etc/passwd')) as integer) = 1"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def warehouse_copy(default_company: Build, tmp_path: Path) -> Path:
    """A copy of the sample's warehouse beside another company's file, for queries that try to reach it."""
    db = tmp_path / "jobmetrics.duckdb"
    shutil.copy(default_company.db, db)
    shutil.copy(default_company.db, tmp_path / "other.duckdb")
    return db


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        (f"select 1 where {PASSWD}", "file system operations are disabled"),
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
        ("select * from marts.mrr_monthly; copy (select 1) to 'written.csv'", "exactly one statement"),
        ("copy (select 1) to 'written.csv'", "only SELECT"),
        ("attach 'other.duckdb' as other (read_only)", "only SELECT"),
        ("select * from other.marts.mrr_monthly", "does not exist"),
        ("install httpfs", "only SELECT"),
        ("set enable_external_access = true", "only SELECT"),
        ("select getenv('HOME')", "getenv does not exist"),
        ("select * from glob('/etc/*')", "file system operations are disabled"),
    ],
)
def test_the_guard_reads_the_marts_and_nothing_else(warehouse_copy: Path, sql: str, why: str) -> None:
    before = digest(warehouse_copy)
    with pytest.raises(guarded.QueryRefused, match=why) as refused:
        guarded.query(warehouse_copy, sql)
    assert "root:" not in str(refused.value)
    assert not list(PROJECT_ROOT.glob("written.csv")) and not list(warehouse_copy.parent.glob("written.csv"))
    assert digest(warehouse_copy) == before


def test_the_guard_binds_values_and_reads_the_marts(default_company: Build) -> None:
    expected = default_company.query("select month, mrr from marts.mrr_monthly where mrr > 60000 order by month")
    got = guarded.query(
        default_company.db, "select month, mrr from marts.mrr_monthly where mrr > $1 order by month", [60000]
    )
    assert [row[1] for row in got.rows] == expected["mrr"].tolist()
    injected = guarded.query(
        default_company.db, "select count(*) from marts.dim_users where segment = $1", ["x' or '1' = '1"]
    )
    assert injected.rows == [(0,)]


def test_a_query_past_its_memory_stops_in_a_sentence_and_outside_this_process(default_company: Build) -> None:
    grown_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(guarded.QueryRefused, match=r"more than the 1,024 MB it may use"):
        guarded.query(default_company.db, "select length(repeat('x', 2000000000))")
    assert time.monotonic() - started < 10  # 15 s and 4 GB in the reader's own process before
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - grown_before
    assert grown < 300 * 1024, f"this process grew by {grown / 1024:.0f} MB"


def test_a_query_past_its_time_is_stopped(default_company: Build) -> None:
    started = time.monotonic()
    with pytest.raises(guarded.QueryRefused, match="stopped after 1 s"):
        guarded.query(default_company.db, "select count(*) from range(100000000000)", seconds=1)
    assert time.monotonic() - started < 1 + guarded.START_ALLOWANCE_SECONDS


def test_a_query_that_does_not_stop_when_asked_is_killed(
    default_company: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB checks for an interrupt between chunks only; the child process is killed at the limit whatever it
    is doing (here before it even starts to answer)."""
    monkeypatch.setattr(guarded, "START_ALLOWANCE_SECONDS", 0.0)
    with pytest.raises(guarded.QueryRefused, match=r"stopped after 0\.01 s"):
        guarded.query(default_company.db, "select 1", seconds=0.01)


def test_the_guarded_child_gets_no_secrets(default_company: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-not-for-queries")
    monkeypatch.setenv("JOBMETRICS_SMTP_PASSWORD", "not-for-queries")
    environment = guarded.child_environment()
    assert "ANTHROPIC_API_KEY" not in environment and "JOBMETRICS_SMTP_PASSWORD" not in environment
    assert guarded.query(default_company.db, "select 42 as answer").rows == [(42,)]


@pytest.mark.parametrize(
    "text",
    [
        PASSWD,
        "user__segment:in:a'); copy (select 1) to 'written.csv'; --",
        "{{ Dimension('user__segment') }} = 'a' or 1 = 1",
        "{{ Dimension('user__segment') }} = 'a'; attach 'x' as y",
        "user__segment:like:a",
        "User__Segment:in:a",
    ],
)
def test_a_report_filter_is_a_dimension_an_operator_and_values(default_company: Build, text: str) -> None:
    parsed: semantic.Filter | None
    try:
        parsed = semantic.parse_filter(text)
    except semantic.ReportFailed:
        parsed = None
    if parsed is not None:  # it parsed as a filter: its values are only ever bound, so the query reads them as text
        frame = semantic.report(
            default_company.db, default_company.manifest.with_name("semantic_manifest.json"), ["signups"], [], [parsed]
        )
        assert frame["signups"].fillna(0).sum() == 0
    assert not list(PROJECT_ROOT.glob("written.csv"))


def test_a_filter_chosen_or_linked_filters_the_report(default_company: Build) -> None:
    manifest = default_company.manifest.with_name("semantic_manifest.json")
    assert "user__segment" in semantic.filter_dimensions(manifest, ["signups", "mrr"])
    segments = semantic.dimension_values(default_company.db, manifest, ["signups"], "user__segment")
    assert segments == sorted(default_company.query("select distinct segment from marts.dim_users")["segment"])
    expected = default_company.query(
        "select date_trunc('month', signup_date) as month, count(*) as signups from marts.dim_users "
        "where segment not in ('career_changer', 'student') group by 1 order by 1"
    )
    for link in (
        "user__segment:not_in:career_changer,student",
        "{{ Dimension('user__segment') }} not in ('career_changer', 'student')",
    ):
        chosen = semantic.parse_filter(link)
        frame = semantic.report(default_company.db, manifest, ["signups"], ["metric_time__month"], [chosen])
        assert frame["signups"].tolist() == expected["signups"].tolist(), link
    paid = semantic.report(
        default_company.db, manifest, ["signups"], [], [semantic.parse_filter("user__is_paid_channel:in:True")]
    )
    assert (
        paid["signups"].iloc[0]
        == default_company.query("select count(*) from marts.dim_users where is_paid_channel").iloc[0, 0]
    )


def report_app(db: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch, **query: str) -> AppTest:
    monkeypatch.setenv("JOBMETRICS_DB", str(db))
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(manifest))
    monkeypatch.setenv("JOBMETRICS_USERS", str(db.with_name("no-users.yaml")))
    app = AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=120)
    for name, value in {"tab": "report", **query}.items():
        app.query_params[name] = value
    return app.run()


@pytest.fixture
def on_loopback() -> Any:
    address = streamlit_config.get_option("server.address")
    streamlit_config.set_option("server.address", "127.0.0.1")
    yield
    streamlit_config.set_option("server.address", address)


def listed(value: str | list[str]) -> list[str]:
    """A query parameter as a list (AppTest gives one value as a string)."""
    return [value] if isinstance(value, str) else value


def page_text(app: AppTest) -> str:
    kinds = (app.markdown, app.caption, app.warning, app.error, app.info, app.success)
    return "\n".join(str(element.value) for kind in kinds for element in kind)


@pytest.mark.parametrize(
    "where",
    [
        PASSWD,
        "1 = 1) as x; copy (select 1) to 'written.csv'; attach 'other.duckdb' as g (read_only); "
        "select * from g.marts.mrr_monthly; --",
    ],
)
def test_a_report_link_with_typed_sql_runs_nothing(
    warehouse_copy: Path, default_company: Build, monkeypatch: pytest.MonkeyPatch, on_loopback: Any, where: str
) -> None:
    before = digest(warehouse_copy)
    app = report_app(
        warehouse_copy,
        default_company.manifest,
        monkeypatch,
        metrics="signups",
        group_by="metric_time__month",
        where=where,
    )
    assert not app.exception
    assert any("not a dimension, an operator and values" in warning.value for warning in app.warning)
    assert "root:" not in page_text(app)
    assert "where" not in app.query_params
    assert not list(PROJECT_ROOT.glob("written.csv")) and not list(warehouse_copy.parent.glob("written.csv"))
    assert digest(warehouse_copy) == before


def test_the_report_builder_filters_from_lists_kept_in_the_link(
    default_company: Build, monkeypatch: pytest.MonkeyPatch, on_loopback: Any
) -> None:
    app = report_app(
        default_company.db,
        default_company.manifest,
        monkeypatch,
        metrics="signups",
        group_by="metric_time__month",
        where="{{ Dimension('user__segment') }} = 'career_changer'",
    )
    assert app.multiselect(key="filter_on").value == ["user__segment"]
    assert app.multiselect(key="filter_values_user__segment").value == ["career_changer"]
    assert listed(app.query_params["filter"]) == ["user__segment:in:career_changer"]
    assert "where" not in app.query_params
    expected = default_company.query(
        "select count(*) as signups from marts.dim_users where segment = 'career_changer'"
    ).iloc[0, 0]
    shown = app.dataframe[0].value
    assert int(shown["Signups"].sum() if "Signups" in shown else shown["signups"].sum()) == expected
    app.selectbox(key="filter_operator_user__segment").set_value("not_in").run()
    assert listed(app.query_params["filter"]) == ["user__segment:not_in:career_changer"]
    assert app.text_input == [] or all(box.key != "where" for box in app.text_input)  # no typed filter


def test_without_users_the_dashboard_opens_on_loopback_only(
    default_company: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`streamlit run dashboard/app.py` with no address listens on every address: the app reads the address
    Streamlit binds, so it refuses there without a users file and opens on 127.0.0.1."""
    monkeypatch.setenv("JOBMETRICS_DB", str(default_company.db))
    monkeypatch.setenv("JOBMETRICS_USERS", str(default_company.db.with_name("no-users.yaml")))
    address = streamlit_config.get_option("server.address")
    try:
        for bound, opens in ((None, False), ("0.0.0.0", False), ("192.0.2.10", False), ("127.0.0.1", True)):
            streamlit_config.set_option("server.address", bound)
            app = AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=120).run()
            refused = [error.value for error in app.error if "without sign-in" in error.value]
            assert bool(refused) != opens, bound
            assert bool(app.get("page_link")) == opens, bound
    finally:
        streamlit_config.set_option("server.address", address)
    assert not users.is_loopback(None) and not users.is_loopback("") and users.is_loopback("localhost")


def test_names_from_the_data_are_shown_as_text() -> None:
    """Markdown characters escaped; a word joiner (U+2060) where Streamlit would otherwise link an address or URL
    (test_signin_browser checks the sidebar's address is no link in Chromium)."""
    joiner = "\u2060"
    assert display.as_text("sales@example.com") == f"sales@{joiner}example\\.com"
    assert display.as_text("[click](http://x)") == f"\\[click\\]\\(http\\:{joiner}//x\\)"
    assert display.as_text("www.jobs.com") == f"www{joiner}\\.jobs\\.com"
    assert display.as_text(":red[alarm] **bold** R&D") == f"\\:{joiner}red\\[alarm\\] \\*\\*bold\\*\\* R\\&D"


def test_bi_connections_as_documented_reach_no_file_and_no_other_database(warehouse_copy: Path) -> None:
    """docs/bi.md's Superset connection: read-only, external access off, configuration locked (through
    duckdb_engine, as Superset connects)."""
    documented = (PROJECT_ROOT / "docs" / "bi.md").read_text()
    config = {"enable_external_access": False, "lock_configuration": True}
    assert '"enable_external_access": false' in documented and '"lock_configuration": true' in documented
    engine = sqlalchemy.create_engine(
        f"duckdb:///{warehouse_copy}", connect_args={"read_only": True, "config": config}, poolclass=sqlalchemy.NullPool
    )
    with engine.connect() as connection:
        assert pd.read_sql("select count(*) as months from marts.mrr_monthly", connection)["months"].iloc[0] > 0
    refused = [
        "copy (select 1) to 'written.csv'",
        "select * from read_csv('/etc/passwd')",
        f"attach '{warehouse_copy.with_name('other.duckdb')}' as other (read_only)",
        "install httpfs",
        "set enable_external_access = true",
        "create table marts.nope as select 1 as x",
    ]
    for statement in refused:
        with engine.connect() as connection, pytest.raises(sqlalchemy.exc.DBAPIError):
            connection.execute(sqlalchemy.text(statement))
    engine.dispose()
    assert not list(PROJECT_ROOT.glob("written.csv"))


def test_a_refusal_that_quotes_a_link_shows_it_as_text(
    default_company: Build, monkeypatch: pytest.MonkeyPatch, on_loopback: Any
) -> None:
    """A refusal quotes what the link said: as text, so a crafted link cannot put a link of its own on the page."""
    app = report_app(
        default_company.db,
        default_company.manifest,
        monkeypatch,
        metrics="signups",
        where="[sign in](http://evil.example)",
    )
    [warning] = [warning.value for warning in app.warning]
    assert "\\[sign in\\]\\(http\\:\u2060//evil\\.example\\)" in warning, warning
