"""The Cohorts tab: the retention heatmap, logo or revenue, by cohort month."""

from __future__ import annotations

from datetime import date

import streamlit as st

from jobmetrics.views import figures
from page_kit import (
    Scope,
    chart,
    company_wide,
    filters,
    in_months,
    mart,
)


def cohorts(months: tuple[date, date], scope: Scope) -> None:
    measure = st.radio(
        "Retention",
        ["logo_retention_rate", "revenue_retention_rate"],
        horizontal=True,
        format_func=lambda name: "Logo" if name.startswith("logo") else "Revenue",
    )
    columns = ["cohort_month", "months_since_start", "cohort_customers", measure]
    cohort_table = in_months(mart("cohort_retention"), "cohort_month", months)[columns]
    st.caption(
        "Each cell: the percentage of the cohort's customers (logo) or of its starting MRR (revenue) still paying, "
        "by months since the cohort's first month."
    )
    company_wide("Cohort retention", scope)
    chart(cohort_table, "cohort_retention", lambda frame: figures.cohort_heatmap(frame, measure))


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    cohorts(chosen.months, chosen.scope)
