"""`make build`'s last words: the headline KPIs and their statuses, read from the marts."""

from __future__ import annotations

import argparse
import sys

from jobmetrics import kpis
from jobmetrics.cli import options
from jobmetrics.pipeline import engines
from jobmetrics.warehouse import Queryable, WarehouseUnavailable, connect_read_only

EXIT_NO_WAREHOUSE = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics overview", description="Print the headline KPIs from the JobMetrics warehouse."
    )
    options.reader(parser)
    parser.add_argument(
        "--target", choices=engines.TARGETS, default="duckdb", help="the engine whose marts to read (default duckdb)"
    )
    args = parser.parse_args(argv)
    try:
        con: Queryable
        with (
            connect_read_only(options.reader_db(args))
            if args.target == "duckdb"
            else engines.ENGINES[args.target].Connection()
        ) as con:
            figures = kpis.read_overview(con)
            statuses = kpis.read_kpis(con)
    except WarehouseUnavailable as error:
        print(f"jobmetrics overview: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    with kpis.money_in(figures["reporting_currency"] or "USD"):
        print(kpis.format_overview(figures))
        print(kpis.format_status(statuses))
    print("Run `make alerts` for the full report with anomalies.")
    return 0
