"""Ask the JobMetrics warehouse a question in plain English; Claude answers from the marts with guarded SQL.

Without ANTHROPIC_API_KEY, questions about known metrics, --insights and --explain are answered offline.
Exit codes: 0 answered; 1 stopped at the tool-call limit; 2 bad arguments or unknown metric;
3 warehouse missing or not built; 4 warehouse locked by a running build; 5 needs ANTHROPIC_API_KEY;
6 authentication failed; 7 rate limited; 8 API overloaded; 9 connection error or timeout; 10 other API error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "scripts"))

import anthropic  # noqa: E402
import ask_offline  # noqa: E402
from alerts import format_text, read_report  # noqa: E402
from ask_agent import Session, ask, to_json, with_appendix  # noqa: E402
from ask_catalog import DEFAULT_MANIFEST, CatalogMissing, load_catalog  # noqa: E402
from warehouse import DEFAULT_DB, WarehouseLocked, WarehouseUnavailable, connect_read_only, fetch_dicts  # noqa: E402

DEFAULT_MODEL = "claude-sonnet-5-5"
INSIGHTS_QUESTION = ("Give the most important insights about the business now, from the KPIs, their trends, "
                     "recent anomalies, channels, segments and cohorts, then prioritised recommendations.")
EXIT_LIMIT, EXIT_USAGE, EXIT_NO_WAREHOUSE, EXIT_LOCKED, EXIT_NEEDS_KEY = 1, 2, 3, 4, 5
EXIT_AUTH, EXIT_RATE_LIMIT, EXIT_OVERLOADED, EXIT_CONNECTION, EXIT_API = 6, 7, 8, 9, 10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Ask the JobMetrics warehouse a question; Claude answers from the marts and shows its queries.",
        epilog='Examples: ai_ask.py "What\'s our churn rate?"  |  ai_ask.py --insights  |  ai_ask.py --explain arpu',
    )
    parser.add_argument("question", nargs="?", help="the question, in quotes")
    parser.add_argument("--insights", action="store_true", help="insights and prioritised recommendations")
    parser.add_argument("--explain", metavar="METRIC", help="explain a metric in plain language (works offline)")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"warehouse file (default {DEFAULT_DB})")
    parser.add_argument("--model", default=os.environ.get("ANTHROPIC_MODEL", DEFAULT_MODEL),
                        help=f"Claude model (default $ANTHROPIC_MODEL or {DEFAULT_MODEL})")
    parser.add_argument("--max-tool-calls", type=int, default=8, help="stop after this many tool calls (default 8)")
    parser.add_argument("--sql-timeout", type=float, default=10.0, help="seconds before a query is stopped (default 10)")
    parser.add_argument("--json", action="store_true", help="print the answer and the queries run as JSON")
    args = parser.parse_args(argv)
    if sum(bool(x) for x in (args.question, args.insights, args.explain)) != 1:
        parser.error("give a question, --insights or --explain METRIC")
    return args


def snapshot(con) -> str:
    """The compact current picture put in the prompt: KPI statuses, recent months, recent anomalies."""
    months = fetch_dicts(con, "select month, mrr, active_customers, arpu, customer_churn_rate, net_mrr_retention "
                              "from marts.mrr_monthly order by month desc limit 6")
    lines = [format_text(read_report(con, 7)), "Last months (mrr_monthly):"]
    lines += [", ".join(f"{k}={v}" for k, v in row.items()) for row in months]
    return "\n".join(lines)


def answer_online(args: argparse.Namespace, question: str, catalog) -> int:
    with connect_read_only(args.db) as con:
        current = snapshot(con)
    client = anthropic.Anthropic(max_retries=1, timeout=60.0)
    outcome = ask(client, args.model, question, Session(catalog, args.db, args.sql_timeout), current,
                  args.max_tool_calls)
    print(to_json(outcome, args.model) if args.json else with_appendix(outcome))
    return EXIT_LIMIT if outcome.hit_limit else 0


def answer_offline(args: argparse.Namespace, catalog) -> int:
    with connect_read_only(args.db) as con:
        if args.explain:
            text = ask_offline.explain(con, catalog, args.explain)
        elif args.insights:
            text = ask_offline.insights(con)
        else:
            text = ask_offline.answer(con, catalog, args.question)
    if text is None:
        print("ai_ask: this question needs Claude; set ANTHROPIC_API_KEY (offline, ask about MRR, churn, ARPU, NRR, "
              "conversion, CAC and LTV:CAC, cohorts or match rates).", file=sys.stderr)
        return EXIT_NEEDS_KEY
    print(text)
    return 0


API_ERRORS = [  # most specific first; messages never include the key or the request
    (anthropic.AuthenticationError, EXIT_AUTH, "the API key was rejected; check ANTHROPIC_API_KEY."),
    (anthropic.PermissionDeniedError, EXIT_AUTH, "the API key may not use this model; check the key or --model."),
    (anthropic.RateLimitError, EXIT_RATE_LIMIT, "rate limited by the API; wait a minute and ask again."),
    (anthropic.OverloadedError, EXIT_OVERLOADED, "the API is overloaded; try again in a few minutes."),
    (anthropic.APITimeoutError, EXIT_CONNECTION, "the API did not answer in time; try again."),
    (anthropic.APIConnectionError, EXIT_CONNECTION, "cannot reach the API; check the network or ANTHROPIC_BASE_URL."),
    (anthropic.NotFoundError, EXIT_API, "the model was not found; pick another with --model."),
]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        catalog = load_catalog(DEFAULT_MANIFEST)
        online = bool(os.environ.get("ANTHROPIC_API_KEY")) and not args.explain
        if online:
            return answer_online(args, INSIGHTS_QUESTION if args.insights else args.question, catalog)
        return answer_offline(args, catalog)
    except CatalogMissing as error:
        print(f"ai_ask: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    except WarehouseLocked as error:
        print(f"ai_ask: {error}", file=sys.stderr)
        return EXIT_LOCKED
    except WarehouseUnavailable as error:
        print(f"ai_ask: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE
    except LookupError as error:
        print(f"ai_ask: {error}", file=sys.stderr)
        return EXIT_USAGE
    except anthropic.APIError as error:
        for kind, code, message in API_ERRORS:
            if isinstance(error, kind):
                print(f"ai_ask: {message}", file=sys.stderr)
                return code
        status = getattr(error, "status_code", "no status")
        print(f"ai_ask: the API returned an error ({status}); try again later.", file=sys.stderr)
        return EXIT_API


if __name__ == "__main__":
    sys.exit(main())
