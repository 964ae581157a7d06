"""dbt imported once per pytest worker, for the tests' many dbt commands (builds.dbt_command).

This process imports dbt, then forks a child for each command it is sent: the child takes the command's working
folder and environment and runs it as the `dbt` executable would (dbtRunner), so each of the suite's builds skips
dbt's import (over a second). A fork holds none of another command's state: each starts from the imported modules
alone.

A request is one JSON line on stdin, {"args": [...], "cwd": ..., "env": {...}, "output": path}; the reply is one line
on stdout, {"returncode": n} (0 success, 1 a model or test failed, 2 dbt could not run, as the executable exits).
The child writes the command's output, stdout and stderr together, to `output`. stdin closed ends the process.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

import dbt.adapters.duckdb  # noqa: F401  (imported here once, not in every command)
from dbt.cli.main import dbtRunner

from jobmetrics.exiting import end_process
from jobmetrics.pipeline import dbt_process


def run(request: dict[str, Any]) -> int:
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    code = dbt_process.exit_code(dbtRunner().invoke(request["args"]))
    dbt_process.close_the_warehouse()
    return code


def main() -> None:
    replies = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        child = os.fork()
        if child == 0:
            code = 2
            try:
                code = run(request)
            except Exception:
                traceback.print_exc()
            end_process(code)  # as the build's dbt process ends: the warehouse closed, without Python's teardown
        _, status = os.waitpid(child, 0)
        replies.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
