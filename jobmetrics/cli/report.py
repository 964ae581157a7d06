"""`jobmetrics report`: the board pack, one tenant's month (by default the latest complete one) as a PDF.

Exit codes: 0 written; 2 bad arguments; 3 the warehouse, the tenant or the month (not a complete one) cannot
be read; 5 Chromium is missing or could not print.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobmetrics import browser, paths, report, tenants
from jobmetrics.cli import options
from jobmetrics.warehouse import WarehouseUnavailable

EXIT_NO_WAREHOUSE = 3
EXIT_NOT_PRINTED = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics report",
        description="Write the board pack as a PDF: KPIs with status and change, MRR trend and movements, cohort "
        "retention, the funnel, channel economics, the month's anomalies, churn risk and experiments. Printed by "
        "the system's Chromium ($CHROMIUM or chromium on PATH).",
        epilog=(__doc__ or "").split("\n\n", 1)[1],
    )
    options.reader(parser)
    parser.add_argument("--month", default=None, help="a complete month, YYYY-MM (default the latest)")
    parser.add_argument(
        "--out", type=Path, default=None, help="the PDF to write (default reports/<tenant>/jobmetrics-YYYY-MM.pdf)"
    )
    args = parser.parse_args(argv)
    published = args.db or paths.warehouse_path()
    try:
        db = options.reader_db(args)
        tenant = args.tenant or tenants.chosen() or (tenants.published_tenants(published) or ["default"])[0]
        month = report.month_of(args.month) if args.month else report.latest_complete_month(db)
        out = report.write(db, tenant, month, args.out or report.default_path(tenant, month))
    except WarehouseUnavailable as error:
        print(f"jobmetrics report: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    except browser.PrintFailed as error:
        print(f"jobmetrics report: {error}", file=sys.stderr)
        return EXIT_NOT_PRINTED
    print(f"wrote {out}")
    return 0
