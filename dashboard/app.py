"""JobMetrics dashboard: the marts as pages for people who do not write SQL. Pages only: every number is
read from a mart through the jobmetrics package and formatted the way the KPI overview formats it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
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
    """Say so when a filter leaves nothing; otherwise offer the data for download."""
    if frame.empty:
        st.info("No data in this range.")
        return False
    download(frame, name)
    return True


def in_months(frame: pd.DataFrame, column: str, months: tuple[date, date]) -> pd.DataFrame:
    day = pd.to_datetime(frame[column]).dt.date
    return frame[(day >= months[0]) & (day <= months[1])]


def signed(change: float, unit: str) -> str:
    """A change with its sign first ("-$0.27", not "$-0.27"), which is how st.metric reads direction."""
    return ("-" if change < 0 else "+") + format_value(abs(change), unit)


def overview(months: tuple[date, date]) -> None:
    kpis = mart("kpi_summary")
    month = kpis["month"].dropna().max()
    st.subheader(f"Key metrics, {month:%B %Y}" if pd.notna(month) else "Key metrics (no complete month yet)")
    columns = st.columns(4)
    for index, row in enumerate(kpis.sort_values("label").itertuples()):
        change = None if pd.isna(row.change) else signed(row.change, row.unit)
        with columns[index % 4]:
            st.metric(
                row.label,
                format_value(None if pd.isna(row.value) else row.value, row.unit),
                change,
                delta_color="normal" if row.direction == "higher_is_better" else "inverse",
            )
            st.markdown(f":{STATUS_COLOURS[row.status]}[{row.status.replace('_', ' ')}]")

    monthly = in_months(mart("mrr_monthly"), "month", months)
    st.subheader("MRR")
    if shown(monthly[["month", "mrr", "active_customers", "arpu"]], "mrr_monthly"):
        st.plotly_chart(px.line(monthly, x="month", y="mrr", markers=True, labels={"mrr": "MRR ($)"}))
        bridge = monthly.melt(id_vars="month", value_vars=MOVEMENTS, var_name="movement", value_name="usd")
        bridge.loc[bridge["movement"].isin(["contraction_mrr", "churned_mrr"]), "usd"] *= -1
        st.plotly_chart(px.bar(bridge, x="month", y="usd", color="movement", title="MRR movements"))

    st.subheader("Health check")
    statuses = kpis[["label", "status", "value", "warning", "critical", "benchmark_note"]].copy()
    for column in ["value", "warning", "critical"]:
        statuses[column] = [format_value(v, u) for v, u in zip(kpis[column], kpis["unit"], strict=True)]
    st.dataframe(statuses, hide_index=True)
    download(statuses, "kpi_statuses")
    anomalies = mart("metric_anomalies").sort_values(["is_bad", "date_day"], ascending=[False, False])
    recent = anomalies[pd.to_datetime(anomalies["date_day"]).dt.date >= months[1].replace(day=1)]
    st.caption("Anomalies this month, harmful first")
    if shown(recent, "metric_anomalies"):
        st.dataframe(
            recent[["date_day", "metric", "direction", "severity", "is_bad", "value", "expected"]], hide_index=True
        )


def funnel(channels: list[str], segments: list[str], months: tuple[date, date]) -> None:
    steps = mart("conversion_funnel")
    steps = steps[steps["acquisition_channel"].isin(channels) & steps["segment"].isin(segments)]
    totals = steps.groupby(["step_order", "step"], as_index=False)["users"].sum()
    st.subheader("Free-to-paid funnel")
    if shown(totals, "conversion_funnel"):
        st.plotly_chart(px.funnel(totals, x="users", y="step"))
    left, right = st.columns(2)
    for column, by in ((left, "segment"), (right, "acquisition_channel")):
        with column:
            split = steps.groupby([by, "step_order", "step"], as_index=False)["users"].sum()
            if shown(split, f"conversion_funnel_by_{by}"):
                st.plotly_chart(px.bar(split, x="step", y="users", color=by, barmode="group"))
    by_month = in_months(mart("conversion_by_signup_month"), "signup_month", months)
    st.subheader("Conversion by signup month (7, 30 and 90 days; open 90-day windows are marked)")
    if shown(by_month, "conversion_by_signup_month"):
        rates = by_month.melt(
            id_vars=["signup_month", "has_full_90_day_window"],
            value_vars=["conversion_rate_7d", "conversion_rate_30d", "conversion_rate_90d"],
            var_name="window",
            value_name="rate",
        )
        st.plotly_chart(px.line(rates, x="signup_month", y="rate", color="window", symbol="has_full_90_day_window"))


def cohorts(months: tuple[date, date]) -> None:
    table = in_months(mart("cohort_retention"), "cohort_month", months)
    measure = st.radio(
        "Retention",
        ["logo_retention_rate", "revenue_retention_rate"],
        horizontal=True,
        format_func=lambda name: "Logo" if name.startswith("logo") else "Revenue",
    )
    if shown(table, "cohort_retention"):
        grid = table.pivot(index="cohort_month", columns="months_since_start", values=measure)
        sizes = table[table["months_since_start"] == 0].set_index("cohort_month")["cohort_customers"]
        grid.index = [f"{month:%b %Y} ({sizes.get(month, 0):,})" for month in grid.index]
        st.plotly_chart(
            px.imshow(
                grid,
                text_auto=".0%",
                aspect="auto",
                color_continuous_scale="Blues",
                labels={"x": "months since start", "y": "cohort (customers)"},
            )
        )


def channels_and_segments(channels: list[str], months: tuple[date, date]) -> None:
    performance = mart("channel_performance")
    performance = performance[performance["acquisition_channel"].isin([*channels, "all"])]
    st.subheader("Channels over the whole period")
    if shown(performance, "channel_performance"):
        st.dataframe(
            performance[
                [
                    "acquisition_channel",
                    "is_paid",
                    "spend_usd",
                    "new_customers",
                    "cac",
                    "ltv",
                    "ltv_to_cac",
                    "cac_payback_months",
                ]
            ],
            hide_index=True,
        )
    monthly = in_months(mart("channel_monthly"), "month", months)
    monthly = monthly[monthly["acquisition_channel"].isin(channels)]
    st.subheader("Monthly CAC per channel")
    if shown(monthly, "channel_monthly"):
        st.plotly_chart(px.line(monthly, x="month", y="cac", color="acquisition_channel", markers=True))
    segments = mart("segment_performance")
    st.subheader("Segments")
    if shown(segments, "segment_performance"):
        st.dataframe(
            segments[["segment", "conversion_rate", "conversion_lift_vs_all", "customer_churn_rate", "current_arpu"]],
            hide_index=True,
        )


def product(months: tuple[date, date]) -> None:
    daily = in_months(mart("scans_daily"), "date_day", months)
    st.subheader("Scans per day")
    if shown(daily, "scans_daily"):
        st.plotly_chart(px.line(daily, x="date_day", y="scans"))
    engagement = in_months(mart("engagement_daily"), "date_day", months)
    st.subheader("Active users and stickiness")
    if shown(engagement, "engagement_daily"):
        st.plotly_chart(px.line(engagement, x="date_day", y=["dau", "wau", "mau"]))
        st.plotly_chart(px.line(engagement, x="date_day", y="stickiness"))
    iterations = mart("match_rate_by_iteration")
    st.subheader("Match rate by iteration on a job")
    if shown(iterations, "match_rate_by_iteration"):
        first = iterations.iloc[0]
        left, right = st.columns(2)
        left.metric("Average lift per job", f"{first['avg_lift']:.1f} points")
        right.metric(
            "Jobs reaching the target match rate", format_value(first["share_of_jobs_reaching_target"], "rate")
        )
        st.plotly_chart(px.bar(iterations, x="iteration", y="avg_match_rate", hover_data=["scans"]))


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
    with st.sidebar:
        months = st.select_slider(
            "Months",
            options=all_months,
            value=(all_months[max(len(all_months) - 12, 0)], all_months[-1]),
            format_func=str,
        )
        channels = st.multiselect("Channels", channel_names, default=channel_names)
        segments = st.multiselect("Segments", segment_names, default=segment_names)
    st.caption(f"Showing {months[0]:%b %Y} to {months[1]:%b %Y}; {len(channels)} channels, {len(segments)} segments.")
    tabs = st.tabs(["Overview", "Funnel", "Cohorts", "Channels and segments", "Product", "Ask"])
    with tabs[0]:
        overview(months)
    with tabs[1]:
        funnel(channels, segments, months)
    with tabs[2]:
        cohorts(months)
    with tabs[3]:
        channels_and_segments(channels, months)
    with tabs[4]:
        product(months)
    with tabs[5]:
        ask()


main()
