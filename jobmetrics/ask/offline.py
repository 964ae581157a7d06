"""Answers that need no model: known metrics read from the marts, and plain-language explanations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from jobmetrics.ask import breakdowns
from jobmetrics.ask.catalog import Catalog
from jobmetrics.ask.questions import Question, parse
from jobmetrics.kpis import format_value, signed
from jobmetrics.warehouse import Row, fetch_dicts

OFFLINE_NOTE = "(Answered offline from the marts; set ANTHROPIC_API_KEY to ask open questions.)"

# What the two headline figures that are not KPIs mean in everyday words (the KPIs' words are in
# seeds/kpi_thresholds.csv, read through kpi_summary), and how to format them.
HEADLINES = {
    "mrr": (
        "The money the business earns every month from subscriptions, with quarterly and annual plans "
        "counted per month.",
        "money",
    ),
    "active_customers": ("How many people are paying at the end of the month.", "count"),
}
HEADLINE_LABELS = {"mrr": "MRR", "active_customers": "Active customers"}
HEADLINE_ALIASES = {"customers": "active_customers", "revenue": "mrr"}


def kpi_rows(con: duckdb.DuckDBPyConnection) -> dict[str, Row]:
    return {row["kpi"]: row for row in fetch_dicts(con, "select * from marts.kpi_summary")}


class UnknownMetric(Exception):
    """--explain was given a name that is neither a KPI nor a known metric; str() lists the known ones."""


def monthly_trend(
    con: duckdb.DuckDBPyConnection,
    column: str,
    unit: str,
    months: int = 3,
    shown: Callable[[Any, str], str] = format_value,
) -> str:
    rows = fetch_dicts(
        con, f"select month, is_complete_month, {column} as v from marts.mrr_monthly order by month desc limit {months}"
    )
    parts = [f"{r['month']:%b %Y}{'' if r['is_complete_month'] else ' (to date)'}: {shown(r['v'], unit)}" for r in rows]
    short = f" (only {len(rows)} months of data)" if len(rows) < months else ""
    return "; ".join(parts) + short


def explain(con: duckdb.DuckDBPyConnection, catalog: Catalog, metric: str, months: int = 3) -> str:
    """Definition, current value, how it moved and the benchmark, in words a non-analyst can follow."""
    key = resolve_metric(metric, catalog, con)
    if key is None:
        known = ", ".join(sorted(set(HEADLINES) | set(kpi_rows(con))))
        raise UnknownMetric(f"unknown metric {metric!r}; try one of: {known}")
    kpis = kpi_rows(con)
    lines = [f"{kpis[key]['label'] if key in kpis else HEADLINE_LABELS[key]} ({key})"]
    plain = kpis[key]["in_plain_words"] if key in kpis else HEADLINES[key][0]
    if plain:
        lines.append(f"In plain words: {plain}")
    definition = catalog.definition(key) or catalog.definition(key.removeprefix("kpi_"))
    if key in kpis:
        definition = kpis[key]["description"] or definition
    if definition:
        lines.append(f"How it is calculated: {definition}")
    if key in kpis:
        row = kpis[key]
        unit = row["unit"]
        if row["value"] is None:
            lines.append("Now: no value yet (no complete month, or nothing to measure).")
        else:
            moved = ""
            if row["previous_value"] is not None:
                direction = "up" if row["change"] > 0 else "down" if row["change"] < 0 else "unchanged"
                moved = f", {direction} from {format_value(row['previous_value'], unit)} the month before"
            lines.append(f"Now: {format_value(row['value'], unit)} in {row['month']:%B %Y}{moved}.")
        beyond = "below" if row["direction"] == "higher_is_better" else "above"
        lines.append(
            f"Benchmark: {row['benchmark_note']}. Warning {beyond} {format_value(row['warning'], unit)}, "
            f"critical {beyond} {format_value(row['critical'], unit)}; status now: {row['status']}."
        )
    else:
        lines.append(f"{recent(months)}: {monthly_trend(con, key, HEADLINES[key][1], months)}.")
    return "\n".join(lines)


def recent(months: int) -> str:
    return "Recent months" if months == 3 else f"The last {months} months"


def resolve_metric(name: str, catalog: Catalog, con: duckdb.DuckDBPyConnection) -> str | None:
    wanted = name.strip().lower().replace(" ", "_").replace("-", "_")
    kpis = kpi_rows(con)
    names = {(row["label"] or "").lower().replace(" ", "_"): kpi for kpi, row in kpis.items()}
    names |= {alias: kpi for kpi, row in kpis.items() for alias in (row["also_called"] or "").split()}
    names |= HEADLINE_ALIASES
    for candidate in (wanted, names.get(wanted)):
        if candidate and (candidate in kpis or candidate in HEADLINES):
            return candidate
    return None


def channels_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    rows = fetch_dicts(
        con,
        "select * from marts.channel_performance order by acquisition_channel = 'all', "
        "ltv_to_cac desc nulls last, acquisition_channel",
    )
    lines = [
        "Channel economics over the whole period (CAC = spend / new customers; LTV = ARPU x gross margin / churn):"
    ]
    for r in rows:
        lines.append(
            f"- {'all channels (blended)' if r['acquisition_channel'] == 'all' else r['acquisition_channel']}: "
            f"{r['new_customers']:,} new customers, spend "
            f"{format_value(r['spend_usd'], 'money')}, CAC {format_value(r['cac'], 'money')}, "
            f"LTV {format_value(r['ltv'], 'money')}, LTV:CAC {format_value(r['ltv_to_cac'], 'multiple')}, "
            f"payback {format_value(r['cac_payback_months'], 'months')}"
        )
    return "\n".join(lines)


def cohorts_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    rows = fetch_dicts(
        con,
        "select cohort_month, cohort_customers, logo_retention_rate from marts.cohort_retention "
        "where months_since_start = 1 order by cohort_month desc limit 3",
    )
    latest = "; ".join(
        f"{r['cohort_month']:%b %Y} cohort {format_value(r['logo_retention_rate'], 'rate')} "
        f"of {r['cohort_customers']:,}"
        for r in rows
    )
    return f"Month-1 logo retention of the latest cohorts: {latest}.\n" + explain(con, catalog, "month1_logo_retention")


def churn_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    segments = fetch_dicts(
        con,
        "select segment, customer_churn_rate from marts.segment_performance "
        "where segment != 'all' order by customer_churn_rate desc",
    )
    by_segment = ", ".join(f"{s['segment']} {format_value(s['customer_churn_rate'], 'rate')}" for s in segments)
    gross = kpi_rows(con)["gross_mrr_churn_rate"]["value"]
    return (
        explain(con, catalog, "customer_churn_rate")
        + f"\n{recent(question.trend_months)}: "
        + f"{monthly_trend(con, 'customer_churn_rate', 'rate', question.trend_months)}."
        + f"\nBy segment, whole period: {by_segment}."
        + f"\nGross MRR churn: {format_value(gross, 'rate')}."
    )


def churn_risk_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    """The customers the churn-risk model scores highest, with the drivers of each score, and the MRR at risk."""
    del catalog  # the words come from the mart's own drivers
    riskiest = fetch_dicts(
        con,
        "select * from marts.churn_risk where churn_probability_30d is not null "
        "order by churn_probability_30d desc, user_id limit 5",
    )
    if not riskiest:
        return "No paying customer has a churn-risk score: the score needs paying customers and five weeks of history."
    totals = fetch_dicts(
        con,
        "select count(*) as customers, sum(expected_mrr_at_risk) as at_risk, sum(mrr) as mrr, "
        "max(as_of_date) as as_of_date from marts.churn_risk",
    )[0]
    model = fetch_dicts(con, "select any_value(auc) as auc from marts.churn_model_evaluation where scored_by = 'model'")
    lines = ["The customers most likely to stop paying in the next 30 days, and the strongest reasons the model sees:"]
    for row in riskiest:
        drivers = "; ".join(row[f"driver_{rank}"] for rank in (1, 2, 3) if row[f"driver_{rank}"])
        lines.append(
            f"- customer {row['user_id']} ({row['plan_name']}, {format_value(row['mrr'], 'money')} MRR): "
            f"{format_value(row['churn_probability_30d'], 'rate')}; {drivers}."
        )
    lines.append(
        f"Across all {totals['customers']:,} paying customers, {format_value(totals['at_risk'], 'money')} of "
        f"{format_value(totals['mrr'], 'money')} MRR is expected to be lost in the 30 days after "
        f"{totals['as_of_date']:%Y-%m-%d}."
    )
    if model and model[0]["auc"] is not None:
        lines.append(
            f"On weeks it never saw, the model ranked a customer who left above one who stayed "
            f"{model[0]['auc']:.0%} of the time (AUC {model[0]['auc']:.3f}); marts.churn_risk lists everyone."
        )
    return "\n".join(lines)


def conversion_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    segments = fetch_dicts(
        con,
        "select segment, conversion_rate, conversion_lift_vs_all "
        "from marts.segment_performance order by conversion_rate desc",
    )
    by_segment = ", ".join(f"{s['segment']} {format_value(s['conversion_rate'], 'rate')}" for s in segments)
    return explain(con, catalog, "conversion_rate") + f"\nBy segment: {by_segment}."


def match_rate_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    lift = fetch_dicts(
        con,
        "select avg_lift as lift, share_of_jobs_reaching_target as reached from marts.match_rate_by_iteration limit 1",
    )[0]
    return (
        explain(con, catalog, "avg_match_rate") + f"\nIterating on one job lifts the match rate by "
        f"{lift['lift']:.1f} points on average; {format_value(lift['reached'], 'rate')} of jobs reach "
        "the target match rate."
    )


def experiments_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    rows = fetch_dicts(con, "select * from marts.experiment_summary order by srm_flag, experiment_id")
    if not rows:
        return (
            "No experiments in the warehouse: bring raw_experiments and raw_experiment_assignments with the raw "
            "files to read A/B tests here."
        )
    lines = ["Experiments (users whose window has ended; conversion decides, a sample-ratio mismatch overrules):"]
    lines += [f"- {r['experiment_id']} ({r['users']:,} users, {r['variants']} variants): {r['verdict']}." for r in rows]
    return "\n".join(lines)


def fx_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    """What exchange rates alone did to MRR (mrr_monthly.fx_mrr), month by month and over the last twelve."""
    rows = fetch_dicts(
        con, "select month, is_complete_month, fx_mrr, reporting_currency from marts.mrr_monthly order by month desc"
    )
    currency = rows[0]["reporting_currency"] if rows else "USD"
    year = sum(row["fx_mrr"] for row in rows[:12])
    if all(abs(row["fx_mrr"]) < 0.005 for row in rows):
        return f"Exchange rates moved no MRR: every paying customer is billed in {currency}, the reporting currency."
    definition = catalog.definition("fx_mrr") or ""
    return (
        f"Exchange rates changed MRR by {signed(year, 'money')} over the last {min(len(rows), 12)} months "
        f"(in {currency}). {recent(question.trend_months)}: "
        f"{monthly_trend(con, 'fx_mrr', 'money', question.trend_months, shown=signed)}.\n"
        f"How it is calculated: {definition}".rstrip()
    )


def trials_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    """Trial conversion (marts.trial_conversion), the latest months and all months whose trials have ended."""
    rows = fetch_dicts(con, "select * from marts.trial_conversion order by trial_month desc")
    if not rows:
        return "No trials in the billing data: trials come from Stripe subscriptions with a trial_start."
    ended = [row for row in rows if row["all_trials_ended"]]
    started, converted = sum(r["trials_started"] for r in ended), sum(r["trials_converted"] for r in ended)
    recent = "; ".join(
        f"{r['trial_month']:%b %Y}{'' if r['all_trials_ended'] else ' (trials still running)'}: "
        f"{r['trials_converted']:,} of {r['trials_started']:,} ({format_value(r['conversion_rate'], 'rate')})"
        for r in rows[:3]
    )
    rate = format_value(converted / started, "rate") if started else ""
    overall = (
        f"Of the {started:,} trials that have ended, {converted:,} converted ({rate})."
        if started
        else "No month's trials have all ended yet."
    )
    definition = catalog.definition("trial_conversion_rate") or ""
    return f"{overall} Recent months: {recent}.\nHow it is calculated: {definition}".rstrip()


def failed_payments_answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
    """Churn from failed payments (mrr_monthly.churned_mrr_involuntary) beside all churned MRR."""
    del catalog
    rows = fetch_dicts(
        con,
        "select month, is_complete_month, churned_mrr, churned_mrr_involuntary from marts.mrr_monthly "
        f"order by month desc limit {question.trend_months}",
    )
    parts = [
        f"{r['month']:%b %Y}{'' if r['is_complete_month'] else ' (to date)'}: "
        f"{format_value(r['churned_mrr_involuntary'], 'money')} of "
        f"{format_value(r['churned_mrr'], 'money')} churned MRR"
        for r in rows
    ]
    return (
        "Churned MRR from failed payments (customers whose renewal invoice was uncollectible on the month's last "
        f"day), beside all churned MRR: {'; '.join(parts)}."
    )


Answerer = Callable[[duckdb.DuckDBPyConnection, Catalog, Question], str]


def kpi_trend_answer(kpi: str) -> Answerer:
    def answer_kpi(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: Question) -> str:
        unit = kpi_rows(con)[kpi]["unit"]
        months = question.trend_months
        return explain(con, catalog, kpi) + f"\n{recent(months)}: {monthly_trend(con, kpi, unit, months)}."

    return answer_kpi


def explain_answer(metric: str) -> Answerer:
    return lambda con, catalog, question: explain(con, catalog, metric, question.trend_months)


# topics whose answer gives its own reasons or verdicts (the churn-risk drivers, an experiment's verdict), so "why"
# is answered by them; none of them is split by channel or segment offline
GIVE_THEIR_REASONS: set[Answerer] = {
    experiments_answer,
    fx_answer,
    trials_answer,
    cohorts_answer,
    churn_risk_answer,
    failed_payments_answer,
    match_rate_answer,
}

# Topics are tried in order: the first whose keywords appear in the question answers it.
TOPICS: list[tuple[tuple[str, ...], Answerer]] = [
    (("experiment", "a/b", "ab test", "a b test", "variant", "winner", " won"), experiments_answer),
    (("fx", "exchange rate", "currency", "currencies", "foreign exchange"), fx_answer),
    (("trial",), trials_answer),
    (("ltv", "cac", "channel", "invest", "acquisition", "payback"), channels_answer),
    (("cohort", "logo retention", "month-1", "month 1"), cohorts_answer),
    (("nrr", "net revenue retention", "net mrr retention", "net retention"), kpi_trend_answer("net_mrr_retention")),
    (
        ("likely to churn", "likely to leave", "likely to cancel", "churn risk", "at risk", "at-risk", "will churn"),
        churn_risk_answer,
    ),
    (("failed payment", "payment fail", "involuntary", "uncollectible", "dunning"), failed_payments_answer),
    (("churn", "cancel"), churn_answer),
    (("arpu", "revenue per user", "average revenue"), kpi_trend_answer("arpu")),
    (("conversion", "convert", "free to paid", "free-to-paid", "funnel"), conversion_answer),
    (("match rate", "match rates", "matching", "resume score"), match_rate_answer),
    (("growth", "growing", "grow"), kpi_trend_answer("mrr_growth_rate")),
    (("mrr", "recurring revenue", "revenue"), explain_answer("mrr")),
    (("customers", "subscribers", "paying users"), explain_answer("active_customers")),
]


def answer(con: duckdb.DuckDBPyConnection, catalog: Catalog, question: str) -> str | None:
    """A deterministic answer to a question about known metrics, honouring the split and the period it asks for;
    None when the question is open; breakdowns.NeedsModel when it asks what offline answers cannot give."""
    asked = parse(question)
    respond = next((respond for words, respond in TOPICS if any(word in asked.text for word in words)), None)
    text = None
    if respond in GIVE_THEIR_REASONS:
        if asked.split is not None:
            raise breakdowns.NeedsModel(f"{breakdowns.OFFLINE_SPLITS}, not split by {asked.split}")
    elif asked.asks_why:
        text = breakdowns.why_answer(con, asked)
    elif asked.split is not None:
        text = breakdowns.split_answer(con, asked)
    if not text and respond is not None:  # no split or cause asked, or the split is the topic's own (LTV by channel)
        text = respond(con, catalog, asked)
    return None if text is None else text + "\n" + OFFLINE_NOTE


def insights(con: duckdb.DuckDBPyConnection) -> str:
    """Deterministic insights and recommendations, most urgent first, from KPIs, channels, segments and anomalies."""
    kpis = sorted(kpi_rows(con).values(), key=lambda k: {"critical": 0, "warning": 1, "no_data": 2}.get(k["status"], 3))
    lines = ["Insights"]
    for k in kpis:
        if k["status"] in ("critical", "warning"):
            lines.append(
                f"- {k['status'].upper()}: {k['label']} is {format_value(k['value'], k['unit'])} "
                f"({k['benchmark_note']})."
            )
    healthy = [k["label"] for k in kpis if k["status"] == "ok"]
    if healthy:
        lines.append(f"- Healthy: {', '.join(healthy)}.")
    channels = fetch_dicts(
        con,
        "select * from marts.channel_performance where acquisition_channel != 'all' "
        "and ltv_to_cac is not null order by ltv_to_cac desc",
    )
    segments = fetch_dicts(
        con, "select * from marts.segment_performance where segment != 'all' order by conversion_lift_vs_all desc"
    )
    anomalies = fetch_dicts(
        con,
        "select * from marts.metric_anomalies where is_bad and date_day > "
        "(select max(date_day) from marts.metric_daily_scores) - 7 order by date_day",
    )
    for a in anomalies:
        lines.append(f"- {a['severity'].upper()} anomaly {a['date_day']:%Y-%m-%d}: {a['metric']} {a['direction']}.")
    lines.append("Recommendations")
    if channels:
        best, worst = channels[0], channels[-1]
        lines.append(
            f"1. Shift paid budget toward {best['acquisition_channel']} (LTV:CAC "
            f"{format_value(best['ltv_to_cac'], 'multiple')}) and away from {worst['acquisition_channel']} "
            f"({format_value(worst['ltv_to_cac'], 'multiple')})."
        )
    if segments:
        top, low = segments[0], segments[-1]
        lines.append(
            f"2. Target {top['segment']} (converts {top['conversion_lift_vs_all']:+.0%} vs all); "
            f"rethink onboarding for {low['segment']} ({low['conversion_lift_vs_all']:+.0%})."
        )
    urgent = [k for k in kpis if k["status"] == "critical"]
    if urgent:
        lines.append(f"3. Investigate {urgent[0]['label']} first: it is past its critical threshold.")
    return "\n".join(lines) + "\n" + OFFLINE_NOTE
