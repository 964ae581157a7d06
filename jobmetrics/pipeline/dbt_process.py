"""The dbt process of a build (`python -P -m jobmetrics.pipeline.dbt_process build ...`, started by
jobmetrics.pipeline.build before the raw files are checked and loaded).

dbt imports itself and parses the project while the build checks and loads the raw files: the two or three
seconds of dbt's start leave the build's critical path (all of them at a million users, most on the sample).
Just before dbt first opens the warehouse (the event that prints "Concurrency: ..."), it waits for the build to
write `go` on its stdin: the scratch warehouse is then loaded and closed. Any other line, or stdin closed, means
the build stopped: the process ends without running a node or touching the warehouse.

Once dbt is done, the process closes the warehouse and ends without Python's teardown (jobmetrics.exiting): a
second less of every build.

The exit code is the dbt command's (0 success, 1 a model or test failed, 2 dbt could not run), or 3 when the build
stopped first.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from jobmetrics.exiting import end_process

GO = "go"
EXIT_FAILED, EXIT_ERROR = 1, 2
EXIT_STOPPED = 3  # the build stopped before dbt's turn


def wait_for_the_warehouse(event: Any) -> None:
    """dbt's callback for every event: at the one fired right before dbt's first query, block until the build
    says go."""
    if event.info.name != "ConcurrencyLine":
        return
    if sys.stdin.readline().strip() != GO:
        sys.stdout.flush()
        os._exit(EXIT_STOPPED)  # nothing is open yet: no cleanup to do


def close_the_warehouse() -> None:
    """dbt-duckdb keeps its database open after the run (its keep_open default) for Python's teardown to close:
    closed here, it is checkpointed before the process ends."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    try:
        environment = DuckDBConnectionManager.env()
    except Exception:  # what dbt-duckdb raises when nothing opened a database
        return
    environment.close()  # type: ignore[no-untyped-call]


def main(argv: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    return exit_code(dbtRunner(callbacks=[wait_for_the_warehouse]).invoke(argv))


def exit_code(result: Any) -> int:
    """The code the `dbt` executable exits with after this dbtRunnerResult, its usage errors printed as it prints
    them."""
    if result.success:
        return 0
    if result.exception is None:
        return EXIT_FAILED
    if type(result.exception).__name__ == "DbtUsageException":  # dbt's own command line prints these itself
        print(f"dbt: {result.exception}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    code = main(sys.argv[1:])
    close_the_warehouse()
    end_process(code)
