"""The options several commands share, written once: where the warehouse is and where the raw files are."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobmetrics import paths


def warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"the published DuckDB warehouse (default $JOBMETRICS_DB or {paths.DEFAULT_WAREHOUSE})",
    )


def raw_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=None,
        help=f"folder with raw_<table>.csv or .parquet (default $JOBMETRICS_RAW_DIR or {paths.SAMPLE_DIR})",
    )
