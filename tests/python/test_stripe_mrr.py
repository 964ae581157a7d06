"""MRR from Stripe's tables, against the vendors' worked examples and cases worked by hand (stripe_companies.py
describes each company and where its numbers come from). One build holds the four companies as tenants."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import stripe_companies
from builds import Build, build_from, project_parse, shared_build

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def stripe_build(shared_dir: Path) -> Build:
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        raw_dir = work / "raw"
        stripe_companies.write_all(raw_dir)
        return build_from(raw_dir, work, "--vars", f"{{as_of_date: '{stripe_companies.AS_OF}'}}", parsed=parsed)

    return shared_build(shared_dir, "stripe-examples", make)


def monthly(build: Build, tenant: str) -> pd.DataFrame:
    frame = build.query(f"select * from marts.mrr_monthly where tenant_id = '{tenant}' order by month")
    return frame.set_index(frame["month"].dt.strftime("%Y-%m"))


def user_mrr(build: Build, tenant: str, month: str) -> dict[int, float]:
    frame = build.query(
        f"select user_id, mrr from marts.fct_mrr where tenant_id = '{tenant}' and month = date '{month}-01' and mrr > 0"
    )
    return dict(zip(frame["user_id"], frame["mrr"], strict=True))


def test_stripe_glossary_example_is_12500(stripe_build: Build) -> None:
    """Stripe's glossary: 100 x $100 a month + 50 x $600 a year = $12,500."""
    december = monthly(stripe_build, "stripe-glossary").loc["2025-12"]
    assert december.mrr == pytest.approx(12_500)
    assert december.active_customers == 150
    assert december.new_mrr == pytest.approx(10_000)
    assert december.reporting_currency == "USD"


def test_chartmogul_walkthrough_movements(stripe_build: Build) -> None:
    """ChartMogul: a yearly $2,000 plan for 4 seats is new MRR of $166.67; then expansion, contraction, churn
    and reactivation on the days they happen (a prorated seat change moves MRR on its day)."""
    months = monthly(stripe_build, "chartmogul")
    expected = {  # month: (mrr, new, expansion, contraction, churned, reactivation)
        "2025-01": (166.666667, 166.666667, 0, 0, 0, 0),
        "2025-02": (166.666667, 0, 0, 0, 0, 0),
        "2025-03": (186.666667, 0, 20, 0, 0, 0),
        "2025-06": (145, 0, 0, 41.666667, 0, 0),
        "2025-08": (125, 0, 0, 20, 0, 0),
        "2025-09": (0, 0, 0, 0, 125, 0),
        "2025-10": (0, 0, 0, 0, 0, 0),
        "2025-11": (100, 0, 0, 0, 0, 100),
        "2025-12": (100, 0, 0, 0, 0, 0),
    }
    for month, values in expected.items():
        row = months.loc[month]
        found = (row.mrr, row.new_mrr, row.expansion_mrr, row.contraction_mrr, row.churned_mrr, row.reactivation_mrr)
        assert found == pytest.approx(values, abs=1e-6), month
    assert months.loc["2025-09"].churned_mrr_involuntary == 0


def test_discounts_come_off_and_tax_never_counts(stripe_build: Build) -> None:
    """ProfitWell: $120 a year with 10% off is $9; $10 a month with 10% off is $9, then $10 when the coupon ends.
    Baremetrics: a 50% coupon makes $10 into $5. Tax is never MRR."""
    assert user_mrr(stripe_build, "discounts", "2025-01") == pytest.approx({1: 9, 2: 9, 3: 5, 4: 50})
    assert user_mrr(stripe_build, "discounts", "2025-04") == pytest.approx({1: 9, 2: 10, 3: 5, 4: 50})
    months = monthly(stripe_build, "discounts")
    assert months.loc["2025-04"].expansion_mrr == pytest.approx(1)
    # given up to discounts: $1 on the yearly plan, $1 on the monthly coupon (to March), $5 on the 50% coupon
    assert months.loc["2025-01"].discount_mrr == pytest.approx(7)
    assert months.loc["2025-04"].discount_mrr == pytest.approx(6)


def test_hand_worked_currencies_intervals_trials_pauses_and_failures(stripe_build: Build) -> None:
    january = user_mrr(stripe_build, "hand-worked", "2025-01")
    assert january == pytest.approx({1: 8.04, 4: 30, 5: 40, 6: 110})  # the trial (user 3) is never a customer
    december = user_mrr(stripe_build, "hand-worked", "2025-12")
    assert december == pytest.approx({1: 8.04, 2: 7 * 52 / 12, 4: 30, 6: 120}, abs=1e-6)
    months = monthly(stripe_build, "hand-worked")
    assert (months.loc["2025-04"].churned_mrr, months.loc["2025-04"].churned_mrr_involuntary) == pytest.approx((40, 40))
    assert (months.loc["2025-05"].churned_mrr, months.loc["2025-05"].churned_mrr_involuntary) == pytest.approx((30, 0))
    assert months.loc["2025-06"].reactivation_mrr == pytest.approx(30)


def test_an_fx_only_month_moves_mrr_through_fx_mrr_alone(stripe_build: Build) -> None:
    """The euro customer pays €100 throughout; the rate goes from 1.10 to 1.20 on March 1."""
    march = monthly(stripe_build, "hand-worked").loc["2025-03"]
    assert march.fx_mrr == pytest.approx(10)
    assert march.mrr - march.previous_mrr == pytest.approx(10)
    movements = (march.new_mrr, march.reactivation_mrr, march.expansion_mrr, march.contraction_mrr, march.churned_mrr)
    assert movements == pytest.approx((0, 0, 0, 0, 0))
    rows = stripe_build.query(
        "select currency, mrr_in_currency, fx_rate from marts.fct_mrr "
        "where tenant_id = 'hand-worked' and user_id = 6 and month = date '2025-03-01'"
    )
    assert rows.to_dict("records") == [{"currency": "EUR", "mrr_in_currency": 100.0, "fx_rate": 1.2}]


def test_the_bridge_adds_up_in_every_month_of_every_company(stripe_build: Build) -> None:
    frame = stripe_build.query("select * from marts.mrr_monthly")
    bridge = (
        frame.new_mrr
        + frame.reactivation_mrr
        + frame.expansion_mrr
        - frame.contraction_mrr
        - frame.churned_mrr
        + frame.fx_mrr
    )
    assert (frame.mrr - frame.previous_mrr - bridge).abs().max() < 1e-6
    assert stripe_build.returncode == 0, stripe_build.output[-3000:]
