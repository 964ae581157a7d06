"""Run a model-written query safely: one SELECT only, read-only connection with no file or network
access and locked settings, a row limit and a time limit. Refusals are errors the model can read."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from jobmetrics.warehouse import connect_read_only

LOCKED_DOWN = {
    "enable_external_access": False,  # no read_csv of files, COPY, ATTACH, INSTALL
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,  # no SET / PRAGMA changes afterwards
}


class QueryRefused(Exception):
    """The query was not run, or was stopped; the message says why in a sentence the model can act on."""


@dataclass
class QueryResult:
    csv: str
    rows: int
    truncated: bool


def check_statement(sql: str) -> str:
    """The single SELECT statement in `sql`, without a trailing semicolon; QueryRefused otherwise."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(f"the SQL does not parse: {str(error).splitlines()[0]}") from error
    if len(statements) != 1:
        raise QueryRefused(f"send exactly one statement (got {len(statements)})")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"only SELECT or WITH ... SELECT queries are allowed (got {statement.type.name})")
    return statement.query.strip().rstrip(";")


def open_locked_down(db_path: Path) -> duckdb.DuckDBPyConnection:
    return connect_read_only(db_path, config=dict(LOCKED_DOWN))


@dataclass
class QueryFrame:
    frame: pd.DataFrame
    truncated: bool


def fetch_guarded(
    db_path: Path, sql: str, row_limit: int, timeout_seconds: float
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and at most row_limit + 1 rows of one guarded SELECT; QueryRefused says why not."""
    query = check_statement(sql)
    with open_locked_down(db_path) as con:
        timer = threading.Timer(timeout_seconds, con.interrupt)
        timer.start()
        try:
            cursor = con.execute(f"select * from (\n{query}\n) as answer limit {row_limit + 1}")
            return [column[0] for column in cursor.description or []], cursor.fetchall()
        except duckdb.InterruptException as error:
            raise QueryRefused(f"stopped after {timeout_seconds:g} s; make the query cheaper") from error
        except duckdb.Error as error:
            raise QueryRefused(f"{type(error).__name__}: {str(error).splitlines()[0]}") from error
        finally:
            timer.cancel()


def query_frame(db_path: Path, sql: str, row_limit: int = 200, timeout_seconds: float = 10.0) -> QueryFrame:
    """The rows of one guarded SELECT as a frame, for people (the dashboard's SQL tab)."""
    names, rows = fetch_guarded(db_path, sql, row_limit, timeout_seconds)
    return QueryFrame(pd.DataFrame(rows[:row_limit], columns=names), len(rows) > row_limit)


def run_guarded(db_path: Path, sql: str, row_limit: int = 200, timeout_seconds: float = 10.0) -> QueryResult:
    """The rows of one guarded SELECT as CSV, numbers rounded to 6 places, for the model to read."""
    names, rows = fetch_guarded(db_path, sql, row_limit, timeout_seconds)
    truncated = len(rows) > row_limit
    rows = rows[:row_limit]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([[round(v, 6) if isinstance(v, float) else v for v in row] for row in rows])
    return QueryResult(out.getvalue(), len(rows), truncated)
