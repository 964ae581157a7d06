"""The options several commands share, written once: where the warehouse is, which tenant a reader reads, and
where the raw files are."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from jobmetrics import paths, tenants


def warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the published DuckDB warehouse (default $JOBMETRICS_DB or {paths.DEFAULT_WAREHOUSE})",
    )


def reader(parser: argparse.ArgumentParser) -> None:
    """--db and --tenant, for the commands that read the marts."""
    warehouse(parser)
    parser.add_argument(
        "--tenant",
        default=None,
        help="read only this tenant's own file (default $JOBMETRICS_TENANT; needed when the warehouse holds "
        "several tenants)",
    )


def reader_db(args: argparse.Namespace) -> Path:
    """The file a reader opens (raises tenants.UnknownTenant, whose message says what to choose)."""
    return tenants.reader_path(args.db or paths.warehouse_path(), args.tenant or tenants.chosen())


def raw_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help=f"folder with raw_<table>.csv or .parquet (default $JOBMETRICS_RAW_DIR or {paths.SAMPLE_DIR})",
    )


def positive(unit: str) -> Callable[[str], float]:
    """An argparse type: a number greater than 0, of `unit` (named in the error)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number of {unit}, got {text}")
        return value

    return parse
