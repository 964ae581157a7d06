"""Open the JobMetrics warehouse read-only, turning the ways it can fail into one-line messages.

Each connection is a new in-memory database that attaches the published file read-only. Connecting to
the file's path directly would hand back the database instance this process already has open for that
path, which keeps reading the file a build has since renamed over it; attaching opens the newest file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import duckdb

Row = dict[str, Any]


class Queryable(Protocol):
    """What the readers need of a connection: DuckDB's own, or an engine's adapter (jobmetrics.pipeline.engines)."""

    def execute(self, query: str, parameters: Any = None, /) -> Any: ...


class WarehouseUnavailable(Exception):
    """The warehouse file is missing, locked or not built; str() says what to do."""


class WarehouseLocked(WarehouseUnavailable):
    """Another process (usually a running build) holds the write lock."""


ATTACHED = "warehouse"
# What every file the project writes is written as: a storage version every DuckDB 1.4+ client can open (2.x
# would otherwise write storage version 69, which 1.x clients refuse).
STORAGE_COMPATIBILITY = {"storage_compatibility_version": "v1.4.0"}


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect_read_only(
    path: Path, config: dict[str, Any] | None = None, alias: str = ATTACHED
) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the warehouse file as it is now, attached read-only under
    `alias` (the name dbt gave the database, for SQL that names it, such as MetricFlow's).

    `config` applies to the connection; settings that forbid attaching files (enable_external_access,
    lock_configuration) are applied once the warehouse is attached.
    """
    if not path.exists():
        raise WarehouseUnavailable(f"no warehouse at {path}; run `make build` first.")
    if path.is_dir():
        raise WarehouseUnavailable(f"{path} is a folder; name the warehouse file (JOBMETRICS_DB or --db).")
    settings = dict(config or {})
    after_attach = {
        name: settings.pop(name) for name in ("enable_external_access", "lock_configuration") if name in settings
    }
    con = duckdb.connect(":memory:", config=settings)
    try:
        con.execute(f'attach {sql_string(str(path))} as "{alias}" (read_only)')
        con.execute(f'use "{alias}"')
        for name, value in after_attach.items():
            con.execute(f"set {name} = {str(value).lower()}")
    except duckdb.IOException as error:
        con.close()
        if "lock" in str(error).lower():
            raise WarehouseLocked(
                f"{path} is locked by another process (a running dbt build?); try again when it ends."
            ) from error
        raise WarehouseUnavailable(f"cannot open {path}: {str(error).splitlines()[0]}") from error
    except duckdb.Error:
        con.close()
        raise
    return con


def fetch_dicts(con: Queryable, sql: str, parameters: list[Any] | None = None) -> list[Row]:
    """Rows of a query as dicts; a missing mart or column means the warehouse predates it."""
    try:
        cursor = con.execute(sql, parameters or [])
    except (duckdb.CatalogException, duckdb.BinderException) as error:
        first_line = str(error).splitlines()[0]
        raise WarehouseUnavailable(f"the marts are missing or out of date ({first_line}); run `make build`.") from error
    names = [column[0] for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
