"""Offline answers to questions that ask for a split ("MRR by channel") or a cause ("what's driving our churn?"),
read from the marts; a split or a cause the marts cannot give is said to need Claude, never answered with another
question's figures."""

from __future__ import annotations

import duckdb

from jobmetrics.ask.questions import KNOWN_SPLITS, Question
from jobmetrics.kpis import format_value, signed
from jobmetrics.warehouse import fetch_dicts


class NeedsModel(Exception):
    """The question is about a known metric, but asks what the offline answers cannot give; str() says what."""


# the metric a split question is about, first match wins ("customer churn" is churn, "revenue per user" ARPU)
FAMILIES: list[tuple[str, tuple[str, ...]]] = [
    ("ltv_cac", ("ltv", "cac", "payback")),
    ("churn", ("churn", "cancel")),
    ("conversion", ("conversion", "convert", "free to paid", "free-to-paid")),
    ("arpu", ("arpu", "revenue per user", "average revenue")),
    ("customers", ("customers", "subscribers", "paying users")),
    ("mrr", ("mrr", "recurring revenue", "revenue")),
]
OFFLINE_SPLITS = (
    "offline answers split MRR, customers, ARPU, churn and conversion by channel or segment, and CAC and LTV by channel"
)
SPLIT_TITLES = {"channel": "acquisition channel", "segment": "segment"}


def words(name: str) -> str:
    """A channel, a segment or a metric as a person reads it: `paid_search` is "Paid search"."""
    return {"ltv_cac": "LTV:CAC", "mrr": "MRR", "arpu": "ARPU"}.get(name, name.replace("_", " ").capitalize())


def family_of(question: Question) -> str | None:
    return next((family for family, keys in FAMILIES if any(key in question.text for key in keys)), None)


def split_answer(con: duckdb.DuckDBPyConnection, question: Question) -> str | None:
    """The metric split as asked, or NeedsModel; None when the question names no metric offline answers know."""
    family, split = family_of(question), question.split
    if family is None or split is None:
        return None
    if split not in KNOWN_SPLITS or (family == "ltv_cac" and split != "channel"):
        raise NeedsModel(f"{OFFLINE_SPLITS}, not {words(family)} by {split}")
    if family in ("mrr", "customers", "arpu"):
        return revenue_split(con, split)
    if family == "ltv_cac":
        return ""  # the channel economics answer is the split itself (offline.channels_answer)
    return rate_split(con, family, split)


def revenue_split(con: duckdb.DuckDBPyConnection, split: str) -> str:
    """MRR, paying customers and ARPU per channel or segment in the overview's month (the latest of mrr_monthly):
    sums over fct_mrr, so they add up to the overview's MRR and customers."""
    column = KNOWN_SPLITS[split]
    rows = fetch_dicts(
        con,
        f"select {column} as name, sum(mrr) as mrr, count(*) filter (where mrr > 0) as customers, "
        "any_value(month) as month from marts.fct_mrr "
        "where month = (select max(month) from marts.mrr_monthly) "
        f"group by {column} order by mrr desc, name",
    )
    if not rows:
        return "No month of MRR yet."
    total = sum(row["mrr"] for row in rows)
    lines = [
        f"MRR, paying customers and ARPU by {SPLIT_TITLES[split]}, {rows[0]['month']:%b %Y} "
        f"(MRR in total {format_value(total, 'money')}):"
    ]
    for row in rows:
        arpu = row["mrr"] / row["customers"] if row["customers"] else None
        lines.append(
            f"- {words(row['name'])}: {format_value(row['mrr'], 'money')} from "
            f"{format_value(row['customers'], 'count')} paying customers (ARPU {format_value(arpu, 'money')})"
        )
    return "\n".join(lines)


def rate_split(con: duckdb.DuckDBPyConnection, family: str, split: str) -> str:
    """Customer churn or conversion per channel or segment over the whole period (channel_performance,
    segment_performance); the `all` row is the company's."""
    mart = "channel_performance" if split == "channel" else "segment_performance"
    column = KNOWN_SPLITS[split]
    measure = "customer_churn_rate" if family == "churn" else "conversion_rate"
    rows = fetch_dicts(
        con, f"select {column} as name, {measure} as rate from marts.{mart} order by name = 'all', rate desc, name"
    )
    title = "Customer churn" if family == "churn" else "Free-to-paid conversion"
    parts = [
        f"{'all (company-wide)' if row['name'] == 'all' else words(row['name'])} {format_value(row['rate'], 'rate')}"
        for row in rows
    ]
    return f"{title} by {SPLIT_TITLES[split]}, whole period to the data's last day: {'; '.join(parts)}."


def why_answer(con: duckdb.DuckDBPyConnection, question: Question) -> str | None:
    """What the marts say moved a metric: churn by segment and channel, failed payments and the churn-risk
    model's reasons; MRR's movements. Other causes need Claude."""
    family = family_of(question)
    if family == "churn":
        return churn_drivers(con)
    if family == "mrr":
        return mrr_drivers(con)
    if family is not None:
        raise NeedsModel(f"offline answers say what moved churn and MRR, not why {words(family)} moved")
    return None


def churn_drivers(con: duckdb.DuckDBPyConnection) -> str:
    lines = ["Where churn comes from, as far as the marts split it:"]
    lines.append("- " + rate_split(con, "churn", "segment"))
    lines.append("- " + rate_split(con, "churn", "channel"))
    failed = fetch_dicts(
        con,
        "select sum(churned_mrr) as churned, sum(churned_mrr_involuntary) as failed from "
        "(select * from marts.mrr_monthly order by month desc limit 3) as recent",
    )[0]
    if failed["churned"]:
        lines.append(
            f"- Failed payments: {format_value(failed['failed'], 'money')} of "
            f"{format_value(failed['churned'], 'money')} churned MRR in the last 3 months; the rest was cancelled."
        )
    reasons = fetch_dicts(
        con,
        "select driver_1 as reason, count(*) as customers from (select * from marts.churn_risk "
        "where churn_probability_30d is not null order by churn_probability_30d desc limit 50) as riskiest "
        "where driver_1 is not null group by driver_1 order by customers desc, reason limit 3",
    )
    if reasons:
        listed = "; ".join(f"{row['reason']} ({row['customers']})" for row in reasons)
        lines.append(f"- The churn-risk model's leading reason for its 50 riskiest customers: {listed}.")
    lines.append("Causes beyond these splits (pricing, product, support) need Claude: set ANTHROPIC_API_KEY.")
    return "\n".join(lines)


def mrr_drivers(con: duckdb.DuckDBPyConnection) -> str:
    row = fetch_dicts(con, "select * from marts.mrr_monthly where is_complete_month order by month desc limit 1")
    if not row:
        return "No complete month of MRR yet."
    month = row[0]
    moves = [
        ("new", month["new_mrr"]),
        ("reactivation", month["reactivation_mrr"]),
        ("expansion", month["expansion_mrr"]),
        ("contraction", -month["contraction_mrr"]),
        ("churn", -month["churned_mrr"]),
        ("exchange rates", month["fx_mrr"]),
    ]
    parts = "; ".join(f"{name} {signed(value, 'money')}" for name, value in moves)
    return (
        f"What moved MRR in {month['month']:%B %Y} ({signed(month['mrr'] - month['previous_mrr'], 'money')} to "
        f"{format_value(month['mrr'], 'money')}): {parts}."
    )
