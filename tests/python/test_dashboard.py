"""The dashboard shows the marts' own numbers, offers exactly what it shows for download, follows its filters,
and says what to do without a warehouse (Streamlit's AppTest runs the real app script)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from builds import PROJECT_ROOT, Build
from reference import records
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from jobmetrics.kpis import format_value

pytestmark = pytest.mark.build

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
SHOWN = {"plotly_chart", "dataframe"}
# columns a chart shows as text in its labels rather than as plotted values
IN_LABELS = {"cohort_retention": ["cohort_customers"]}


class KeptMediaFiles(MemoryMediaFileStorage):
    """AppTest's in-memory media store, kept reachable so the tests can read what each download serves."""

    latest: KeptMediaFiles

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        KeptMediaFiles.latest = self


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptMediaFiles)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    def run(db: Path) -> AppTest:
        monkeypatch.setenv("JOBMETRICS_DB", str(db))
        app = AppTest.from_file(APP, default_timeout=120)
        app.run()
        assert not app.exception, app.exception
        return app

    yield run


def leaves(node: Any) -> Iterator[Any]:
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from leaves(child)


@dataclass
class Shown:
    name: str
    kind: str
    download: pd.DataFrame
    element: Any


def shown_with_downloads(app: AppTest) -> list[Shown]:
    """Every chart and table of the page with the download button placed just before it."""
    pairs, pending = [], None
    for leaf in leaves(app._tree):
        if leaf.type == "download_button":
            content = KeptMediaFiles.latest.get_file(leaf.proto.url.rsplit("/", 1)[1]).content
            name = leaf.proto.id.rsplit("download_", 1)[1]
            pending = (name, pd.read_csv(io.BytesIO(content)))
        elif leaf.type in SHOWN:
            assert pending is not None, f"a {leaf.type} has no download button"
            pairs.append(Shown(pending[0], leaf.type, pending[1], leaf))
            pending = None
    return pairs


def decoded(values: Any) -> np.ndarray:
    """A Plotly data array, plain or in its base64 typed-array encoding."""
    if isinstance(values, dict):
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = [int(size) for size in str(values.get("shape", len(array))).split(",")]
        return array.reshape(shape)
    return np.asarray(values, dtype=object)


def plotted_numbers(spec: str) -> list[float]:
    numbers: list[float] = []
    for trace in json.loads(spec)["data"]:
        for axis in ("x", "y", "z", "customdata"):
            if axis in trace:
                numbers += [float(v) for v in decoded(trace[axis]).ravel() if isinstance(v, int | float | np.number)]
    return [n for n in numbers if not np.isnan(n)]


def by_name(app: AppTest) -> dict[str, Shown]:
    return {shown.name: shown for shown in shown_with_downloads(app)}


def funnel_totals(build: Build, where: str = "true") -> pd.DataFrame:
    return build.query(
        f"select step_order, step, sum(users) as users from marts.conversion_funnel where {where} "
        "group by all order by step_order"
    )


def test_kpi_cards_show_kpi_summary_and_mrr_monthly(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    kpis = default_company.query("select * from marts.kpi_summary")
    cards = {metric.label: metric.value for metric in app.metric}
    deltas = {metric.label: metric.proto.delta for metric in app.metric}
    for row in records(kpis):
        assert cards[row["label"]] == format_value(row["value"], row["unit"]), row["label"]
        sign = "-" if row["change"] < 0 else "+"
        assert deltas[row["label"]] == sign + format_value(abs(row["change"]), row["unit"]), row["label"]
    latest = default_company.query(
        "select mrr, active_customers, net_new_mrr from marts.mrr_monthly "
        "where is_complete_month order by month desc limit 1"
    ).iloc[0]
    assert cards["MRR"] == format_value(latest.mrr, "usd")
    assert deltas["MRR"] == ("-" if latest.net_new_mrr < 0 else "+") + format_value(abs(latest.net_new_mrr), "usd")
    assert cards["Active customers"] == format_value(latest.active_customers, "count")
    statuses = " ".join(markdown.value for markdown in app.markdown)
    assert "warning" in statuses and "ok" in statuses


def test_every_chart_and_table_downloads_exactly_what_it_shows(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    assert len(app.tabs) == 6
    pairs = shown_with_downloads(app)
    assert len(pairs) >= 13
    for shown in pairs:
        if shown.kind == "dataframe":
            shown_csv = shown.element.value.to_csv(index=False)
            assert pd.read_csv(io.StringIO(shown_csv)).equals(shown.download), shown.name
            continue
        plotted = plotted_numbers(shown.element.proto.spec)
        offered = shown.download.select_dtypes("number").to_numpy().ravel()
        offered_set = {round(float(v), 9) for v in offered if not np.isnan(v)}
        assert plotted, shown.name
        missing = {round(n, 9) for n in plotted} - offered_set
        assert not missing, f"{shown.name} plots values its download lacks: {sorted(missing)[:5]}"
        assert len(plotted) >= len(shown.download), f"{shown.name} offers rows it does not plot"
        plotted_set = {round(n, 9) for n in plotted}
        for column in shown.download.select_dtypes("number").columns.difference(IN_LABELS.get(shown.name, [])):
            values = {round(float(v), 9) for v in shown.download[column].dropna()}
            assert values & plotted_set, f"{shown.name} offers {column}, which it does not plot"


def test_the_funnel_and_mrr_charts_are_the_marts(default_company: Build, run_app: Any) -> None:
    charts = by_name(run_app(default_company.db))
    funnel = charts["conversion_funnel"].download
    assert funnel["users"].tolist() == funnel_totals(default_company)["users"].tolist()
    last_12 = default_company.query("select month, mrr from marts.mrr_monthly order by month desc limit 12")
    mrr = charts["mrr"].download
    assert mrr["mrr"].tolist() == last_12.sort_values("month")["mrr"].tolist()


def test_channel_and_segment_filters_narrow_every_chart(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    channel = app.multiselect[0].options[0]
    segment = app.multiselect[1].options[-1]
    app.multiselect[0].set_value([channel])
    app.multiselect[1].set_value([segment]).run()
    assert not app.exception
    charts = by_name(app)
    expected = funnel_totals(default_company, f"acquisition_channel = '{channel}' and segment = '{segment}'")
    assert charts["conversion_funnel"].download["users"].tolist() == expected["users"].tolist()
    assert set(charts["conversion_funnel_by_acquisition_channel"].download["acquisition_channel"]) == {channel}
    assert set(charts["conversion_funnel_by_segment"].download["segment"]) == {segment}
    assert set(charts["channel_performance"].download["acquisition_channel"]) == {channel, "all"}
    assert set(charts["channel_monthly"].download["acquisition_channel"]) == {channel}
    assert f"channels: {channel}; segments: {segment}" in " ".join(caption.value for caption in app.caption)


def test_the_month_range_applies_to_every_time_series(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    months = sorted(default_company.query("select month from marts.mrr_monthly")["month"].dt.date)
    start, end = months[2], months[4]
    app.select_slider[0].set_value((start, end)).run()
    assert not app.exception
    charts = by_name(app)
    for name, column in [
        ("mrr", "month"),
        ("mrr_movements", "month"),
        ("conversion_by_signup_month", "signup_month"),
        ("cohort_retention", "cohort_month"),
        ("channel_monthly", "month"),
        ("scans_daily", "date_day"),
        ("active_users", "date_day"),
    ]:
        days = pd.to_datetime(charts[name].download[column]).dt.date
        assert days.min() >= start and days.max() < months[5], name
    assert charts["mrr"].download["month"].nunique() == 3
    assert f"Showing {start:%b %Y} to {end:%b %Y}" in " ".join(caption.value for caption in app.caption)


def test_the_cohort_toggle_switches_to_revenue_retention(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    app.radio[0].set_value("revenue_retention_rate").run()
    cohorts = by_name(app)["cohort_retention"].download.sort_values(["cohort_month", "months_since_start"])
    expected = default_company.query(
        "select revenue_retention_rate from marts.cohort_retention "
        f"where cohort_month >= '{cohorts['cohort_month'].min()}' order by cohort_month, months_since_start"
    )
    assert cohorts["revenue_retention_rate"].tolist() == pytest.approx(expected["revenue_retention_rate"].tolist())


def test_no_channels_chosen_says_there_is_no_data(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    app.multiselect[0].set_value([]).run()
    assert not app.exception and not app.error
    assert sum("No data in this range" in info.value for info in app.info) >= 3
    assert set(by_name(app)["channel_performance"].download["acquisition_channel"]) == {"all"}


def test_a_missing_warehouse_says_to_build(tmp_path: Path, run_app: Any) -> None:
    app = run_app(tmp_path / "none.duckdb")
    assert "make build" in app.error[0].value


def test_an_unreadable_warehouse_says_to_build(tmp_path: Path, run_app: Any) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 100)
    app = run_app(broken)
    assert "make build" in app.error[0].value


def test_the_ask_tab_answers_offline(default_company: Build, run_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(default_company.manifest))
    app = run_app(default_company.db)
    app.text_input[0].input("What's our churn rate?").run()
    assert not app.exception
    answer = " ".join(markdown.value for markdown in app.markdown)
    assert "churned_customers / previous month's active_customers" in answer
    app.text_input[0].input("Why do people love us?").run()
    assert "ANTHROPIC_API_KEY" in app.error[0].value
