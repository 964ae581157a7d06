"""`make export`: every mart as exports/<mart>.parquet and .csv, with exports/manifest.json.

Exit codes: 0 written; 3 the warehouse cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobmetrics import paths
from jobmetrics.cli import options
from jobmetrics.pipeline import exports
from jobmetrics.warehouse import WarehouseUnavailable

EXIT_NO_WAREHOUSE = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics export",
        description="Export every mart of the published warehouse "
        "to Parquet and CSV, with a manifest of rows and column types.",
    )
    options.reader(parser)
    parser.add_argument(
        "--out", type=Path, default=paths.PROJECT_ROOT / "exports", help="output folder (default exports/)"
    )
    args = parser.parse_args(argv)
    try:
        manifest = exports.export(options.reader_db(args), args.out)
    except WarehouseUnavailable as error:
        print(f"jobmetrics export: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    print(f"Exported {len(manifest['tables'])} marts as of {manifest['as_of_date']} to {args.out}")
    return 0
