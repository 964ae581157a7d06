"""`make validate`: check the raw files against the data contract with Great Expectations before building.

Exit codes: 0 the files meet the contract, 1 they do not, 2 a file is missing or unreadable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jobmetrics import paths
from jobmetrics.cli import options
from jobmetrics.pipeline import contract, raw
from jobmetrics.tenants import DEFAULT_TENANT

EXIT_BROKEN, EXIT_UNREADABLE = 1, 2


def report(failures: list[contract.Failure], docs: Path | None) -> None:
    print(f"Raw data contract broken ({len(failures)} problem(s)); nothing was built:", file=sys.stderr)
    for failure in failures:
        print(f"  {failure}", file=sys.stderr)
    if docs is not None:
        print(f"Details: {data_docs_index(docs)}", file=sys.stderr)


def data_docs_index(docs: Path) -> Path:
    return docs / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics validate",
        description="Check the raw files (CSV or Parquet) against the JobMetrics data contract with Great "
        "Expectations. Exit 0 when they meet it, 1 when they do not, 2 when a file is missing or unreadable.",
    )
    options.raw_dir(parser)
    parser.add_argument(
        "--docs",
        type=Path,
        default=paths.target_dir() / "validate_raw",
        help="folder for the GX project and its Data Docs (default target/validate_raw)",
    )
    args = parser.parse_args(argv)
    try:
        tenants = raw.find_tenants(args.raw_dir or paths.raw_dir())
        failures = contract.validate_tenants(tenants, args.docs)
    except (raw.RawFilesMissing, contract.RawFileUnreadable) as error:
        print(f"jobmetrics validate: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if failures:
        report(failures, args.docs)
        return EXIT_BROKEN
    if list(tenants) == [DEFAULT_TENANT]:
        names = ", ".join(f.name for f in tenants[DEFAULT_TENANT].values())
    else:
        names = f"{len(tenants)} tenants: {', '.join(tenants)}"
    print(f"Raw files meet the data contract ({names}). Data Docs: {data_docs_index(args.docs)}")
    return 0
