"""Print a short KPI overview read from the warehouse marts (what `make build` shows at the end)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
from alerts import kpi_lines
from warehouse import DEFAULT_DB, WarehouseUnavailable, connect_read_only, fetch_dicts

EXIT_NO_WAREHOUSE = 3

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
    blended.ltv_to_cac,
    blended.conversion_rate,
    latest_month_one.cohort_month as month_one_cohort,
    latest_month_one.logo_retention_rate as month_one_logo_retention
from latest
cross join blended
left join latest_month_one on true
"""


def read_overview(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The overview figures as a dict keyed by column name."""
    rows = fetch_dicts(con, OVERVIEW_SQL)
    if not rows:
        raise WarehouseUnavailable("marts.mrr_monthly is empty; run `make build`.")
    return rows[0]


def percent(value: object) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def money(value: object) -> str:
    return "n/a" if value is None else f"${float(value):,.2f}"


def format_overview(figures: dict[str, object]) -> str:
    month = figures["month"].strftime("%b %Y") + ("" if figures["is_complete_month"] else ", to date")
    ratio = figures["ltv_to_cac"]
    rows = [
        ("MRR", money(figures["mrr"])),
        ("Active customers", f"{figures['active_customers']:,}"),
        ("ARPU", money(figures["arpu"])),
        (f"Customer churn ({month})", percent(figures["customer_churn_rate"])),
        (f"Net MRR retention ({month})", percent(figures["net_mrr_retention"])),
        ("Blended LTV:CAC", "n/a" if ratio is None else f"{float(ratio):.1f}x"),
        ("Free-to-paid conversion", percent(figures["conversion_rate"])),
    ]
    cohort = figures["month_one_cohort"]
    cohort_label = f" ({cohort:%b %Y} cohort)" if cohort else ""
    rows.append((f"Month-1 logo retention{cohort_label}", percent(figures["month_one_logo_retention"])))
    width = max(len(label) for label, _ in rows)
    lines = [f"JobMetrics KPI overview, as of {figures['as_of_date']:%Y-%m-%d}"]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the headline KPIs from the JobMetrics warehouse.")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB warehouse file (default {DEFAULT_DB})")
    args = parser.parse_args(argv)
    try:
        with connect_read_only(args.db) as con:
            figures = read_overview(con)
            kpis = fetch_dicts(con, "select * from marts.kpi_summary order by label")
    except WarehouseUnavailable as error:
        print(f"kpi_overview: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    print(format_overview(figures))
    month = next((k["month"] for k in kpis if k["month"]), None)
    print(f"KPI status ({month:%b %Y})" if month else "KPI status (no complete month yet)")
    print("\n".join(kpi_lines(kpis)))
    print("Run `make alerts` for the full report with anomalies.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
