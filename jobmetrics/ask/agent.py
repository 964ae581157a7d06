"""Claude answers a question with tools over the marts, looping until it ends its turn or runs out of calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobmetrics import guarded
from jobmetrics.ask.catalog import Catalog, describe_for_prompt

if TYPE_CHECKING:  # the SDK takes a second to import; offline answers never need it
    import anthropic
    from anthropic.types import MessageParam, TextBlockParam, ToolParam, ToolResultBlockParam

INSTRUCTIONS = """You are JobMetrics' analyst. You answer questions about a subscription business in the
job-search space (resume scanning) from its DuckDB warehouse, for founders and product managers.
Rules:
- Every number you state must come from a run_sql result in this conversation or the snapshot below.
- Cite the query behind each number as [Q1], [Q2]... using the labels the tool results carry.
- Use the metric definitions as written; say which definition a number follows when it matters.
- Query only the `marts` schema, one SELECT per run_sql call; keep results small (aggregate, limit).
- Be brief: lead with the answer, then the evidence, then at most three recommendations if asked."""

TOOLS: list[ToolParam] = [
    {
        "name": "list_marts",
        "description": "List the marts (tables in schema marts) with one line each.",
        "input_schema": {"type": "object", "properties": {}},
    },
    {
        "name": "describe_mart",
        "description": "Columns, types and descriptions of one mart.",
        "input_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    },
    {
        "name": "get_metric_definition",
        "description": "The written definition of a metric (e.g. customer_churn_rate).",
        "input_schema": {"type": "object", "properties": {"metric": {"type": "string"}}, "required": ["metric"]},
    },
    {
        "name": "run_sql",
        "description": "Run one read-only DuckDB SELECT (or WITH ... SELECT) on the warehouse. Returns CSV, "
        "at most 200 rows, with a label like Q1 to cite. Writes, files, settings and extensions are refused.",
        "input_schema": {"type": "object", "properties": {"sql": {"type": "string"}}, "required": ["sql"]},
    },
]


@dataclass
class Query:
    label: str
    sql: str
    refused: str | None = None


@dataclass
class Outcome:
    answer: str
    queries: list[Query] = field(default_factory=list)
    tool_calls: int = 0
    hit_limit: bool = False


class Session:
    """Executes tool calls against one warehouse and remembers the queries run."""

    def __init__(self, catalog: Catalog, db: Path, sql_timeout: float) -> None:
        self.catalog, self.db, self.sql_timeout = catalog, db, sql_timeout
        self.queries: list[Query] = []

    def call(self, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
        """(text for the model, is_error)."""
        if name == "list_marts":
            return "\n".join(f"{m.name}: {m.description}" for m in self.catalog.marts.values()), False
        if name == "describe_mart":
            mart = self.catalog.marts.get(str(arguments.get("name", "")).removeprefix("marts."))
            if mart is None:
                return f"no mart named {arguments.get('name')!r}; call list_marts", True
            columns = "\n".join(f"- {c} ({t}): {d}" for c, (t, d) in mart.columns.items())
            return f"marts.{mart.name}: {mart.description}\n{columns}", False
        if name == "get_metric_definition":
            definition = self.catalog.definition(str(arguments.get("metric", "")))
            return (definition, False) if definition else ("no definition under that name", True)
        if name == "run_sql":
            query = Query(f"Q{len(self.queries) + 1}", str(arguments.get("sql", "")))
            self.queries.append(query)
            try:
                result = guarded.query(self.db, query.sql, seconds=self.sql_timeout)
            except guarded.QueryRefused as reason:
                query.refused = str(reason)
                return f"{query.label} refused: {reason}", True
            more = " (truncated: more rows exist; aggregate or filter)" if result.truncated else ""
            return f"{query.label}: {len(result.rows)} rows{more}\n{guarded.as_csv(result)}", False
        return f"unknown tool {name!r}", True


def system_blocks(catalog: Catalog, snapshot: str) -> list[TextBlockParam]:
    """The stable part first and marked cacheable; the current snapshot after it."""
    return [
        {
            "type": "text",
            "text": INSTRUCTIONS + "\n\n" + describe_for_prompt(catalog),
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "text", "text": "# Current snapshot\n" + snapshot},
    ]


def ask(
    client: anthropic.Anthropic,
    model: str,
    question: str,
    session: Session,
    snapshot: str,
    max_tool_calls: int,
    max_tokens: int = 2000,
) -> Outcome:
    messages: list[MessageParam] = [{"role": "user", "content": question}]
    system = system_blocks(session.catalog, snapshot)
    calls = 0
    while True:
        response = client.messages.create(
            model=model, max_tokens=max_tokens, system=system, tools=TOOLS, messages=messages
        )
        text = "\n".join(block.text for block in response.content if block.type == "text").strip()
        if response.stop_reason != "tool_use":
            return Outcome(text, session.queries, calls)
        messages.append({"role": "assistant", "content": response.content})
        results: list[ToolResultBlockParam] = []
        for block in (b for b in response.content if b.type == "tool_use"):
            if calls >= max_tool_calls:
                note = f"Stopped after {max_tool_calls} tool calls without a final answer."
                return Outcome((text + "\n\n" + note).strip(), session.queries, calls, hit_limit=True)
            calls += 1
            output, is_error = session.call(block.name, block.input if isinstance(block.input, dict) else {})
            results.append({"type": "tool_result", "tool_use_id": block.id, "content": output, "is_error": is_error})
        messages.append({"role": "user", "content": results})


def with_appendix(outcome: Outcome) -> str:
    if not outcome.queries:
        return outcome.answer
    lines = [outcome.answer, "", "Queries run"]
    for query in outcome.queries:
        status = f" (refused: {query.refused})" if query.refused else ""
        lines.append(f"[{query.label}]{status}\n{query.sql.strip()}")
    return "\n".join(lines)


def to_json(outcome: Outcome, model: str) -> str:
    return json.dumps(
        {
            "answer": outcome.answer,
            "model": model,
            "tool_calls": outcome.tool_calls,
            "hit_tool_call_limit": outcome.hit_limit,
            "queries": [{"label": q.label, "sql": q.sql, "refused": q.refused} for q in outcome.queries],
        },
        indent=2,
    )
