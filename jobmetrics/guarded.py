"""The one path every query run on a reader's behalf takes (the SQL tab, the report builder, ask's run_sql).

One parsed SELECT, values bound as parameters, run in a child process on a connection that attaches the
warehouse read-only with external access, extensions and configuration changes off, under DuckDB's own memory
limit and a hard address-space limit, and killed at the time limit whatever it is doing. DuckDB cannot stop
everything itself: `repeat('x', 2000000000)` ignores both its memory limit and an interrupt for 15 s and 4 GB,
so the limits that must hold are the operating system's.

Run as `python -m jobmetrics.guarded`, this module is that child: a pickled request on stdin, a pickled answer
on stdout. It imports nothing but DuckDB, so a query starts in about 0.2 s.
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import re
import resource
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pandas as pd

LOCKED_DOWN: dict[str, Any] = {
    "enable_external_access": False,  # no read_text of files, COPY, ATTACH, INSTALL
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,  # no SET / PRAGMA / RESET afterwards
}
DEFAULT_MEMORY_MB = 1024
# Python, DuckDB's libraries and its thread arenas take about this much address space before a query runs.
BASE_ADDRESS_SPACE_MB = 1024
# the child's start (an interpreter and DuckDB's import) is not the query's time
START_ALLOWANCE_SECONDS = 5.0
ENVIRONMENT_KEPT = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "TZ")


class QueryRefused(Exception):
    """The query was not run, or was stopped; the message says why in one sentence a person or model can act on."""


@dataclass(frozen=True)
class Rows:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def check_statement(sql: str) -> str:
    """The single SELECT statement in `sql`, without a trailing semicolon; QueryRefused otherwise."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(f"the SQL does not parse: {plain(error)}") from error
    if len(statements) != 1:
        raise QueryRefused(f"send exactly one statement (got {len(statements)})")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"only SELECT or WITH ... SELECT queries are allowed (got {statement.type.name})")
    return statement.query.strip().rstrip(";")


def plain(error: BaseException) -> str:
    """DuckDB's message as one sentence: its first line, without the kind it starts with ("Binder Error: ")."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return re.sub(r"^(?:[A-Z][A-Za-z]*\s)+Error:\s*", "", first)


def query(
    db: Path,
    sql: str,
    params: Sequence[Any] = (),
    row_limit: int = 200,
    seconds: float = 10.0,
    memory_mb: int = DEFAULT_MEMORY_MB,
    alias: str = "warehouse",
) -> Rows:
    """At most `row_limit` rows of one guarded SELECT over the warehouse file `db` (attached as `alias`, the
    name the SQL may use), with `params` bound to its $1, $2 ...; QueryRefused says why not."""
    if not db.exists():
        raise QueryRefused(f"no warehouse at {db}; run `make build` first")
    request = {
        "db": str(db),
        "sql": check_statement(sql),
        "params": list(params),
        "row_limit": row_limit,
        "seconds": seconds,
        "memory_mb": memory_mb,
        "alias": alias,
    }
    with subprocess.Popen(
        [sys.executable, "-m", "jobmetrics.guarded"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=child_environment(),
        cwd=Path(__file__).resolve().parents[1],
    ) as child:
        try:
            out, _ = child.communicate(pickle.dumps(request), timeout=seconds + START_ALLOWANCE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise QueryRefused(stopped(seconds)) from None
    if child.returncode < 0 or (child.returncode == 0 and not out):  # ended by the system: out of its memory
        raise QueryRefused(f"the query used more than the {memory_mb:,} MB it may use; make it smaller")
    if child.returncode != 0:
        raise QueryRefused(f"the query's process failed (exit {child.returncode}); run it again, or report it")
    answer = pickle.loads(out)
    if "refused" in answer:
        raise QueryRefused(answer["refused"])
    rows: list[tuple[Any, ...]] = answer["rows"]
    return Rows(answer["columns"], rows[:row_limit], len(rows) > row_limit)


def child_environment() -> dict[str, str]:
    """What the child needs to start Python, and nothing else: no API key, password or setting of the reader."""
    return {name: os.environ[name] for name in ENVIRONMENT_KEPT if name in os.environ}


def stopped(seconds: float) -> str:
    return f"stopped after {seconds:g} s, the time a query may take; make it cheaper (filter, aggregate)"


def frame(db: Path, sql: str, params: Sequence[Any] = (), **limits: Any) -> tuple[pd.DataFrame, bool]:
    """The rows of one guarded SELECT as a frame, and whether there were more than the row limit."""
    import pandas as pd

    result = query(db, sql, params, **limits)
    return pd.DataFrame(result.rows, columns=result.columns), result.truncated


def as_csv(result: Rows) -> str:
    """Rows as CSV, numbers rounded to 6 places, for a model to read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([[round(v, 6) if isinstance(v, float) else v for v in row] for row in result.rows])
    return out.getvalue()


def run(request: dict[str, Any]) -> dict[str, Any]:
    """In the child: the limits first, then the query; an answer, or the sentence saying why not."""
    limit = (request["memory_mb"] + BASE_ADDRESS_SPACE_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    too_big = f"the query used more than the {request['memory_mb']:,} MB it may use; make it smaller"
    # the settings that forbid attaching a file apply once the warehouse is attached
    opening = {
        name: value
        for name, value in LOCKED_DOWN.items()
        if name not in ("enable_external_access", "lock_configuration")
    }
    con = duckdb.connect(":memory:", config={**opening, "memory_limit": f"{request['memory_mb']}MB", "threads": 1})
    try:
        alias = request["alias"].replace('"', '""')
        try:
            con.execute(f"attach '{request['db'].replace(chr(39), chr(39) * 2)}' as \"{alias}\" (read_only)")
        except duckdb.Error as error:
            locked = "lock" in str(error).lower()
            return {"refused": "a build holds the warehouse; try again when it ends" if locked else plain(error)}
        con.execute(f'use "{alias}"')
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
        timer = threading.Timer(request["seconds"], con.interrupt)
        timer.start()
        try:
            cursor = con.execute(
                f"select * from (\n{request['sql']}\n) as answer limit {int(request['row_limit']) + 1}",
                request["params"],
            )
            return {"columns": [column[0] for column in cursor.description or []], "rows": cursor.fetchall()}
        except duckdb.InterruptException:
            return {"refused": stopped(request["seconds"])}
        except (duckdb.OutOfMemoryException, MemoryError):
            return {"refused": too_big}
        except duckdb.Error as error:
            return {"refused": plain(error)}
        finally:
            timer.cancel()
    finally:
        con.close()


def main() -> int:
    request = pickle.load(sys.stdin.buffer)
    try:
        answer = pickle.dumps(run(request))
    except MemoryError:  # past the address-space limit outside DuckDB (its rows, as Python objects)
        answer = pickle.dumps({"refused": f"the query used more than the {request['memory_mb']:,} MB it may use"})
    sys.stdout.buffer.write(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
