"""The marts as data frames for the dashboard: read-only, never held open, versioned by the published file.

Each read opens the warehouse read-only and closes it at once, so the dashboard never holds a
connection a build would wait for; `version` changes when a new build is published, which is what the
dashboard's cache is keyed on.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from jobmetrics.warehouse import WarehouseUnavailable, connect_read_only


def version(db: Path) -> float:
    """The published file's modification time; 0 when there is none."""
    try:
        return db.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def read(db: Path, table: str) -> pd.DataFrame:
    """One mart, whole."""
    with connect_read_only(db) as con:
        try:
            return con.execute(f"select * from marts.{table}").df()
        except duckdb.CatalogException as error:  # a warehouse built before this mart existed
            raise WarehouseUnavailable(f"marts.{table} is missing; run `make build`.") from error
