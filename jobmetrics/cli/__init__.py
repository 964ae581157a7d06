"""`jobmetrics <command>`: the one command-line door. Each command is a module with `main(argv) -> int`.

The command's own module parses its arguments (so `jobmetrics build --help` is that module's help) and
returns its documented exit code; this module only picks the command.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jobmetrics.exiting import end_process

# name: (module under jobmetrics.cli, what it does in one line)
COMMANDS = {
    "build": ("build", "check, load and build the warehouse with every test, publish it atomically, print the KPIs"),
    "validate": ("validate", "check the raw files against the data contract (Great Expectations) without building"),
    "overview": ("overview", "print the headline KPIs and their statuses from the published warehouse"),
    "alerts": ("alerts", "KPI statuses and recent anomalies, with exit codes for cron and CI"),
    "ask": ("ask", "answer a question in plain English from the marts (Claude, or offline)"),
    "export": ("export", "every mart as Parquet and CSV with a manifest"),
    "report": ("report", "the board pack: one tenant's latest complete month as a PDF"),
    "dashboard": ("dashboard", "serve the Streamlit dashboard over the published warehouse"),
    "users": ("users", "add, remove and list who may sign in to the dashboard, and the tenants each sees"),
    "watch": ("watch", "rebuild whenever the raw files change, then email the digests"),
    "sample": ("sample", "write the synthetic sample's raw files (deterministic)"),
    "benchmark": ("benchmark", "time every stage at several sizes (a development tool: needs a clone)"),
}


def parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<10} {summary}" for name, (_, summary) in COMMANDS.items())
    result = argparse.ArgumentParser(
        prog="jobmetrics",
        description="JobMetrics: an analytics warehouse for job-search SaaS (dbt on DuckDB).",
        epilog=f"commands:\n{commands}\n\n`jobmetrics <command> --help` describes each command and its exit codes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    result.add_argument("command", choices=COMMANDS, metavar="command", help="one of the commands below")
    return result


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or arguments[0] not in COMMANDS:
        parser().parse_args(arguments[:1])  # prints the help, or names the unknown command (exit 2)
        return 2
    module = importlib.import_module(f"jobmetrics.cli.{COMMANDS[arguments[0]][0]}")
    code: int = module.main(arguments[1:])
    return code


def run() -> None:
    """The console script's entry point. A command that returns has closed what it opened, so the process ends
    without Python's teardown (jobmetrics.exiting)."""
    end_process(main())
