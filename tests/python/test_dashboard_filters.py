"""The sidebar's filters: every figure of every page follows the months, channels and segments chosen, and a
figure they cannot narrow says it is the whole company's (Streamlit's AppTest runs the real app script)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from builds import Build
from helpers import TAB_IDS, by_name, every_tab_by_name, funnel_totals, open_tab

from jobmetrics.kpis import format_value, signed
from jobmetrics.views import display, figures

pytestmark = pytest.mark.build


def test_channel_and_segment_filters_narrow_every_chart(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    paid = default_company.query("select acquisition_channel from marts.channel_performance where spend_usd > 0")
    channel = sorted(set(paid["acquisition_channel"]) - {"all"})[0]
    segment = sorted(set(default_company.query("select segment from marts.dim_users")["segment"]))[-1]
    app.multiselect(key="channels").set_value([channel])
    app.multiselect(key="segments").set_value([segment]).run()
    assert not app.exception
    charts = by_name(open_tab(app, "Funnel")) | by_name(open_tab(app, "Channels and segments"))
    expected = funnel_totals(default_company, f"acquisition_channel = '{channel}' and segment = '{segment}'")
    assert charts["conversion_funnel"].download["users"].tolist() == expected["users"].tolist()
    assert set(charts["conversion_funnel_by_acquisition_channel"].download["acquisition_channel"]) == {channel}
    assert set(charts["conversion_funnel_by_segment"].download["segment"]) == {segment}
    assert set(charts["channel_performance"].download["acquisition_channel"]) == {channel, "all"}
    assert set(charts["channel_monthly"].download["acquisition_channel"]) == {channel}
    shown_names = f"channels: {display.words(channel)}; segments: {display.words(segment)}"
    assert shown_names in " ".join(caption.value for caption in app.caption)


def test_the_month_range_applies_to_every_time_series(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    months = sorted(default_company.query("select month from marts.mrr_monthly")["month"].dt.date)
    start, end = months[2], months[4]
    app.select_slider[0].set_value((start, end)).run()
    assert not app.exception
    charts = every_tab_by_name(app)
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
    captions = " ".join(caption.value for caption in app.caption)
    assert f"Showing {start:%b %Y} to {end:%b %Y}" in captions
    built = datetime.fromtimestamp(default_company.db.stat().st_mtime)
    assert f"Data as of 31 Dec 2025, built at {built:%-d %b %Y %H:%M}." in captions


def test_the_cohort_toggle_switches_to_revenue_retention(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db, tab="cohorts")
    app.radio[0].set_value("revenue_retention_rate").run()
    cohorts = by_name(app)["cohort_retention"].download.sort_values(["cohort_month", "months_since_start"])
    expected = default_company.query(
        "select revenue_retention_rate from marts.cohort_retention "
        f"where cohort_month >= '{cohorts['cohort_month'].min()}' order by cohort_month, months_since_start"
    )
    assert cohorts["revenue_retention_rate"].tolist() == pytest.approx(expected["revenue_retention_rate"].tolist())
    heatmap = json.loads(by_name(app)["cohort_retention"].element.proto.spec)
    # every cell's percentage written in it and no colour bar beside it: twelve columns fit a phone
    assert heatmap["data"][0]["texttemplate"] == "%{text}" and heatmap["layout"]["coloraxis"]["showscale"] is False
    written = [cell for row in heatmap["data"][0]["text"] for cell in row if cell]
    assert written[0] == "100" and set(written) <= {str(n) for n in range(1000)}  # whole percentages
    first = cohorts[cohorts["months_since_start"] == 0]["revenue_retention_rate"]
    assert (first == 1).all() and heatmap["layout"]["coloraxis"]["cmax"] >= 1


def test_no_channels_chosen_says_there_is_no_data(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    app.multiselect(key="channels").set_value([]).run()
    infos = []
    for label in TAB_IDS:
        assert not open_tab(app, label).error, label
        infos += [info.value for info in app.info]
    assert sum("No data in this range" in info for info in infos) >= 3
    channels = by_name(open_tab(app, "Channels and segments"))["channel_performance"]
    assert set(channels.download["acquisition_channel"]) == {"all"}


def test_the_overview_filtered_to_a_channel_shows_that_channels_mrr(default_company: Build, run_app: Any) -> None:
    """?channels=paid_search: the MRR card and chart are paid search's customers' (sums of fct_mrr), and the figures
    the filter does not apply to say they are the whole company's."""
    app = run_app(default_company.db, tab="overview", channels="paid_search")
    expected = default_company.query(
        "select month, sum(mrr) as mrr, sum(mrr) - sum(previous_mrr) as net_new, "
        "count(*) filter (where mrr > 0) as paying from marts.fct_mrr where acquisition_channel = 'paid_search' "
        "group by month order by month"
    )
    latest = expected[
        expected["month"] == default_company.query("select max(month) as month from marts.kpi_summary")["month"].iloc[0]
    ].iloc[0]
    cards = {metric.label: metric for metric in app.metric}
    mrr = cards["MRR (channels and segments chosen)"]
    assert mrr.value == format_value(latest["mrr"], "money") and mrr.proto.delta == signed(latest["net_new"], "money")
    assert cards["Active customers (channels and segments chosen)"].value == format_value(latest["paying"], "count")
    company = default_company.query("select mrr from marts.mrr_monthly order by month desc limit 1")["mrr"].iloc[0]
    assert latest["mrr"] < company  # not the company's $67,112.80
    drawn = by_name(app)["mrr"].download
    shown = expected[pd.to_datetime(expected["month"]).isin(pd.to_datetime(drawn["month"]))]
    assert drawn["mrr"].tolist() == pytest.approx(shown["mrr"].tolist(), abs=0.005)
    notes = [caption.value for caption in app.caption if "the whole company" in caption.value]
    assert len(notes) == 3, notes  # the KPI cards, the movements, the health check
    unfiltered = run_app(default_company.db, tab="overview")
    assert "MRR" in {metric.label for metric in unfiltered.metric}
    assert not [caption.value for caption in unfiltered.caption if "the whole company" in caption.value]


@pytest.mark.parametrize(
    ("tab", "query", "note"),
    [
        ("funnel", {"channels": "referral"}, "Conversion by signup month: the whole company"),
        ("cohorts", {"channels": "referral"}, "Cohort retention: the whole company"),
        ("product", {"segments": "career_changer"}, "Product usage: the whole company"),
        ("churn", {"channels": "referral"}, "Survival by overall: the whole company"),
        ("channels", {"segments": "career_changer"}, "Channel economics count every segment"),
    ],
)
def test_every_figure_a_filter_does_not_narrow_says_so(
    default_company: Build, run_app: Any, tab: str, query: dict[str, str], note: str
) -> None:
    app = run_app(default_company.db, tab=tab, **query)
    assert any(note in caption.value for caption in app.caption), [caption.value for caption in app.caption]
    unfiltered = run_app(default_company.db, tab=tab)
    assert not any(
        "the whole company" in caption.value or "count every" in caption.value for caption in unfiltered.caption
    )


def test_the_filters_narrow_the_funnel_and_the_segments_table(default_company: Build, run_app: Any) -> None:
    funnel = run_app(default_company.db, tab="funnel", channels="referral")
    steps = by_name(funnel)["conversion_funnel"].download
    signups = default_company.query(
        "select sum(users) as users from marts.conversion_funnel where acquisition_channel = 'referral' "
        "and step = 'signed_up'"
    )["users"].iloc[0]
    assert steps.loc[steps["step"] == "signed_up", "users"].iloc[0] == signups
    assert figures.FUNNEL_NOTE in [caption.value for caption in funnel.caption]
    channels = run_app(default_company.db, tab="channels", segments="career_changer")
    assert by_name(channels)["segment_performance"].download["segment"].tolist() == ["career_changer", "all"]
