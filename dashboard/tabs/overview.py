"""The Overview tab: the month's KPI cards with their status, MRR and its movements, the health check and the
month's anomalies."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from jobmetrics.kpis import OTHER_KPI_MARTS, format_value, money_currency, signed
from jobmetrics.views import figures
from jobmetrics.warehouse import WarehouseUnavailable
from page_kit import (
    Scope,
    chart,
    company_wide,
    filters,
    in_months,
    mart,
    records,
    rows_if_any,
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


def revenue_of(scope: Scope) -> pd.DataFrame:
    """MRR, net new MRR and active customers by month: mrr_monthly's, or, for some channels or segments, the
    sums of their customers' rows of fct_mrr (the same numbers mrr_monthly adds up for everyone)."""
    company = mart("mrr_monthly")
    if not scope.narrowed:
        return company[["month", "mrr", "net_new_mrr", "active_customers"]]
    rows = scope.of(mart("fct_mrr")).assign(paying=lambda frame: (frame["mrr"] > 0).astype(int))
    sums = rows.groupby("month")[["mrr", "previous_mrr", "paying"]].sum()
    sums = sums.reindex(pd.Index(company["month"], name="month"), fill_value=0).reset_index()
    return pd.DataFrame(
        {
            "month": sums["month"],
            "mrr": sums["mrr"],
            "net_new_mrr": sums["mrr"] - sums["previous_mrr"],
            "active_customers": sums["paying"].astype(int),
        }
    )


def billing(months: tuple[date, date]) -> None:
    """Finance's view of the invoices, for a company billed through Stripe (billing_monthly is empty otherwise)."""
    invoices = rows_if_any("billing_monthly", "month", months)
    if invoices is None:
        return
    st.subheader("Billing: invoices by month and currency (company-wide)")
    st.caption(
        "Finalized invoices by the month they were created: paid, still open (past due included) and "
        "uncollectible (failed payments) add up to invoiced; tax and discounts as charged. Amounts in the reporting "
        "currency at each invoice's day; the download also has each currency's own."
    )
    shown = invoices[
        ["month", "currency", "invoices", "invoiced", "paid", "open", "uncollectible", "tax", "discounts"]
    ].sort_values(["month", "currency"], ascending=[False, True])
    table(shown, "billing_monthly", everything=invoices)


def overview(months: tuple[date, date], scope: Scope) -> None:
    kpis = kpi_rows()
    month = kpis["month"].dropna().max()
    st.subheader(f"Key metrics, {month:%B %Y}" if pd.notna(month) else "Key metrics (no complete month yet)")
    revenue = revenue_of(scope)
    latest = revenue[revenue["month"] == month]
    if not latest.empty:
        headline = records(latest)[0]
        left, right = st.columns(2)
        chosen = " (channels and segments chosen)" if scope.narrowed else ""
        left.metric(f"MRR{chosen}", format_value(headline["mrr"], "money"), signed(headline["net_new_mrr"], "money"))
        right.metric(f"Active customers{chosen}", format_value(headline["active_customers"], "count"))
    company_wide("The KPIs below", scope)
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

    st.subheader("MRR")
    chart(in_months(revenue, "month", months)[["month", "mrr"]], "mrr", figures.mrr_trend)
    st.subheader("MRR movements (contraction and churn below zero)")
    company_wide("MRR movements", scope)
    monthly = mart("mrr_monthly")
    chart(figures.mrr_bridge(in_months(monthly, "month", months)), "mrr_movements", figures.mrr_movements)
    st.caption(
        f"Money is in {money_currency()}. A customer billed in another currency is converted at each month-end's rate; "
        "what a change of rate alone did is the exchange-rates bar, never a customer's movement."
    )
    billing(months)

    st.subheader("Health check")
    company_wide("The health check and the anomalies", scope)
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


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    overview(chosen.months, chosen.scope)
