"""PostgreSQL: load the raw files with COPY and read the marts, over the standard libpq settings.

The connection comes from PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE, as for psql and the
dbt `postgres` target. DuckDB rewrites each raw file as a CSV of exactly the contract's columns, and
that file is streamed to COPY, so no row passes through Python and a Parquet file loads the same way.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import psycopg2.extensions

from jobmetrics import raw
from jobmetrics.warehouse import WarehouseUnavailable

# The raw contract is written in DuckDB's type names; these are PostgreSQL's for the same types.
TYPES = {"double": "double precision"}
# Everything runs on PostgreSQL: dbt build as on DuckDB.
DBT_ARGS: list[str] = []
NOT_RUN: list[str] = []


def connect() -> psycopg2.extensions.connection:
    try:
        return psycopg2.connect("")
    except psycopg2.OperationalError as error:
        first_line = str(error).strip().splitlines()[0]
        raise WarehouseUnavailable(
            f"cannot reach PostgreSQL ({first_line}); set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE."
        ) from error


def start() -> None:
    """Fail early, with what to set, when PostgreSQL cannot be reached."""
    connect().close()


def load(tenants: dict[str, dict[str, raw.RawFile]], schema: str = "raw") -> dict[str, int]:
    """Replace schema.<table> with every tenant's file of it (tenant_id, then the contract's columns), in one
    transaction; row counts."""
    counts = {}
    with tempfile.TemporaryDirectory(prefix="jobmetrics-copy-") as scratch, connect() as con, con.cursor() as cur:
        cur.execute(f"create schema if not exists {schema}")
        for table, columns in raw.contract().items():
            csv = Path(scratch) / f"{table}.csv"
            names = ", ".join(["tenant_id", *columns])
            with duckdb.connect() as duck:
                parts = [
                    f"select ? as tenant_id, {', '.join(columns)} from {files[table].reader()}"
                    for files in tenants.values()
                ]
                parameters = [value for tenant, files in tenants.items() for value in (tenant, str(files[table].path))]
                duck.execute(f"copy ({' union all '.join(parts)}) to '{csv}' (header, format csv)", parameters)
            definition = ", ".join(
                ["tenant_id text", *(f"{column} {TYPES.get(kind, kind)}" for column, kind in columns.items())]
            )
            cur.execute(f"drop table if exists {schema}.{table} cascade")
            cur.execute(f"create table {schema}.{table} ({definition})")
            with csv.open() as stream:
                cur.copy_expert(f"copy {schema}.{table} ({names}) from stdin with (format csv, header true)", stream)
            counts[table] = cur.rowcount
    return counts


class Connection:
    """A psycopg2 connection shaped like DuckDB's: execute() returns what fetchall() and description read."""

    def __init__(self) -> None:
        self.connection = connect()
        self.connection.set_session(readonly=True, autocommit=True)
        self.cursor = self.connection.cursor()

    def execute(self, query: str, parameters: Any = None, /) -> psycopg2.extensions.cursor:
        self.cursor.execute(query, parameters or None)
        return self.cursor

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()
