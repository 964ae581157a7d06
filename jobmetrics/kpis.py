"""Read the KPIs from the marts and format their values (money, %, x, months) the one way every client shows them."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

import duckdb
from babel.numbers import format_currency, get_currency_symbol

from jobmetrics.warehouse import Queryable, Row, WarehouseUnavailable, fetch_dicts

OVERVIEW_SQL = """
with latest as (
    select * from marts.mrr_monthly order by month desc limit 1
),
blended as (
    select * from marts.channel_performance where acquisition_channel = 'all'
),
latest_month_one as (
    -- the newest cohort that has been measured one month after it started
    select cohort_month, logo_retention_rate
    from marts.cohort_retention
    where months_since_start = 1
    order by cohort_month desc
    limit 1
)
select
    latest.snapshot_date as as_of_date,
    latest.month,
    latest.is_complete_month,
    latest.mrr,
    latest.active_customers,
    latest.arpu,
    latest.customer_churn_rate,
    latest.net_mrr_retention,
    latest.reporting_currency,
    blended.ltv_to_cac,
    blended.conversion_rate,
    latest_month_one.cohort_month as month_one_cohort,
    latest_month_one.logo_retention_rate as month_one_logo_retention
from latest
cross join blended
left join latest_month_one on true
"""


# what every surface shows for a value that is undefined (no data, nothing spent, no previous month)
MISSING = "—"

# The currency money is shown in. A build has one reporting currency (mrr_monthly.reporting_currency, every tenant
# alike); each surface reads it from the warehouse it shows (`money_in`) before it formats a figure, so a company
# reporting in euros reads "€" on the dashboard, in the board pack, the digest, the alerts and ask alike.
_MONEY_CURRENCY: ContextVar[str] = ContextVar("money_currency", default="USD")


def read_reporting_currency(con: Queryable) -> str:
    """The warehouse's reporting currency (USD for a warehouse with no month yet)."""
    rows = fetch_dicts(con, "select max(reporting_currency) as currency from marts.mrr_monthly")
    return str(rows[0]["currency"] or "USD") if rows else "USD"


@contextmanager
def money_in(currency: str) -> Iterator[None]:
    """Format money in `currency` (an ISO code) inside the block."""
    token = _MONEY_CURRENCY.set(currency.upper())
    try:
        yield
    finally:
        _MONEY_CURRENCY.reset(token)


def show_money_in(currency: str) -> None:
    """Format money in `currency` from now on in this context (a dashboard run, which Streamlit gives a thread of
    its own)."""
    _MONEY_CURRENCY.set(currency.upper())


def money_currency() -> str:
    return _MONEY_CURRENCY.get()


def currency_symbol() -> str:
    """The symbol of the currency money is shown in ("$", "€", "¥"; the code where there is none)."""
    return str(get_currency_symbol(_MONEY_CURRENCY.get(), locale="en_US"))


def format_value(value: Any, unit: str) -> str:
    """A KPI value as people read it: rate as %, multiple as x, money in the reporting currency ("$67,112.80",
    "€1,250.00", "¥1,200": the currency's own decimals), months, points, a difference of two rates in percentage
    points (rate_points: 0.092 is "9.2 pts"), count, p-value; an undefined one (None, NaN) as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    number = float(value)
    if unit == "p_value" and number < 0.001:
        return "< 0.001"
    if unit == "money":
        return str(format_currency(number, _MONEY_CURRENCY.get(), locale="en_US"))
    formats = {
        "rate": f"{number:.1%}",
        "multiple": f"{number:.2f}x",
        "months": f"{number:.1f} mo",
        "points": f"{number:.1f}",
        "rate_points": f"{number * 100:.1f} pts",
        "count": f"{number:,.0f}",
        "number": f"{number:,.1f}",
        "p_value": f"{number:.3f}",
    }
    return formats.get(unit, f"{number:g}")


def p_words(p_value: float) -> str:
    """A p-value in a sentence: "p < 0.001", else "p = 0.012"."""
    shown = format_value(p_value, "p_value")
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def signed(change: Any, unit: str) -> str:
    """A change with its sign first ("-$0.27", "+1.2 pts"): a change of a rate in percentage points, never "-0.0"
    (a change that rounds to nothing has no sign)."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return MISSING
    number = float(change)
    size = f"{abs(number) * 100:.1f} pts" if unit == "rate" else format_value(abs(number), unit)
    if not any(digit in "123456789" for digit in size.split(" ")[0]):
        return size
    return ("-" if number < 0 else "+") + size


# KPIs measured elsewhere than kpi_monthly, in kpi_summary's columns: read beside it where the warehouse has them
# (the churn-risk KPI is built on DuckDB only).
OTHER_KPI_MARTS = ["churn_risk_kpi"]


def read_kpis(con: Queryable) -> list[Row]:
    """Each KPI with its thresholds and status: kpi_summary's (the latest complete month) and those of the other
    KPI marts the warehouse holds."""
    present = set()
    if isinstance(con, duckdb.DuckDBPyConnection):  # the other engines build none of them
        present = {
            row["table_name"]
            for row in fetch_dicts(con, "select table_name from duckdb_tables() where schema_name = 'marts'")
        }
    sources = ["marts.kpi_summary", *(f"marts.{mart}" for mart in OTHER_KPI_MARTS if mart in present)]
    union = " union all ".join(f"select * from {source}" for source in sources)
    return fetch_dicts(con, f"select * from ({union}) as kpis order by label")


def kpi_month(kpis: list[Row]) -> date | None:
    return next((k["month"] for k in kpis if k["month"]), None)


def kpi_lines(kpis: list[Row]) -> list[str]:
    """One aligned line per KPI: status, label, value, previous value and thresholds."""
    width = max((len(k["label"] or k["kpi"]) for k in kpis), default=0)
    lines = []
    for k in kpis:
        unit = k["unit"]
        beyond = "<" if k["direction"] == "higher_is_better" else ">"
        lines.append(
            f"  [{k['status']:<8}] {(k['label'] or k['kpi']):<{width}}  {format_value(k['value'], unit):>10}"
            f"  (prev {format_value(k['previous_value'], unit)};"
            f" warning {beyond} {format_value(k['warning'], unit)},"
            f" critical {beyond} {format_value(k['critical'], unit)})"
        )
    return lines


def read_overview(con: Queryable) -> Row:
    """The headline figures of the latest month as a dict keyed by column name."""
    rows = fetch_dicts(con, OVERVIEW_SQL)
    if not rows:
        raise WarehouseUnavailable("marts.mrr_monthly is empty; run `make build`.")
    return rows[0]


def overview_rows(figures: Row) -> list[tuple[str, str]]:
    """The headline figures as (label, formatted value): what `jobmetrics overview` prints and the board pack shows."""
    month = figures["month"].strftime("%b %Y") + ("" if figures["is_complete_month"] else ", to date")
    rows = [
        ("MRR", format_value(figures["mrr"], "money")),
        ("Active customers", format_value(figures["active_customers"], "count")),
        ("ARPU", format_value(figures["arpu"], "money")),
        (f"Customer churn ({month})", format_value(figures["customer_churn_rate"], "rate")),
        (f"Net MRR retention ({month})", format_value(figures["net_mrr_retention"], "rate")),
        ("Blended LTV:CAC", MISSING if figures["ltv_to_cac"] is None else f"{float(figures['ltv_to_cac']):.1f}x"),
        ("Free-to-paid conversion", format_value(figures["conversion_rate"], "rate")),
    ]
    cohort = figures["month_one_cohort"]
    cohort_label = f" ({cohort:%b %Y} cohort)" if cohort else ""
    rows.append((f"Month-1 logo retention{cohort_label}", format_value(figures["month_one_logo_retention"], "rate")))
    return rows


def format_overview(figures: Row) -> str:
    rows = overview_rows(figures)
    width = max(len(label) for label, _ in rows)
    lines = [f"JobMetrics KPI overview, as of {figures['as_of_date']:%Y-%m-%d}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def format_status(kpis: list[Row]) -> str:
    """The KPI status block `make build` prints under the overview."""
    month = kpi_month(kpis)
    title = f"KPI status ({month:%b %Y})" if month else "KPI status (no complete month yet)"
    return "\n".join([title, *kpi_lines(kpis)])
