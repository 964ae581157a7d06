"""JobMetrics dashboard: the marts as pages for people who do not write SQL. Pages only: every number is
read from a mart through the jobmetrics package and formatted the way the KPI overview formats it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from jobmetrics import marts, paths
from jobmetrics.kpis import format_value
from jobmetrics.warehouse import WarehouseUnavailable

STATUS_COLOURS = {"ok": "green", "warning": "orange", "critical": "red", "no_data": "gray"}
MOVEMENTS = ["new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"]


@st.cache_data(show_spinner=False)
def load(table: str, version: float) -> pd.DataFrame:
    """A mart, cached until a new build is published (`version` is the file's modification time)."""
    del version  # part of the cache key only
    return marts.read(paths.warehouse_path(), table)


def mart(table: str) -> pd.DataFrame:
    return load(table, marts.version(paths.warehouse_path()))


def download(frame: pd.DataFrame, name: str) -> None:
    """A "Download CSV" of exactly the rows and columns shown."""
    st.download_button("Download CSV", frame.to_csv(index=False), f"{name}.csv", "text/csv", key=f"download_{name}")


def shown(frame: pd.DataFrame, name: str) -> bool:
    """Say so when the filters leave nothing; otherwise offer the data for download."""
    if frame.empty:
        st.info("No data in this range (or for the channels and segments chosen).")
        return False
    download(frame, name)
    return True


def chart(frame: pd.DataFrame, name: str, figure: Callable[[pd.DataFrame], go.Figure]) -> None:
    """A Plotly chart drawn from `frame` alone, with a "Download CSV" of that same frame."""
    if shown(frame, name):
        st.plotly_chart(figure(frame))


def table(frame: pd.DataFrame, name: str) -> None:
    """A table, with a "Download CSV" of exactly the rows and columns shown."""
    if shown(frame, name):
        st.dataframe(frame, hide_index=True)


def in_months(frame: pd.DataFrame, column: str, months: tuple[date, date]) -> pd.DataFrame:
    day = pd.to_datetime(frame[column]).dt.date
    return frame[(day >= months[0]) & (day <= months[1])]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: what a mart's row holds is known by its contract, not by pandas' types."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def signed(change: float, unit: str) -> str:
    """A change with its sign first ("-$0.27", not "$-0.27"), which is how st.metric reads direction."""
    return ("-" if change < 0 else "+") + format_value(abs(change), unit)


def overview(months: tuple[date, date]) -> None:
    kpis = mart("kpi_summary")
    month = kpis["month"].dropna().max()
    st.subheader(f"Key metrics, {month:%B %Y}" if pd.notna(month) else "Key metrics (no complete month yet)")
    revenue = mart("mrr_monthly")
    latest = revenue[revenue["month"] == month]
    if not latest.empty:
        headline = records(latest)[0]
        left, right = st.columns(2)
        left.metric("MRR", format_value(headline["mrr"], "usd"), signed(headline["net_new_mrr"], "usd"))
        right.metric("Active customers", format_value(headline["active_customers"], "count"))
    columns = st.columns(4)
    for index, row in enumerate(records(kpis.sort_values("label"))):
        change = None if pd.isna(row["change"]) else signed(row["change"], row["unit"])
        with columns[index % 4]:
            st.metric(
                row["label"],
                format_value(None if pd.isna(row["value"]) else row["value"], row["unit"]),
                change,
                delta_color="normal" if row["direction"] == "higher_is_better" else "inverse",
            )
            st.markdown(f":{STATUS_COLOURS[row['status']]}[{row['status'].replace('_', ' ')}]")

    monthly = in_months(mart("mrr_monthly"), "month", months)
    st.subheader("MRR")
    chart(
        monthly[["month", "mrr"]],
        "mrr",
        lambda frame: px.line(frame, x="month", y="mrr", markers=True, labels={"mrr": "MRR ($)"}),
    )
    bridge = monthly.melt(id_vars="month", value_vars=MOVEMENTS, var_name="movement", value_name="usd")
    bridge.loc[bridge["movement"].isin(["contraction_mrr", "churned_mrr"]), "usd"] *= -1
    st.subheader("MRR movements (contraction and churn below zero)")
    chart(bridge, "mrr_movements", lambda frame: px.bar(frame, x="month", y="usd", color="movement"))

    st.subheader("Health check")
    statuses = kpis[["label", "status", "value", "warning", "critical", "benchmark_note"]].copy()
    for column in ["value", "warning", "critical"]:
        statuses[column] = [format_value(v, u) for v, u in zip(kpis[column], kpis["unit"], strict=True)]
    table(statuses, "kpi_statuses")
    anomalies = mart("metric_anomalies").sort_values(["is_bad", "date_day"], ascending=[False, False])
    recent = anomalies[pd.to_datetime(anomalies["date_day"]).dt.date >= months[1].replace(day=1)]
    st.caption("Anomalies in the last month of the range, harmful first")
    table(recent[["date_day", "metric", "direction", "severity", "is_bad", "value", "expected"]], "metric_anomalies")


def grouped_bars(by: str) -> Callable[[pd.DataFrame], go.Figure]:
    return lambda frame: px.bar(frame, x="step", y="users", color=by, barmode="group")


def funnel(channels: list[str], segments: list[str], months: tuple[date, date]) -> None:
    steps = mart("conversion_funnel")
    steps = steps[steps["acquisition_channel"].isin(channels) & steps["segment"].isin(segments)]
    st.subheader("Free-to-paid funnel (each step as a share of the one before and of signups)")
    chart(
        steps.groupby(["step_order", "step"], as_index=False).agg(users=("users", "sum"))[["step", "users"]],
        "conversion_funnel",
        lambda frame: px.funnel(frame, x="users", y="step").update_traces(
            texttemplate="%{value:,}<br>%{percentPrevious:.0%} of previous, %{percentInitial:.0%} of signups"
        ),
    )
    left, right = st.columns(2)
    for column, by in ((left, "segment"), (right, "acquisition_channel")):
        with column:
            chart(
                steps.groupby([by, "step_order", "step"], as_index=False).agg(users=("users", "sum"))[
                    [by, "step", "users"]
                ],
                f"conversion_funnel_by_{by}",
                grouped_bars(by),
            )
    by_month = in_months(mart("conversion_by_signup_month"), "signup_month", months)
    st.subheader("Conversion by signup month (7, 30 and 90 days; open 90-day windows are marked)")
    rates = by_month.melt(
        id_vars=["signup_month", "has_full_90_day_window"],
        value_vars=["conversion_rate_7d", "conversion_rate_30d", "conversion_rate_90d"],
        var_name="window",
        value_name="rate",
    )
    chart(
        rates,
        "conversion_by_signup_month",
        lambda frame: px.line(frame, x="signup_month", y="rate", color="window", symbol="has_full_90_day_window"),
    )


def cohorts(months: tuple[date, date]) -> None:
    measure = st.radio(
        "Retention",
        ["logo_retention_rate", "revenue_retention_rate"],
        horizontal=True,
        format_func=lambda name: "Logo" if name.startswith("logo") else "Revenue",
    )
    columns = ["cohort_month", "months_since_start", "cohort_customers", measure]
    cohort_table = in_months(mart("cohort_retention"), "cohort_month", months)[columns]

    def heatmap(frame: pd.DataFrame) -> go.Figure:
        grid = frame.pivot(index="cohort_month", columns="months_since_start", values=measure)
        sizes = frame.groupby("cohort_month")["cohort_customers"].first()
        grid.index = [f"{month:%b %Y} ({sizes[month]:,})" for month in grid.index]
        return px.imshow(
            grid,
            text_auto=".0%",
            aspect="auto",
            color_continuous_scale="Blues",
            labels={"x": "months since start", "y": "cohort (customers)"},
        )

    chart(cohort_table, "cohort_retention", heatmap)


def channels_and_segments(channels: list[str], months: tuple[date, date]) -> None:
    performance = mart("channel_performance")
    performance = performance[performance["acquisition_channel"].isin([*channels, "all"])]
    columns = ["acquisition_channel", "is_paid", "spend_usd", "new_customers", "cac", "ltv", "ltv_to_cac"]
    st.subheader("Channels over the whole period (paid channels first)")
    table(
        performance.sort_values(["is_paid", "acquisition_channel"], ascending=[False, True])[
            [*columns, "cac_payback_months"]
        ],
        "channel_performance",
    )
    monthly = in_months(mart("channel_monthly"), "month", months)
    st.subheader("Monthly CAC per channel")
    chart(
        monthly[monthly["acquisition_channel"].isin(channels)][["month", "acquisition_channel", "cac"]],
        "channel_monthly",
        lambda frame: px.line(frame, x="month", y="cac", color="acquisition_channel", markers=True),
    )
    st.subheader("Segments")
    table(
        mart("segment_performance")[
            ["segment", "conversion_rate", "conversion_lift_vs_all", "customer_churn_rate", "current_arpu"]
        ],
        "segment_performance",
    )


def product(months: tuple[date, date]) -> None:
    st.subheader("Scans per day")
    chart(
        in_months(mart("scans_daily"), "date_day", months)[["date_day", "scans"]],
        "scans_daily",
        lambda frame: px.line(frame, x="date_day", y="scans"),
    )
    engagement = in_months(mart("engagement_daily"), "date_day", months)
    st.subheader("Active users")
    chart(
        engagement[["date_day", "dau", "wau", "mau"]],
        "active_users",
        lambda frame: px.line(frame, x="date_day", y=["dau", "wau", "mau"]),
    )
    st.subheader("Stickiness (DAU / MAU)")
    chart(
        engagement[["date_day", "stickiness"]], "stickiness", lambda frame: px.line(frame, x="date_day", y="stickiness")
    )
    iterations = mart("match_rate_by_iteration")
    st.subheader("Match rate by iteration on a job")
    if not iterations.empty:
        first = iterations.iloc[0]
        left, right = st.columns(2)
        left.metric("Average lift per job", f"{first['avg_lift']:.1f} points")
        right.metric(
            "Jobs reaching the target match rate", format_value(first["share_of_jobs_reaching_target"], "rate")
        )
    chart(
        iterations[["iteration", "scans", "avg_match_rate"]],
        "match_rate_by_iteration",
        lambda frame: px.bar(frame, x="iteration", y="avg_match_rate", hover_data=["scans"]),
    )


def ask() -> None:
    from jobmetrics.ask import engine  # the same engine as ai_ask.py

    question = st.text_input("Ask a question about the business", placeholder="What's driving our churn?")
    if question:
        try:
            answer = engine.answer(engine.Request(db=paths.warehouse_path(), question=question))
        except engine.AskFailed as error:
            message = str(error)
            st.error(message[:1].upper() + message[1:])
            return
        st.markdown(answer.text)
        for query in answer.queries:
            st.code(query.sql, language="sql")


def render(title: str, page: Callable[[], None]) -> None:
    """One tab; its server time is kept in the session for `make benchmark`."""
    started = time.perf_counter()
    try:
        page()
    except WarehouseUnavailable as error:
        st.error(f"The warehouse cannot be read: {error}")
    st.session_state.setdefault("render_seconds", {})[title] = time.perf_counter() - started


def main() -> None:
    st.set_page_config(page_title="JobMetrics", layout="wide")
    st.title("JobMetrics")
    try:
        monthly = mart("mrr_monthly")
        # the filters' choices come from the small per-channel and per-segment marts, not the user table
        channel_names = sorted(set(mart("channel_performance")["acquisition_channel"]) - {"all"})
        segment_names = sorted(set(mart("segment_performance")["segment"]) - {"all"})
    except WarehouseUnavailable as error:
        st.error(f"The warehouse cannot be read: {error} Run `make build`, then reload this page.")
        return
    all_months = sorted(pd.to_datetime(monthly["month"]).dt.date)
    if not all_months:
        st.info("The warehouse has no months of data yet; add raw data and run `make build`.")
        return
    with st.sidebar:
        months = st.select_slider(
            "Months",
            options=all_months,
            value=(all_months[max(len(all_months) - 12, 0)], all_months[-1]),
            format_func=lambda month: f"{month:%b %Y}",
        )
        channels = st.multiselect("Channels", channel_names, default=channel_names)
        segments = st.multiselect("Segments", segment_names, default=segment_names)
    st.caption(
        f"Showing {months[0]:%b %Y} to {months[1]:%b %Y}; channels: {', '.join(channels) or 'none'}; "
        f"segments: {', '.join(segments) or 'none'}."
    )
    pages: dict[str, Callable[[], None]] = {
        "Overview": lambda: overview(months),
        "Funnel": lambda: funnel(channels, segments, months),
        "Cohorts": lambda: cohorts(months),
        "Channels and segments": lambda: channels_and_segments(channels, months),
        "Product": lambda: product(months),
        "Ask": ask,
    }
    for tab, (title, page) in zip(st.tabs(list(pages)), pages.items(), strict=True):
        with tab:
            render(title, page)


main()
