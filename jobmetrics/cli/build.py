"""`make build`: gate (the contract's tests, on the files), load, `dbt build` with every other test, publish
atomically, then print the KPI overview.

Exit codes: 0 published; 1 the raw data breaks the contract; 2 a raw file is missing or unreadable;
3 a model or test failed; 4 another build is running, or another program holds the warehouse for
writing; 5 the engine (--target postgres) cannot be reached; 6 the warehouse's folder cannot be written
(no space left, permission denied, read-only); 130 interrupted. On any failure the published DuckDB
warehouse is unchanged.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from jobmetrics import paths, tenants
from jobmetrics.cli import options, overview
from jobmetrics.pipeline import build, engines

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics build",
        description="Build the warehouse from the raw files: check them against the contract (its tests' SQL and "
        "Great Expectations), load them, run dbt build with every other test in a scratch copy, and only then "
        "replace the published warehouse. "
        "Arguments after -- go to dbt build (e.g. -- --vars '{as_of_date: 2025-06-30}').",
        epilog=(__doc__ or "").split("\n\n", 1)[1],
    )
    options.raw_dir(parser)
    options.warehouse(parser)
    parser.add_argument(
        "--target",
        choices=engines.TARGETS,
        default="duckdb",
        help="the engine to build on (default duckdb; postgres reads PGHOST and friends, spark runs locally)",
    )
    parser.add_argument("dbt_args", nargs="*", help="passed to dbt build")
    args = parser.parse_args(argv)
    # With JOBMETRICS_RAW_SCHEMA the raw tables are already loaded, by another tool.
    raw_dir = None if os.environ.get("JOBMETRICS_RAW_SCHEMA") else (args.raw_dir or paths.raw_dir())
    if args.target != "duckdb":
        return build_elsewhere(args.target, raw_dir, args.dbt_args)
    warehouse = build.Warehouse((args.db or paths.warehouse_path()).resolve())
    try:
        build.run(warehouse, raw_dir, args.dbt_args)
    except (build.BuildFailed, KeyboardInterrupt) as error:
        state = "is unchanged" if warehouse.published.exists() else "was not created"
        reason = str(error) if isinstance(error, build.BuildFailed) else "interrupted"
        separator = "\n" if "\n" in reason else "; "
        print(
            f"jobmetrics build: {reason}{separator}the published warehouse {warehouse.published} {state}.",
            file=sys.stderr,
        )
        return error.code if isinstance(error, build.BuildFailed) else EXIT_INTERRUPTED
    print(f"Published {warehouse.published}")
    built = tenants.published_tenants(warehouse.published)
    if len(built) < 2:
        return overview.main(["--db", str(warehouse.published)])
    print(f"Published one file per tenant in {tenants.folder(warehouse.published)}: {', '.join(built)}")
    for tenant in built:
        print(f"\nTenant {tenant}")
        overview.main(["--db", str(warehouse.published), "--tenant", tenant])
    return 0


def build_elsewhere(target: str, raw_dir: Path | None, dbt_args: list[str]) -> int:
    try:
        engines.run(target, raw_dir, dbt_args)
    except (build.BuildFailed, KeyboardInterrupt) as error:
        reason = str(error) if isinstance(error, build.BuildFailed) else "interrupted"
        print(f"jobmetrics build: {reason}", file=sys.stderr)
        return error.code if isinstance(error, build.BuildFailed) else EXIT_INTERRUPTED
    return overview.main(["--target", target])
