"""The committed default data: the marts agree with the independent reference implementation, the
business it describes is believable, and the KPI overview prints the same numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from builds import SAMPLE, Build
from helpers import compare_channels, compare_monthly
from reference import Reference, cell, compute, load_raw, product, records

from jobmetrics.cli import overview


@pytest.fixture(scope="module")
def reference() -> Reference:
    return compute(load_raw(SAMPLE))


def test_monthly_and_channel_marts_match_reference(default_company: Build, reference: Reference) -> None:
    compare_monthly(default_company, reference)
    compare_channels(default_company, reference)


def test_every_user_month_movement_matches_reference(default_company: Build, reference: Reference) -> None:
    rows = default_company.query("select month, user_id, mrr, previous_mrr, movement from marts.fct_mrr")
    got = {
        (r["month"].date(), r["user_id"]): (round(r["mrr"], 6), round(r["previous_mrr"], 6), r["movement"])
        for r in records(rows)
    }
    want = {
        key: (round(v["mrr"], 6), round(v["previous_mrr"], 6), v["movement"]) for key, v in reference.user_month.items()
    }
    assert got == want


def test_mrr_daily_matches_reference_on_sampled_days(default_company: Build, reference: Reference) -> None:
    daily = default_company.query("select * from marts.mrr_daily").set_index("date_day")
    assert len(daily) == 365
    for day in [date(2025, 1, 1), date(2025, 3, 17), date(2025, 7, 4), date(2025, 11, 30), date(2025, 12, 31)]:
        mrr, customers, subscriptions = reference.mrr_on(day)
        row = daily.loc[str(day)]
        assert row.mrr == pytest.approx(mrr, abs=1e-4)
        assert (row.active_customers, row.active_subscriptions) == (customers, subscriptions)


def test_dim_users_matches_reference(default_company: Build, reference: Reference) -> None:
    users = default_company.query("select * from marts.dim_users order by user_id")
    want = reference.users.sort_values("user_id")
    assert list(users["user_id"]) == list(want["user_id"])
    assert list(users["is_converted"]) == list(want["is_converted"])
    assert users["current_mrr"].tolist() == pytest.approx(want["current_mrr"].tolist())
    got_months = [None if v is pd.NaT else v.date() for v in users["first_paid_month"]]
    assert got_months == [None if pd.isna(v) else v for v in want["first_paid_month"]]


def test_default_data_is_a_believable_business(reference: Reference) -> None:
    """The targets the README states, computed by the reference implementation from the raw CSVs."""
    monthly = reference.monthly.set_index("month")
    channels = reference.channels.set_index("acquisition_channel")
    users = reference.users
    conversion = users.groupby("segment")["is_converted"].mean()
    assert 0.20 <= float(cell(channels, "all", "conversion_rate")) <= 0.30
    assert conversion["career_changer"] == conversion.max()
    mature = monthly[monthly.index >= date(2025, 7, 1)]  # the second half-year, once the base has matured
    assert mature["customer_churn_rate"].between(0.06, 0.12).all()
    assert monthly["arpu"].between(35, 50).all()
    assert monthly["mrr"].is_monotonic_increasing
    for paid in ("paid_search", "paid_social", "partnerships"):
        assert 80 <= float(cell(channels, paid, "cac")) <= 250, paid
    assert 2 <= float(cell(channels, "all", "ltv_to_cac")) <= 6
    month_one = [
        (reference.user_month.get((next_month, user), {}).get("mrr", 0) > 0)
        for (month, user), v in reference.user_month.items()
        if v["movement"] == "new" and month < date(2025, 12, 1)
        for next_month in [date(month.year, month.month + 1, 1)]
    ]
    assert 0.70 <= sum(month_one) / len(month_one) <= 0.80
    assert float(cell(monthly, date(2025, 1, 1), "new_customers")) > 0
    signups = users.groupby(users["signup_date"].map(lambda d: d.month)).size()
    assert signups[1] > signups[2]  # the January job-search bump
    weekdays = users["signup_date"].map(lambda d: d.weekday() < 5)
    assert weekdays.mean() / 5 > (1 - weekdays.mean()) / 2 * 1.2  # weekday signups beat weekend ones
    movements_by_month = monthly[["expansion_mrr", "contraction_mrr", "reactivation_mrr"]].gt(0)
    assert movements_by_month[movements_by_month.index >= date(2025, 4, 1)].all().all()


def test_kpi_overview_prints_the_warehouse_numbers(
    default_company: Build, reference: Reference, capsys: pytest.CaptureFixture[str]
) -> None:
    assert overview.main(["--db", str(default_company.db)]) == 0
    printed = capsys.readouterr().out
    december = reference.monthly.iloc[-1]
    assert "as of 2025-12-31" in printed
    assert f"${december['mrr']:,.2f}" in printed
    assert f"{december['active_customers']:,}" in printed
    assert f"{december['customer_churn_rate']:.1%}" in printed
    blended = float(cell(reference.channels.set_index("acquisition_channel"), "all", "ltv_to_cac"))
    assert f"{blended:.1f}x" in printed
    november = [u for (m, u), v in reference.user_month.items() if v["movement"] == "new" and m == date(2025, 11, 1)]
    kept = [u for u in november if reference.user_month.get((date(2025, 12, 1), u), {}).get("mrr", 0) > 0]
    assert f"Month-1 logo retention (Nov 2025 cohort)  {len(kept) / len(november):.1%}" in printed


def test_kpi_overview_without_a_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert overview.main(["--db", str(tmp_path / "missing.duckdb")]) == overview.EXIT_NO_WAREHOUSE
    assert "make build" in capsys.readouterr().err


def next_month_start(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


@pytest.fixture(scope="module")
def raw_scans(reference: Reference) -> pd.DataFrame:
    scans = load_raw(SAMPLE)["raw_scans"]
    scans["scanned_at"] = pd.to_datetime(scans["scanned_at"])
    return scans[scans["scan_date"] <= reference.as_of]


def test_funnel_and_cohorts_match_pandas(default_company: Build, reference: Reference, raw_scans: pd.DataFrame) -> None:
    users = reference.users.set_index("user_id")
    signup = pd.to_datetime(users["signup_at"])
    scans = raw_scans.join(signup.rename("signup_at"), on="user_id")
    in_window = scans[
        (scans["scanned_at"] >= scans["signup_at"]) & (scans["scanned_at"] < scans["signup_at"] + pd.Timedelta(days=14))
    ]
    scanned = users.index.isin(scans["user_id"])
    engaged = users.index.isin(in_window.groupby("user_id").size().loc[lambda n: n >= 3].index)
    converted = users["is_converted"].to_numpy()
    new_month = {user: month for (month, user), v in reference.user_month.items() if v["movement"] == "new"}
    retained = [
        user in new_month and reference.user_month.get((next_month_start(new_month[user]), user), {}).get("mrr", 0) > 0
        for user in users.index
    ]
    expected = [
        len(users),
        scanned.sum(),
        (scanned & engaged).sum(),
        (scanned & engaged & converted).sum(),
        (scanned & engaged & converted & retained).sum(),
    ]
    funnel = default_company.query(
        "select step_order, sum(users) as users from marts.conversion_funnel group by step_order order by step_order"
    )
    assert funnel["users"].tolist() == expected

    cohorts = default_company.query("select * from marts.cohort_retention where months_since_start = 1")
    for row in records(cohorts):
        cohort: date = row["cohort_month"].date()
        members = [u for u, m in new_month.items() if m == cohort]
        kept = [u for u in members if reference.user_month.get((next_month_start(cohort), u), {}).get("mrr", 0) > 0]
        assert (row["cohort_customers"], row["retained_customers"]) == (len(members), len(kept)), cohort


def test_scan_marts_match_pandas(default_company: Build, reference: Reference) -> None:
    expected = product(load_raw(SAMPLE), reference.as_of, reference.months[0])
    daily = default_company.query("select * from marts.scans_daily").set_index("date_day").sort_index()
    want = expected.scans_daily
    assert daily.index.tolist() == want.index.tolist()
    for column in ["scans", "scanning_users", "new_scanning_users", "signups"]:
        assert daily[column].tolist() == want[column].tolist(), column
    assert daily["avg_match_rate"].tolist() == pytest.approx(want["avg_match_rate"].tolist(), nan_ok=True)

    engagement = default_company.query("select * from marts.engagement_daily").set_index("date_day").sort_index()
    for column in ["dau", "wau", "mau"]:
        assert engagement[column].tolist() == expected.engagement[column].tolist(), column

    lift = default_company.query("select * from marts.match_rate_lift").set_index(["user_id", "job_id"])
    jobs = expected.jobs
    lift = lift.loc[jobs.index]
    assert len(lift) == len(jobs)
    for column in ["iterations", "first_match_rate", "best_match_rate", "last_match_rate", "lift"]:
        assert lift[column].tolist() == jobs[column].tolist(), column


def test_match_rate_by_iteration_matches_pandas(default_company: Build, reference: Reference) -> None:
    expected = product(load_raw(SAMPLE), reference.as_of, reference.months[0])
    scans = load_raw(SAMPLE)["raw_scans"].sort_values(["user_id", "job_id", "scanned_at", "scan_id"])
    scans["iteration"] = scans.groupby(["user_id", "job_id"]).cumcount() + 1
    by_iteration = scans.groupby("iteration")["match_rate"].agg(["size", "mean"])
    mart = default_company.query("select * from marts.match_rate_by_iteration order by iteration")
    assert mart["iteration"].tolist() == by_iteration.index.tolist()
    assert mart["scans"].tolist() == by_iteration["size"].tolist()
    assert mart["avg_match_rate"].tolist() == pytest.approx(by_iteration["mean"].tolist())
    jobs = expected.jobs
    assert set(mart["jobs"]) == {len(jobs)}
    assert mart["avg_lift"].iloc[0] == pytest.approx(jobs["lift"].mean())
    assert mart["share_of_jobs_reaching_target"].iloc[0] == pytest.approx((jobs["best_match_rate"] >= 80).mean())
