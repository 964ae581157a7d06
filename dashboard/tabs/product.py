"""The Product tab: scans, DAU/WAU/MAU and stickiness, and match rates by iteration."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from jobmetrics.kpis import format_value
from jobmetrics.views import figures
from page_kit import (
    Scope,
    chart,
    company_wide,
    filters,
    in_months,
    mart,
    records,
)


def product(months: tuple[date, date], scope: Scope) -> None:
    company_wide("Product usage", scope)
    st.subheader("Scans per day")
    chart(
        in_months(mart("scans_daily"), "date_day", months)[["date_day", "scans"]],
        "scans_daily",
        lambda frame: px.line(frame, x="date_day", y="scans"),
    )
    everything = mart("engagement_daily")
    engagement = in_months(everything, "date_day", months)
    full = figures.first_full_month(everything["date_day"])
    engagement = engagement[pd.to_datetime(engagement["date_day"]) >= full]
    st.subheader("Active users")
    st.caption(
        f"From {full:%-d %b %Y}, the first day with 30 days of data behind it: before it, monthly active users and "
        "stickiness would count part of a month."
    )
    chart(engagement[["date_day", "dau", "wau", "mau"]], "active_users", figures.active_users)
    st.subheader("Stickiness (DAU / MAU)")
    chart(engagement[["date_day", "stickiness"]], "stickiness", figures.stickiness)
    iterations = mart("match_rate_by_iteration")
    st.subheader("Match rate by iteration on a job")
    if not iterations.empty:
        first = records(iterations)[0]
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


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    product(chosen.months, chosen.scope)
