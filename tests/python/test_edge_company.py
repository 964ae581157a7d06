"""A small company whose every number was worked out by hand (see companies/edge_company).

Plans: basic 30/month, premium 50/month, quarterly 120 per 3 months (40 MRR), annual 360 per
12 months (30 MRR), pro 90/month. Snapshots Jan 31, Feb 28, Mar 31, Apr 30 (as_of_date is
2025-04-30, the last scan). User MRR at each snapshot:

  user  channel         Jan   Feb   Mar   Apr   story
  1     paid_search      30    50    50     0   basic, same-instant plan change to premium Feb 15, cancels Apr 15
  2     organic_search    0     0    30    30   premium Jan 5-20 never seen at a snapshot; basic from Mar 3 is `new`
  3     paid_search      40    40     0     -   quarterly from Jan 31 (active on its start day), ends on Mar 31
  4     referral          -    30    30    30   annual from Feb 1
  5     organic_search   30     0     -    30   payment failure Feb 10, back Apr 2 (`reactivation`)
  6     paid_social      30   120    30    30   basic plus an overlapping pro Feb 20 - Mar 25
  7     content           -     -     -     -   never pays
  8     referral          -    50    30    30   premium, plan change down to basic Mar 10
"""

from __future__ import annotations

from datetime import date

import pytest
from builds import COMPANIES, Build
from helpers import compare_channels, compare_monthly
from reference import cell, compute, load_raw, records

EXPECTED_MONTHLY = {
    # month: mrr, customers, new_mrr, reactivation, expansion, contraction, churned_mrr, new, reactivated, churned
    date(2025, 1, 1): (130, 4, 130, 0, 0, 0, 0, 4, 0, 0),
    date(2025, 2, 1): (290, 5, 80, 0, 110, 0, 30, 2, 0, 1),
    date(2025, 3, 1): (170, 5, 30, 0, 0, 110, 40, 1, 0, 1),
    date(2025, 4, 1): (150, 5, 0, 30, 0, 0, 50, 0, 1, 1),
}


def test_mrr_monthly_matches_hand_worked_values(edge_company: Build) -> None:
    monthly = edge_company.query("select * from marts.mrr_monthly order by month")
    assert list(monthly["month"].dt.date) == list(EXPECTED_MONTHLY)
    columns = [
        "mrr",
        "active_customers",
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "new_customers",
        "reactivated_customers",
        "churned_customers",
    ]
    for row, expected in zip(monthly.itertuples(), EXPECTED_MONTHLY.values(), strict=False):
        assert tuple(getattr(row, c) for c in columns) == pytest.approx(expected), row.month


def test_monthly_rates_match_hand_worked_values(edge_company: Build) -> None:
    rates = edge_company.query("select * from marts.mrr_monthly order by month").set_index(
        edge_company.query("select month from marts.mrr_monthly order by month")["month"].dt.date
    )
    feb, mar, apr = rates.loc[date(2025, 2, 1)], rates.loc[date(2025, 3, 1)], rates.loc[date(2025, 4, 1)]
    assert feb.customer_churn_rate == pytest.approx(1 / 4)
    assert feb.gross_mrr_churn_rate == pytest.approx(30 / 130)
    assert feb.net_mrr_retention == pytest.approx((130 + 110 - 30) / 130)
    assert feb.mrr_growth_rate == pytest.approx(160 / 130)
    assert feb.quick_ratio == pytest.approx((80 + 110) / 30)
    assert feb.arpu == pytest.approx(290 / 5)
    assert mar.customer_churn_rate == pytest.approx(1 / 5)
    assert mar.gross_mrr_churn_rate == pytest.approx((40 + 110) / 290)
    assert mar.net_mrr_retention == pytest.approx((290 - 110 - 40) / 290)
    assert mar.quick_ratio == pytest.approx(30 / 150)
    assert apr.net_mrr_retention == pytest.approx(120 / 170)
    assert apr.quick_ratio == pytest.approx(30 / 50)
    first = rates.iloc[0]
    assert first.customer_churn_rate != first.customer_churn_rate  # NaN: no previous customers
    assert first.quick_ratio != first.quick_ratio


def test_movements_per_user(edge_company: Build) -> None:
    rows = edge_company.query("select month, user_id, movement from marts.fct_mrr")
    movements = {(r["month"].date(), r["user_id"]): r["movement"] for r in records(rows)}
    assert movements[(date(2025, 3, 1), 2)] == "new"  # the January start-and-cancel never counted
    assert (date(2025, 1, 1), 2) not in movements
    assert movements[(date(2025, 1, 1), 3)] == "new"  # active on its start day, the Jan 31 snapshot
    assert movements[(date(2025, 3, 1), 3)] == "churn"  # ended on the Mar 31 snapshot
    assert movements[(date(2025, 2, 1), 1)] == "expansion"  # plan change, not churn + new
    assert movements[(date(2025, 2, 1), 5)] == "churn"
    assert movements[(date(2025, 4, 1), 5)] == "reactivation"
    assert movements[(date(2025, 2, 1), 6)] == "expansion"  # overlapping subscriptions add up
    assert movements[(date(2025, 3, 1), 6)] == "contraction"
    assert movements[(date(2025, 3, 1), 8)] == "contraction"
    assert movements[(date(2025, 3, 1), 4)] == "retained"
    assert not any(user == 7 for _, user in movements)


def test_channel_performance_matches_hand_worked_values(edge_company: Build) -> None:
    channels = edge_company.query("select * from marts.channel_performance").set_index("acquisition_channel")
    paid_search = channels.loc["paid_search"]
    # users 1 and 3: 2 new customers for 325 of spend (25 of it in December, before the first
    # signup); customer-months 30+50+50 and 40+40
    assert paid_search.cac == pytest.approx(162.5)
    assert paid_search.arpu_per_customer_month == pytest.approx(210 / 5)
    assert paid_search.customer_churn_rate == pytest.approx(2 / 5)
    assert paid_search.ltv == pytest.approx(42 * 0.8 / 0.4)
    assert paid_search.ltv_to_cac == pytest.approx(84 / 162.5)
    assert paid_search.cac_payback_months == pytest.approx(162.5 / (42 * 0.8))
    organic = channels.loc["organic_search"]
    assert organic.cac == 0 and organic.ltv_to_cac != organic.ltv_to_cac  # no spend: CAC 0, ratio null
    assert organic.arpu_per_customer_month == pytest.approx(30.0) and organic.customer_churn_rate == pytest.approx(0.5)
    referral = channels.loc["referral"]
    assert referral.customer_churn_rate == 0 and referral.ltv != referral.ltv  # no churn: LTV null
    content = channels.loc["content"]
    assert (content.signups, content.new_customers, content.spend_usd) == (1, 0, 80)
    assert content.cac != content.cac  # spend but no customers: null
    partnerships = channels.loc["partnerships"]  # spend only, no users: still a row
    assert (partnerships.signups, partnerships.spend_usd) == (0, 10)
    blended = channels.loc["all"]
    assert (blended.signups, blended.converted_users, blended.new_customers) == (8, 7, 7)
    assert blended.spend_usd == pytest.approx(465.0)
    assert blended.cac == pytest.approx(465 / 7)
    assert blended.arpu_per_customer_month == pytest.approx(740 / 19)
    assert blended.customer_churn_rate == pytest.approx(3 / 14)
    assert blended.ltv_to_cac == pytest.approx((740 / 19) * 0.8 / (3 / 14) / (465 / 7))


def test_mrr_daily_on_a_plan_change_day(edge_company: Build) -> None:
    day = edge_company.query("select * from marts.mrr_daily where date_day = '2025-02-15'").iloc[0]
    # basic ends and premium starts on Feb 15: active are 12 (50), 30 (40), 40 (30), 60 (30), 80 (50)
    assert (day.mrr, day.active_customers, day.active_subscriptions) == (200, 5, 5)
    assert (day.new_subscriptions, day.ended_subscriptions) == (1, 1)
    assert len(edge_company.query("select * from marts.mrr_daily")) == 31 + 28 + 31 + 30


def test_channel_monthly_keeps_spend_before_the_first_month(edge_company: Build) -> None:
    monthly = edge_company.query("select * from marts.channel_monthly")
    december = monthly[(monthly["month"] == "2024-12-01") & (monthly["acquisition_channel"] == "paid_search")]
    assert december["spend_usd"].tolist() == [25.0] and december["cac"].isna().all()
    assert monthly["spend_usd"].sum() == pytest.approx(465.0)
    assert len(monthly) == 5 * 6  # Dec-Apr for each of the 6 channels, every combination
    assert len(edge_company.query("select * from marts.mrr_monthly")) == 4  # the MRR months still start in January


def test_dim_users(edge_company: Build) -> None:
    users = edge_company.query("select * from marts.dim_users").set_index("user_id")
    assert cell(users, 2, "first_paid_month").date() == date(2025, 3, 1)
    assert bool(users.loc[2, "is_converted"]) and not bool(users.loc[7, "is_converted"])
    assert users.loc[1, "current_mrr"] == 0 and users.loc[5, "current_mrr"] == 30
    assert int(users["is_active_customer"].sum()) == 5


def test_marts_agree_with_reference_implementation(edge_company: Build) -> None:
    reference = compute(load_raw(COMPANIES / "edge_company"))
    compare_monthly(edge_company, reference)
    compare_channels(edge_company, reference)


def test_as_of_date_ignores_everything_later(edge_company_mid_march: Build) -> None:
    build = edge_company_mid_march
    monthly = build.query("select * from marts.mrr_monthly order by month")
    assert len(monthly) == 3
    march = monthly.iloc[-1]
    # Mar 15: the quarterly (ends Mar 31) and pro (ends Mar 25) have not ended yet; user 5 not back yet
    assert march.snapshot_date.date() == date(2025, 3, 15) and not march.is_complete_month
    assert (march.mrr, march.active_customers) == (300, 6)
    assert (march.new_mrr, march.contraction_mrr, march.churned_mrr) == (30, 20, 0)
    channels = build.query("select * from marts.channel_performance").set_index("acquisition_channel")
    assert "partnerships" not in channels.index  # its only spend is after as_of_date
    assert channels.loc["all", "spend_usd"] == pytest.approx(455.0)
    reference = compute(load_raw(COMPANIES / "edge_company"), as_of=date(2025, 3, 15))
    compare_monthly(build, reference)
    compare_channels(build, reference)
