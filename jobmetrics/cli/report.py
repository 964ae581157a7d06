"""`jobmetrics report`: the board pack, one tenant's month (by default the latest complete one) as a PDF.

Exit codes: 0 written; 2 bad arguments (--out naming a folder among them); 3 the warehouse, the tenant or the
month (not a complete one) cannot be read; 5 Chromium is missing or could not print; 6 the PDF cannot be written
where --out says.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from jobmetrics import paths, tenants
from jobmetrics.cli import options
from jobmetrics.views import browser, report
from jobmetrics.warehouse import WarehouseUnavailable

EXIT_NO_WAREHOUSE = 3
EXIT_NOT_PRINTED = 5
EXIT_CANNOT_WRITE = 6


def writable(out: Path) -> None:
    """Raise the OSError that writing `out` would meet (a read-only or immutable folder, no such drive)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}."):
        pass
    if out.exists() and not os.access(out, os.W_OK):
        raise PermissionError(13, "Permission denied", str(out))


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
    if args.out is not None and args.out.is_dir():
        parser.error(f"--out {args.out} is a folder; give the PDF's own name, e.g. {args.out / 'board-pack.pdf'}")
    published = args.db or paths.warehouse_path()
    out: Path | None = args.out
    try:
        db = options.reader_db(args)
        tenant = args.tenant or tenants.chosen() or (tenants.published_tenants(published) or ["default"])[0]
        month = report.month_of(args.month) if args.month else report.latest_complete_month(db)
        out = args.out or report.default_path(tenant, month)
        writable(out)  # before the page is printed, which takes seconds
        report.write(db, tenant, month, out)
    except WarehouseUnavailable as error:
        print(f"jobmetrics report: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    except browser.PrintFailed as error:
        print(f"jobmetrics report: {error}", file=sys.stderr)
        return EXIT_NOT_PRINTED
    except OSError as error:
        print(f"jobmetrics report: cannot write {out} ({error.strerror}); choose another --out", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    print(f"wrote {out}")
    return 0
