"""`make validate`: check the raw files against the data contract with Great Expectations before building.

Exit codes: 0 the files meet the contract, 1 they do not, 2 a file is missing or unreadable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from jobmetrics import contract, paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="validate_raw",
        description="Check the raw CSVs against the JobMetrics data contract with Great Expectations.",
    )
    parser.add_argument(
        "--seeds", type=Path, default=paths.SEEDS_DIR, help=f"folder with the raw CSVs (default {paths.SEEDS_DIR})"
    )
    parser.add_argument(
        "--docs",
        type=Path,
        default=paths.TARGET_DIR / "validate_raw",
        help="folder for the GX project and its Data Docs (default target/validate_raw)",
    )
    args = parser.parse_args(argv)
    try:
        failures = contract.validate(args.seeds, args.docs)
    except contract.RawFileMissing as error:
        print(
            f"validate_raw: {error}; the raw data contract needs all five files ({', '.join(contract.RAW_TABLES)}).",
            file=sys.stderr,
        )
        return 2
    except duckdb.Error as error:
        print(f"validate_raw: cannot read a raw file: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    docs = args.docs / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    if failures:
        print(f"Raw data contract broken ({len(failures)} failing expectation(s)); nothing was built:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        print(f"Details: {docs}", file=sys.stderr)
        return 1
    print(f"Raw files meet the data contract ({', '.join(t + '.csv' for t in contract.RAW_TABLES)}). Data Docs: {docs}")
    return 0
