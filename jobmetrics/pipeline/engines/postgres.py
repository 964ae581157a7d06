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

from jobmetrics.pipeline import raw
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


def load(
    tenants: dict[str, dict[str, raw.RawFile]], schema: str = "raw", stripe_schema: str = "stripe"
) -> dict[str, int]:
    """Replace schema.<table> (Stripe's tables: stripe_schema.<table>) with every tenant's file of it (tenant_id,
    then the contract's columns), and schema.tenant_<list> with the reference lists tenants bring, in one
    transaction; row counts."""
    counts = {}
    schemas = {"raw": schema, "stripe": stripe_schema}
    with tempfile.TemporaryDirectory(prefix="jobmetrics-copy-") as scratch, connect() as con, con.cursor() as cur:
        for name in schemas.values():
            cur.execute(f"create schema if not exists {name}")

        def copy_in(
            table: str, columns: dict[str, str], sources: list[tuple[str, str, Path]], in_schema: str = schema
        ) -> int:
            """`sources` are (tenant, DuckDB reader with one parameter, file) to union under tenant_id."""
            csv = Path(scratch) / f"{table}.csv"
            definition = ", ".join(["tenant_id text", *(f"{c} {TYPES.get(kind, kind)}" for c, kind in columns.items())])
            cur.execute(f"drop table if exists {in_schema}.{table} cascade")
            cur.execute(f"create table {in_schema}.{table} ({definition})")
            if not sources:
                return 0
            with duckdb.connect() as duck:
                selects = []
                for _, reader, path in sources:
                    described = duck.execute(f"describe select * from {reader}", [str(path)]).fetchall()
                    present = {str(row[0]).lower() for row in described}
                    expressions = [raw.column_or_default(table, c, kind, present, c) for c, kind in columns.items()]
                    selects.append(f"select ? as tenant_id, {', '.join(expressions)} from {reader}")
                union = " union all ".join(selects)
                parameters = [value for tenant, _, path in sources for value in (tenant, str(path))]
                duck.execute(f"copy ({union}) to '{csv}' (header, format csv)", parameters)
            names = ", ".join(["tenant_id", *columns])
            with csv.open() as stream:
                cur.copy_expert(f"copy {in_schema}.{table} ({names}) from stdin with (format csv, header true)", stream)
            return int(cur.rowcount)

        for table, columns in raw.contract().items():
            sources = [
                (tenant, files[table].reader(), files[table].path)
                for tenant, files in tenants.items()
                if table in files  # an optional table not every tenant brings
            ]
            counts[table] = copy_in(table, columns, sources, schemas[raw.TABLES[table].source])
        for name, columns in raw.REFERENCE_LISTS.items():
            lists = [(tenant, raw.own_list(files, name)) for tenant, files in tenants.items()]
            reader = "read_csv(?, header = true, all_varchar = true)"
            copy_in(f"tenant_{name}", columns, [(tenant, reader, path) for tenant, path in lists if path is not None])
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
