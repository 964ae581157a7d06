"""What `jobmetrics ask` answers without an API key, question by question: the figures of the question asked (its
split, its period) from the marts, or a sentence saying what offline answers can give and that the question needs
Claude. Never another question's figures. The warehouse is the committed sample's (conftest's default_company).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from builds import Build

from jobmetrics.ask import engine
from jobmetrics.kpis import format_value, signed

Expected = Callable[[Build], list[str]]  # what the answer must contain ("!text": must not), read from the build
NEEDS_CLAUDE = "this question needs Claude; set ANTHROPIC_API_KEY"


def by_split(column: str, measure: str) -> Expected:
    """Each channel's or segment's MRR, paying customers or ARPU in the overview's month, summed from fct_mrr."""

    def expected(build: Build) -> list[str]:
        rows = build.query(
            f"select {column}, sum(mrr) as mrr, count(*) filter (where mrr > 0) as customers from marts.fct_mrr "
            f"where month = (select max(month) from marts.mrr_monthly) group by {column}"
        )
        unit = "count" if measure == "customers" else "money"
        values = rows["mrr"] / rows["customers"] if measure == "arpu" else rows[measure]
        return [format_value(value, unit) for value in values]

    return expected


def rates(mart: str, measure: str) -> Expected:
    return lambda build: [
        format_value(value, "rate") for value in build.query(f"select {measure} from marts.{mart}")[measure]
    ]


def last_months(column: str, unit: str, months: int) -> Expected:
    """The newest `months` months of an mrr_monthly column, and not the month before them."""

    def expected(build: Build) -> list[str]:
        rows = build.query(f"select month, {column} from marts.mrr_monthly order by month desc limit {months + 1}")
        shown = [f"{month:%b %Y}" for month in rows["month"]]
        values = [format_value(value, unit) for value in rows[column]]
        assert len(rows) == months + 1, "the sample has fewer months than the question asks for"
        return [*shown[:months], *values[:months], f"!{shown[months]}"]

    return expected


def kpi(name: str) -> Expected:
    def expected(build: Build) -> list[str]:
        row = build.query(f"select value, unit from marts.kpi_summary where kpi = '{name}'").iloc[0]
        return [format_value(row["value"], row["unit"])]

    return expected


def headline(column: str, unit: str) -> Expected:
    return lambda build: [
        format_value(
            build.query(f"select {column} from marts.mrr_monthly order by month desc limit 1").iloc[0, 0], unit
        )
    ]


def movements(build: Build) -> list[str]:
    month = build.query("select * from marts.mrr_monthly where is_complete_month order by month desc limit 1").iloc[0]
    return [
        f"{month['month']:%B %Y}",
        signed(month["new_mrr"], "money"),
        signed(-month["churned_mrr"], "money"),
        signed(month["mrr"] - month["previous_mrr"], "money"),
    ]


def channel_economics(measure: str, unit: str) -> Expected:
    return lambda build: [
        format_value(value, unit)
        for value in build.query(f"select {measure} from marts.channel_performance where {measure} is not null")[
            measure
        ]
    ]


def cohorts(build: Build) -> list[str]:
    rows = build.query(
        "select logo_retention_rate from marts.cohort_retention where months_since_start = 1 "
        "order by cohort_month desc limit 3"
    )
    return [format_value(value, "rate") for value in rows["logo_retention_rate"]]


def riskiest(build: Build) -> list[str]:
    rows = build.query("select user_id from marts.churn_risk order by churn_probability_30d desc, user_id limit 1")
    return [f"customer {rows['user_id'].iloc[0]} "]


def experiments(build: Build) -> list[str]:
    return list(build.query("select verdict from marts.experiment_summary")["verdict"])


def failed_payments(build: Build) -> list[str]:
    rows = build.query("select churned_mrr_involuntary from marts.mrr_monthly order by month desc limit 3")
    return ["failed payments", *(format_value(value, "money") for value in rows["churned_mrr_involuntary"])]


def words(*texts: str) -> Expected:
    return lambda build: list(texts)


def needs_claude(reason: str) -> Expected:
    """Refused with exit 5, saying what offline answers can give (`reason`) and that Claude is needed."""
    return lambda build: [NEEDS_CLAUDE, reason] if reason else [NEEDS_CLAUDE]


QUESTIONS: list[tuple[str, Expected]] = [
    ("What's our MRR?", headline("mrr", "money")),
    ("How many paying customers do we have?", headline("active_customers", "count")),
    ("MRR by channel?", by_split("acquisition_channel", "mrr")),
    ("What is our revenue by acquisition channel?", by_split("acquisition_channel", "mrr")),
    ("MRR per segment", by_split("segment", "mrr")),
    ("How many customers by channel?", by_split("acquisition_channel", "customers")),
    ("ARPU by segment", by_split("segment", "arpu")),
    ("revenue by country?", needs_claude("not MRR by country")),
    ("How many customers per plan?", needs_claude("not Customers by plan")),
    ("LTV:CAC by segment", needs_claude("not LTV:CAC by segment")),
    ("What's our churn rate?", kpi("customer_churn_rate")),
    ("Customer churn by segment", rates("segment_performance", "customer_churn_rate")),
    ("churn by channel", rates("channel_performance", "customer_churn_rate")),
    ("conversion by channel", rates("channel_performance", "conversion_rate")),
    ("Free-to-paid conversion by segment", rates("segment_performance", "conversion_rate")),
    ("What was MRR over the last 6 months?", last_months("mrr", "money", 6)),
    ("Customer churn over the past ten months", last_months("customer_churn_rate", "rate", 10)),
    ("How has ARPU moved over the last two months?", last_months("arpu", "money", 2)),
    ("MRR over the last 0 months", last_months("mrr", "money", 1)),
    ("NRR last quarter", last_months("net_mrr_retention", "rate", 3)),
    ("What's driving our churn?", rates("segment_performance", "customer_churn_rate")),
    ("Why did MRR drop last month?", movements),
    ("Why is conversion so low?", needs_claude("not why Conversion moved")),
    ("Which channel should we invest in?", channel_economics("ltv_to_cac", "multiple")),
    ("CAC by channel", channel_economics("cac", "money")),
    ("What's our LTV to CAC?", channel_economics("ltv_to_cac", "multiple")),
    ("How are the latest cohorts retaining?", cohorts),
    ("Who is likely to churn next month?", riskiest),
    ("Who is most likely to churn next month, and why?", riskiest),  # the model's drivers are its why
    ("Which customers will churn by next month?", riskiest),
    ("Did the experiments win by segment?", needs_claude("not split by segment")),
    ("How much MRR did FX cost us?", words("Exchange rates moved no MRR", "billed in USD")),
    ("What is our trial conversion?", words("No trials in the billing data")),
    ("How much churn comes from failed payments?", failed_payments),
    ("Did the onboarding experiment win?", experiments),
    ("What's our average match rate?", kpi("avg_match_rate")),
    ("Are we growing?", kpi("mrr_growth_rate")),
    ("Write a poem about our board meeting", needs_claude("")),
    ("Which country has the most users?", needs_claude("")),
]


@pytest.fixture(scope="module")
def warehouse(default_company: Build, monkeypatch_module: pytest.MonkeyPatch) -> Path:
    monkeypatch_module.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch_module.setenv("JOBMETRICS_MANIFEST", str(default_company.workdir / "target" / "manifest.json"))
    return default_company.db


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.build
@pytest.mark.parametrize(("question", "expected"), QUESTIONS, ids=[question for question, _ in QUESTIONS])
def test_an_offline_answer_answers_the_question_asked_or_says_it_needs_claude(
    question: str, expected: Expected, warehouse: Path, default_company: Build
) -> None:
    try:
        text = engine.answer(engine.Request(db=warehouse, question=question)).text
        code = 0
    except engine.AskFailed as failure:
        text, code = str(failure), failure.code
    wanted = expected(default_company)
    assert code == (engine.EXIT_NEEDS_KEY if NEEDS_CLAUDE in wanted else 0), text
    for part in wanted:  # "!text": must not be there
        assert (part[1:] not in text) if part.startswith("!") else (part in text), (part, text)


@pytest.mark.build
def test_a_period_longer_than_the_data_says_how_many_months_there_are(warehouse: Path) -> None:
    text = engine.answer(engine.Request(db=warehouse, question="MRR over the last 24 months")).text
    assert "(only 12 months of data)" in text and "Jan 2025" in text
