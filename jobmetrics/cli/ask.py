"""`ai_ask.py`: ask the warehouse a question in plain English; Claude answers from the marts with guarded SQL.

Exit codes: 0 answered; 1 stopped at the tool-call limit; 2 bad arguments or unknown metric;
3 warehouse missing or not built; 4 warehouse locked by a running build; 5 needs ANTHROPIC_API_KEY;
6 authentication failed; 7 rate limited; 8 API overloaded; 9 connection error or timeout; 10 other API error.
"""

from __future__ import annotations

import argparse
import os
import sys

from jobmetrics.ask import agent, engine
from jobmetrics.cli import options
from jobmetrics.warehouse import WarehouseUnavailable


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jobmetrics ask",
        description="Ask the JobMetrics warehouse a question; Claude answers from the marts and shows its queries. "
        "Without ANTHROPIC_API_KEY, known metrics, --insights and --explain are answered offline.",
        epilog='Examples: ai_ask.py "What\'s our churn rate?"  |  ai_ask.py --insights  |  ai_ask.py --explain arpu',
    )
    parser.add_argument("question", nargs="?", help="the question, in quotes")
    parser.add_argument("--insights", action="store_true", help="insights and prioritised recommendations")
    parser.add_argument("--explain", metavar="METRIC", help="explain a metric in plain language (works offline)")
    options.reader(parser)
    parser.add_argument(
        "--model",
        default=os.environ.get("ANTHROPIC_MODEL", engine.DEFAULT_MODEL),
        help=f"Claude model (default $ANTHROPIC_MODEL or {engine.DEFAULT_MODEL})",
    )
    parser.add_argument("--max-tool-calls", type=int, default=8, help="stop after this many tool calls (default 8)")
    parser.add_argument(
        "--sql-timeout", type=float, default=10.0, help="seconds before a query is stopped (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the answer and the queries run as JSON")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.question, args.insights, args.explain)) != 1:
        parser.error("give a question, --insights or --explain METRIC")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        db = options.reader_db(args)
    except WarehouseUnavailable as error:
        print(f"jobmetrics ask: {error}", file=sys.stderr)
        return engine.EXIT_NO_WAREHOUSE
    request = engine.Request(
        db=db,
        question=args.question,
        insights=args.insights,
        explain=args.explain,
        model=args.model,
        max_tool_calls=args.max_tool_calls,
        sql_timeout=args.sql_timeout,
    )
    try:
        answer = engine.answer(request)
    except engine.AskFailed as error:
        print(f"jobmetrics ask: {error}", file=sys.stderr)
        return error.code
    outcome = agent.Outcome(answer.text, answer.queries, answer.tool_calls, answer.hit_limit)
    if args.json:
        print(agent.to_json(outcome, args.model if answer.online else "offline"))
    else:
        print(agent.with_appendix(outcome))
    return engine.EXIT_LIMIT if answer.hit_limit else 0
