"""The Overview tab: the month's KPI cards with their status, MRR and its movements, the health check and the
month's anomalies."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from jobmetrics.kpis import OTHER_KPI_MARTS, format_value, signed
from jobmetrics.views import figures
from jobmetrics.warehouse import WarehouseUnavailable
from page_kit import (
    chart,
    in_months,
    mart,
    records,
    table,
)

STATUS_COLOURS = {"ok": "green", "warning": "orange", "critical": "red", "no_data": "gray"}
STATUS_ORDER = {"critical": 0, "warning": 1, "no_data": 2, "ok": 3}


def kpi_rows() -> pd.DataFrame:
    """kpi_summary's KPIs and those of the other KPI marts this warehouse holds (the overview reads the same)."""
    frames = [mart("kpi_summary")]
    for other in OTHER_KPI_MARTS:
        try:
            frames.append(mart(other))
        except WarehouseUnavailable:  # built by an engine or a version without it
            continue
    return pd.concat(frames, ignore_index=True)


def overview(months: tuple[date, date]) -> None:
    kpis = kpi_rows()
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
                format_value(row["value"], row["unit"]),
                change,
                delta_color="normal" if row["direction"] == "higher_is_better" else "inverse",
            )
            st.markdown(f":{STATUS_COLOURS[row['status']]}[{row['status'].replace('_', ' ')}]")

    monthly = in_months(mart("mrr_monthly"), "month", months)
    st.subheader("MRR")
    chart(monthly[["month", "mrr"]], "mrr", figures.mrr_trend)
    st.subheader("MRR movements (contraction and churn below zero)")
    chart(figures.mrr_bridge(monthly), "mrr_movements", figures.mrr_movements)

    st.subheader("Health check")
    # what needs attention first: critical, warning, no data, then ok; each group by name
    attention = kpis.assign(rank=kpis["status"].map(STATUS_ORDER)).sort_values(["rank", "label"])
    statuses = attention[["label", "status", "value", "warning", "critical", "benchmark_note"]].copy()
    for column in ["value", "warning", "critical"]:
        statuses[column] = [format_value(v, u) for v, u in zip(attention[column], attention["unit"], strict=True)]
    table(statuses, "kpi_statuses", all_rows=True)
    anomalies = mart("metric_anomalies").sort_values(["is_bad", "date_day"], ascending=[False, False])
    recent = anomalies[pd.to_datetime(anomalies["date_day"]).dt.date >= months[1].replace(day=1)]
    st.caption("Anomalies in the last month of the range, harmful first")
    table(
        recent[["date_day", "metric", "direction", "severity", "is_bad", "value", "expected"]],
        "metric_anomalies",
        units={"value": "number", "expected": "number"},
    )
