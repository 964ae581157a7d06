"""Growth and product marts on the edge-case company, against values worked out by hand.

Scans (companies/edge_company/raw_scans.csv), with signup times from raw_users.csv:
  user 1  3 scans, but the third (Jan 20) is after signup + 14 days (Jan 16 08:00): not engaged
  user 2  one scan on Apr 30: scanned, not engaged
  user 3  third scan at Jan 19 09:59:59, one second inside the 14-day window: engaged, converts Jan 31
  user 4  third scan exactly at signup + 14 days (Feb 3 11:00): not engaged
  user 5  never scans, though a customer: stops at signed_up
  user 6  3 scans Jan 2-4: engaged; customer from Jan 3
  user 7  3 scans Feb 10-12 on job 200: engaged, never pays
  user 8  4 scans Feb 1-3, two of them at the same instant (ids 20 and 22): engaged, customer from Feb 5
"""

from __future__ import annotations

from datetime import date

import pytest
from builds import Build
from reference import records


def test_funnel_totals_and_nesting(edge_company: Build) -> None:
    funnel = edge_company.query("select * from marts.conversion_funnel")
    totals = funnel.groupby("step")["users"].sum().to_dict()
    # engaged: 3, 6, 7, 8; of them converted and retained: 3 (Feb 40), 6 (Feb 120), 8 (new Feb, Mar 30)
    assert totals == {"signed_up": 8, "scanned": 7, "engaged": 4, "converted": 3, "retained": 3}
    assert len(funnel) == 8 * 5  # 8 channel x segment pairs, one user each, every step listed
    user_7 = funnel[(funnel["acquisition_channel"] == "content") & (funnel["segment"] == "recent_graduate")]
    assert user_7.sort_values("step_order")["users"].tolist() == [1, 1, 1, 0, 0]
    nan = float("nan")
    assert user_7.sort_values("step_order")["pct_of_previous_step"].tolist() == pytest.approx(
        [nan, 1.0, 1.0, 0.0, nan],
        nan_ok=True,  # 0 of 0 at `retained` is null, not 0
    )
    assert user_7.sort_values("step_order")["pct_of_signups"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    user_5 = funnel[(funnel["acquisition_channel"] == "organic_search") & (funnel["segment"] == "active_job_seeker")]
    assert user_5.sort_values("step_order")["users"].tolist() == [1, 0, 0, 0, 0]


def test_conversion_by_signup_month(edge_company: Build) -> None:
    months = edge_company.query("select * from marts.conversion_by_signup_month order by signup_month")
    # January: users 2 (2 days), 5 (1.8 days), 6 (17 hours) within 7 days; 1 (8 days), 3 (25.9), 4 (11.5) within 30
    january, february = months.iloc[0], months.iloc[1]
    assert (january.users, january.converted_7d, january.converted_30d, january.converted_90d) == (6, 3, 6, 6)
    assert january.conversion_rate_7d == pytest.approx(0.5)
    # February: user 8 in 3.6 days; user 7 never
    assert (february.users, february.converted_7d, february.converted_90d) == (2, 1, 1)
    assert not months["has_full_90_day_window"].any()  # Jan 31 + 90 days is after Apr 30


def test_cohort_retention(edge_company: Build) -> None:
    cohorts = edge_company.query("select * from marts.cohort_retention order by cohort_month, months_since_start")
    got = {
        (r["cohort_month"].date(), r["months_since_start"]): (
            r["cohort_customers"],
            r["retained_customers"],
            r["cohort_mrr"],
        )
        for r in records(cohorts)
    }
    assert got == {
        # January: users 1, 3, 5, 6; user 5 is back in April (a reactivation, still the January cohort)
        (date(2025, 1, 1), 0): (4, 4, 130),
        (date(2025, 1, 1), 1): (4, 3, 210),
        (date(2025, 1, 1), 2): (4, 2, 80),
        (date(2025, 1, 1), 3): (4, 2, 60),
        # February: users 4 and 8
        (date(2025, 2, 1), 0): (2, 2, 80),
        (date(2025, 2, 1), 1): (2, 2, 60),
        (date(2025, 2, 1), 2): (2, 2, 60),
        # March: user 2, whose January start-and-cancel never made a cohort
        (date(2025, 3, 1), 0): (1, 1, 30),
        (date(2025, 3, 1), 1): (1, 1, 30),
    }
    january = cohorts[cohorts["cohort_month"] == "2025-01-01"]
    assert january["logo_retention_rate"].tolist() == pytest.approx([1, 0.75, 0.5, 0.5])
    assert january["revenue_retention_rate"].tolist() == pytest.approx([1, 210 / 130, 80 / 130, 60 / 130])


def test_segment_performance(edge_company: Build) -> None:
    segments = edge_company.query("select * from marts.segment_performance").set_index("segment")
    seekers = segments.loc["active_job_seeker"]  # users 1, 5, 8
    assert (seekers.users, seekers.converted_users, seekers.active_customers) == (3, 3, 2)
    assert seekers.mrr == pytest.approx(60) and seekers.current_arpu == pytest.approx(30)
    # churned: 5 (Feb), 1 (Apr); previous-month customers: 1 in Feb, Mar, Apr; 5 in Feb; 8 in Mar, Apr
    assert seekers.customer_churn_rate == pytest.approx(2 / 6)
    assert seekers.scans == 7 and seekers.scans_per_user == pytest.approx(7 / 3)
    assert seekers.avg_match_rate == pytest.approx((52 + 68 + 70 + 50 + 65 + 70 + 60) / 7)
    assert seekers.conversion_lift_vs_all == pytest.approx(1 / (7 / 8) - 1)
    graduates = segments.loc["recent_graduate"]  # users 3 and 7
    assert graduates.conversion_rate == 0.5 and graduates.conversion_lift_vs_all == pytest.approx(0.5 / 0.875 - 1)
    blended = segments.loc["all"]
    assert (blended.users, blended.converted_users, blended.active_customers, blended.scans) == (8, 7, 5, 21)
    assert blended.customer_churn_rate == pytest.approx(3 / 14) and blended.conversion_lift_vs_all == 0


def test_fct_scans_iterations_and_paying(edge_company: Build) -> None:
    scans = edge_company.query("select * from marts.fct_scans").set_index("scan_id")
    assert scans.loc[[19, 20, 22, 21], "iteration"].tolist() == [1, 2, 3, 1]  # same instant: by scan_id
    # paying on the scan's date: 3 (user 1 from Jan 10), 14 and 16 (user 6 from Jan 3), 12 (user 4 from Feb 1), 6
    assert sorted(scans.index[scans["is_paying_at_scan"]]) == [3, 6, 12, 14, 16]
    assert scans.loc[3, "days_since_signup"] == 18


def test_match_rate_lift(edge_company: Build) -> None:
    lift = edge_company.query("select * from marts.match_rate_lift").set_index(["user_id", "job_id"])
    assert len(lift) == 10
    assert tuple(
        lift.loc[(8, 500), ["iterations", "first_match_rate", "best_match_rate", "last_match_rate", "lift"]]
    ) == (3, 50, 65, 60, 15)
    assert tuple(lift.loc[(4, 600), ["first_match_rate", "best_match_rate", "lift"]]) == (55, 58, 3)
    assert lift["reached_target_match_rate"].sum() == 2  # user 2 job 300 (81), user 3 job 400 (85)


def test_scans_daily_and_engagement(edge_company: Build) -> None:
    daily = edge_company.query("select * from marts.scans_daily").set_index("date_day")
    assert daily["scans"].sum() == 21 and daily["signups"].sum() == 8
    feb_2 = daily.loc["2025-02-02"]
    assert (feb_2.scans, feb_2.scanning_users, feb_2.new_scanning_users) == (2, 1, 0)
    assert feb_2.avg_match_rate == pytest.approx(62.5)
    assert daily["new_scanning_users"].sum() == 7
    engagement = edge_company.query("select * from marts.engagement_daily").set_index("date_day")
    feb_12 = engagement.loc["2025-02-12"]
    # 30 days ending Feb 12 (from Jan 14): users 1, 3, 4, 7, 8; the 7 days (from Feb 6): user 7 only
    assert (feb_12.dau, feb_12.wau, feb_12.mau) == (1, 1, 5)
    assert feb_12.stickiness == pytest.approx(1 / 5)
    feb_03 = engagement.loc["2025-02-03"]
    assert (feb_03.dau, feb_03.wau) == (2, 2)  # users 4 and 8


def test_user_activity_monthly(edge_company: Build) -> None:
    activity = edge_company.query("select * from marts.user_activity_monthly")
    rows = {(r["month"].date(), r["user_id"]): r for r in records(activity)}
    user_1 = rows[(date(2025, 1, 1), 1)]
    assert (user_1["scans"], user_1["jobs_scanned"], bool(user_1["is_paying"])) == (3, 2, True)
    assert user_1["avg_match_rate"] == pytest.approx(190 / 3)
    assert not bool(rows[(date(2025, 1, 1), 4)]["is_paying"]) and bool(rows[(date(2025, 2, 1), 4)]["is_paying"])
    assert len(activity) == 9
