"""Open the JobMetrics warehouse read-only, turning the ways it can fail into one-line messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import duckdb

Row = dict[str, Any]


class Queryable(Protocol):
    """What the readers need of a connection: DuckDB's own, or an engine's adapter (jobmetrics.engines)."""

    def execute(self, query: str, parameters: Any = None, /) -> Any: ...


class WarehouseUnavailable(Exception):
    """The warehouse file is missing, locked or not built; str() says what to do."""


class WarehouseLocked(WarehouseUnavailable):
    """Another process (usually a running build) holds the write lock."""


def connect_read_only(path: Path, config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise WarehouseUnavailable(f"no warehouse at {path}; run `make build` first.")
    try:
        return duckdb.connect(str(path), read_only=True, config=config or {})
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseLocked(
                f"{path} is locked by another process (a running dbt build?); try again when it ends."
            ) from error
        raise WarehouseUnavailable(f"cannot open {path}: {error}") from error


def fetch_dicts(con: Queryable, sql: str, parameters: list[Any] | None = None) -> list[Row]:
    """Rows of a query as dicts; a missing mart means the warehouse predates it."""
    try:
        cursor = con.execute(sql, parameters or [])
    except duckdb.CatalogException as error:
        first_line = str(error).splitlines()[0]
        raise WarehouseUnavailable(f"the marts are missing or out of date ({first_line}); run `make build`.") from error
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
