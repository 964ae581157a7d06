"""One question in, one answer out: the ask flow that ai_ask.py and the dashboard share.

Claude answers when ANTHROPIC_API_KEY is set (except --explain, always offline); otherwise known
metrics are answered offline. Every way it can fail becomes an AskFailed with an exit code and one
sentence that says what to do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jobmetrics import paths
from jobmetrics.alerts.monitoring import format_text, read_report
from jobmetrics.ask import agent, breakdowns, offline
from jobmetrics.ask.catalog import Catalog, CatalogMissing, load_catalog
from jobmetrics.kpis import money_in, read_reporting_currency
from jobmetrics.warehouse import WarehouseLocked, WarehouseUnavailable, connect_read_only, fetch_dicts

if TYPE_CHECKING:
    import anthropic

DEFAULT_MODEL = "claude-sonnet-5-5"
INSIGHTS_QUESTION = (
    "Give the most important insights about the business now, from the KPIs, their trends, "
    "recent anomalies, channels, segments and cohorts, then prioritised recommendations."
)
EXIT_LIMIT, EXIT_USAGE, EXIT_NO_WAREHOUSE, EXIT_LOCKED, EXIT_NEEDS_KEY = 1, 2, 3, 4, 5
EXIT_AUTH, EXIT_RATE_LIMIT, EXIT_OVERLOADED, EXIT_CONNECTION, EXIT_API = 6, 7, 8, 9, 10
NEEDS_KEY = (
    "this question needs Claude; set ANTHROPIC_API_KEY (offline, ask about MRR, customers, churn and what drives "
    "it, ARPU, NRR, conversion, CAC and LTV:CAC, cohorts, match rates, churn risk, failed payments, exchange rates, "
    "trials or experiments)."
)


class AskFailed(Exception):
    """The question could not be answered; `code` is the exit code, str() one sentence for a person."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Request:
    db: Path
    question: str | None = None
    insights: bool = False
    explain: str | None = None
    model: str = DEFAULT_MODEL
    max_tool_calls: int = 8
    sql_timeout: float = 10.0


@dataclass
class Answer:
    text: str
    queries: list[agent.Query] = field(default_factory=list)
    online: bool = False
    hit_limit: bool = False
    tool_calls: int = 0


def snapshot(db: Path) -> str:
    """The compact current picture put in the prompt: KPI statuses, recent months, recent anomalies."""
    with connect_read_only(db) as con:
        months = fetch_dicts(
            con,
            "select month, mrr, active_customers, arpu, customer_churn_rate, "
            "net_mrr_retention from marts.mrr_monthly order by month desc limit 6",
        )
        report = read_report(con, 7)
        lines = [
            f"Money is in {report['currency']}, the reporting currency: say amounts in it.",
            format_text(report),
            "Last months (mrr_monthly):",
        ]
    lines += [", ".join(f"{k}={v}" for k, v in row.items()) for row in months]
    return "\n".join(lines)


def api_failure(error: anthropic.APIError) -> AskFailed:
    """The exit code and one sentence for an API error; never the key or the request."""
    import anthropic

    known: list[tuple[type[anthropic.APIError], int, str]] = [  # most specific first
        (anthropic.AuthenticationError, EXIT_AUTH, "the API key was rejected; check ANTHROPIC_API_KEY."),
        (anthropic.PermissionDeniedError, EXIT_AUTH, "the API key may not use this model; check the key or --model."),
        (anthropic.RateLimitError, EXIT_RATE_LIMIT, "rate limited by the API; wait a minute and ask again."),
        (anthropic.OverloadedError, EXIT_OVERLOADED, "the API is overloaded; try again in a few minutes."),
        (anthropic.APITimeoutError, EXIT_CONNECTION, "the API did not answer in time; try again."),
        (
            anthropic.APIConnectionError,
            EXIT_CONNECTION,
            "cannot reach the API; check the network or ANTHROPIC_BASE_URL.",
        ),
        (anthropic.NotFoundError, EXIT_API, "the model was not found; pick another with --model."),
    ]
    for kind, code, message in known:
        if isinstance(error, kind):
            return AskFailed(code, message)
    status = getattr(error, "status_code", "no status")
    return AskFailed(EXIT_API, f"the API returned an error ({status}); try again later.")


def answer_online(request: Request, question: str, catalog: Catalog) -> Answer:
    import anthropic

    current = snapshot(request.db)
    client = anthropic.Anthropic(max_retries=1, timeout=60.0)
    session = agent.Session(catalog, request.db, request.sql_timeout)
    try:
        outcome = agent.ask(client, request.model, question, session, current, request.max_tool_calls)
    except anthropic.APIError as error:
        raise api_failure(error) from error
    return Answer(outcome.answer, outcome.queries, True, outcome.hit_limit, outcome.tool_calls)


def answer_offline(request: Request, catalog: Catalog) -> Answer:
    with connect_read_only(request.db) as con, money_in(read_reporting_currency(con)):
        text: str | None
        if request.explain:
            text = offline.explain(con, catalog, request.explain)
        elif request.insights:
            text = offline.insights(con)
        else:
            text = offline.answer(con, catalog, request.question or "")
    if text is None:
        raise AskFailed(EXIT_NEEDS_KEY, NEEDS_KEY)
    return Answer(text)


def answer(request: Request) -> Answer:
    """Answer the question, --insights or --explain of the request; AskFailed says why not."""
    try:
        catalog = load_catalog(paths.manifest_path(request.db))
        if os.environ.get("ANTHROPIC_API_KEY") and not request.explain:
            return answer_online(request, INSIGHTS_QUESTION if request.insights else request.question or "", catalog)
        return answer_offline(request, catalog)
    except (CatalogMissing, WarehouseUnavailable) as error:
        raise AskFailed(EXIT_LOCKED if isinstance(error, WarehouseLocked) else EXIT_NO_WAREHOUSE, str(error)) from error
    except breakdowns.NeedsModel as error:
        raise AskFailed(EXIT_NEEDS_KEY, f"{error}: {NEEDS_KEY}") from error
    except offline.UnknownMetric as error:
        raise AskFailed(EXIT_USAGE, str(error)) from error
