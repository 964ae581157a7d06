"""Simulate a Jobscan-style business and write its raw CSVs (the committed sample and benchmark data).

The simulation is vectorised with numpy: users, then each converting user's subscription
history (renewals, cancellations, payment failures, plan changes, reactivations), then scans
and daily marketing spend. Nothing happens after --end. Same arguments, same bytes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from jobmetrics import paths
from jobmetrics.pipeline.generator_experiments import make_experiments

DAY = 86_400


@dataclass(frozen=True)
class ChannelProfile:
    share: float  # of signups
    conversion: float  # multiplier: referred users convert best, social traffic worst
    cost_per_signup: float  # marketing spend per expected signup; 0 for unpaid channels


@dataclass(frozen=True)
class SegmentProfile:
    share: float
    conversion: float
    churn: float  # multiplier: job seekers leave when they land a job, passive candidates stay
    first_match: float  # mean match rate of a first scan


# How each channel and segment of the reference lists (seeds/) behaves in the simulation.
CHANNEL_PROFILES = {
    "organic_search": ChannelProfile(0.34, 1.0, 0.0),
    "paid_search": ChannelProfile(0.21, 1.10, 48.0),
    "paid_social": ChannelProfile(0.15, 0.75, 37.0),
    "referral": ChannelProfile(0.10, 1.30, 0.0),
    "content": ChannelProfile(0.12, 0.90, 0.0),
    "partnerships": ChannelProfile(0.08, 1.0, 29.0),
}
SEGMENT_PROFILES = {
    "active_job_seeker": SegmentProfile(0.45, 0.27, 1.0, 58.0),
    "career_changer": SegmentProfile(0.20, 0.35, 0.85, 52.0),
    "recent_graduate": SegmentProfile(0.20, 0.185, 1.15, 50.0),
    "passive_candidate": SegmentProfile(0.15, 0.13, 0.80, 61.0),
}

COUNTRIES = ["US", "GB", "CA", "IN", "AU", "DE", "NL", "IE", "SG", "NZ"]
COUNTRY_SHARE = [0.60, 0.09, 0.08, 0.08, 0.05, 0.03, 0.02, 0.02, 0.02, 0.01]

PLANS = pd.DataFrame(
    {
        "plan_id": ["basic_monthly", "premium_monthly", "premium_quarterly", "premium_annual", "pro_monthly"],
        "plan_name": ["Basic Monthly", "Premium Monthly", "Premium Quarterly", "Premium Annual", "Pro Monthly"],
        "billing_interval_months": [1, 1, 3, 12, 1],
        "price_usd": [29.95, 49.95, 119.85, 359.40, 89.95],
    }
)
PLAN_DAYS = np.array([30, 30, 91, 365, 30])
# Plan a converting user starts on, per segment (rows) and plan (columns).
PLAN_CHOICE = np.array(
    [
        [0.28, 0.42, 0.15, 0.09, 0.06],
        [0.18, 0.42, 0.17, 0.11, 0.12],
        [0.48, 0.34, 0.10, 0.05, 0.03],
        [0.25, 0.38, 0.15, 0.18, 0.04],
    ]
)
# Where a plan change leads: upgrades go right, downgrades left.
UPGRADE_TO = np.array([1, 4, 1, 1, -1])
DOWNGRADE_TO = np.array([-1, 0, 0, 0, 1])

WEEKDAY_SIGNUPS = np.array([1.12, 1.10, 1.06, 1.02, 0.92, 0.66, 0.72])  # Monday first
FIRST_RENEWAL_CANCEL = np.array([0.31, 0.31, 0.30, 0.42, 0.33])
LATER_RENEWAL_CANCEL = np.array([0.065, 0.065, 0.20, 0.35, 0.075])
PAYMENT_FAILURE = 0.025
PAYMENT_FAILURE_AGAIN = 0.12  # a card that failed once fails again far more often: failures cluster
PLAN_CHANGE_PER_PERIOD = 0.035
REACTIVATE_AFTER_CANCEL = 0.16
RECOVER_AFTER_PAYMENT_FAILURE = 0.45


@dataclass(frozen=True)
class Business:
    """The channels and segments of the reference files, in their order, with their profiles."""

    channels: list[str]
    channel_share: np.ndarray
    channel_conversion: np.ndarray
    channel_cost: np.ndarray
    segments: list[str]
    segment_share: np.ndarray
    segment_conversion: np.ndarray
    segment_churn: np.ndarray
    segment_first_match: np.ndarray


def read_reference(name: str) -> list[dict[str, str]]:
    with (paths.SEEDS_DIR / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def business_from_reference() -> Business:
    """Channels and segments from seeds/acquisition_channels.csv and seeds/segments.csv; a listed name
    the simulation has no profile for is an error naming it."""
    channel_rows = read_reference("acquisition_channels.csv")
    segments = [row["segment"] for row in read_reference("segments.csv")]
    channels = [row["acquisition_channel"] for row in channel_rows]
    unknown = [c for c in channels if c not in CHANNEL_PROFILES] + [s for s in segments if s not in SEGMENT_PROFILES]
    if unknown:
        raise ValueError(
            f"the generator has no profile for {', '.join(unknown)} (listed in seeds/); add one to "
            "CHANNEL_PROFILES or SEGMENT_PROFILES in jobmetrics/pipeline/generator.py"
        )
    for row in channel_rows:
        paid = CHANNEL_PROFILES[row["acquisition_channel"]].cost_per_signup > 0
        if paid != (row["is_paid"].strip().lower() == "true"):
            raise ValueError(
                f"seeds/acquisition_channels.csv says {row['acquisition_channel']} is_paid="
                f"{row['is_paid']}, but its profile in jobmetrics/pipeline/generator.py says otherwise"
            )
    channel_profiles = [CHANNEL_PROFILES[c] for c in channels]
    segment_profiles = [SEGMENT_PROFILES[s] for s in segments]
    return Business(
        channels,
        np.array([p.share for p in channel_profiles]) / sum(p.share for p in channel_profiles),
        np.array([p.conversion for p in channel_profiles]),
        np.array([p.cost_per_signup for p in channel_profiles]),
        segments,
        np.array([p.share for p in segment_profiles]) / sum(p.share for p in segment_profiles),
        np.array([p.conversion for p in segment_profiles]),
        np.array([p.churn for p in segment_profiles]),
        np.array([p.first_match for p in segment_profiles]),
    )


@dataclass(frozen=True)
class Window:
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, inclusive (last second of the end date)
    days: np.ndarray  # datetime64[D] of every day in the window


def make_window(start: date, end: date) -> Window:
    if end < start:
        raise ValueError(f"--end {end} is before --start {start}")
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    first = int(days[0].astype("datetime64[s]").astype(np.int64))
    last = int(days[-1].astype("datetime64[s]").astype(np.int64)) + DAY - 1
    return Window(first, last, days)


def signup_day_weights(days: np.ndarray) -> np.ndarray:
    """Relative signup intensity per day: growth through the period, a January bump, a weekly rhythm."""
    position = np.linspace(0.0, 1.0, len(days))
    trend = 1.0 + 0.8 * position
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    january = np.where(months == 1, 1.35, 1.0)
    weekday = WEEKDAY_SIGNUPS[(days.astype(np.int64) + 3) % 7]  # 1970-01-01 was a Thursday
    weights: np.ndarray = trend * january * weekday
    return weights


def time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds into the day, mostly office hours UTC-ish with a long evening tail."""
    hours = np.clip(rng.normal(15.0, 4.5, n), 0.0, 23.999)
    return (hours * 3600).astype(np.int64)


def make_users(rng: np.random.Generator, n_users: int, window: Window, business: Business) -> pd.DataFrame:
    weights = signup_day_weights(window.days)
    day_index = np.sort(rng.choice(len(window.days), size=n_users, p=weights / weights.sum()))
    day_start = window.days[day_index].astype("datetime64[s]").astype(np.int64)
    signup = np.sort(day_start + time_of_day(rng, n_users))
    return pd.DataFrame(
        {
            "user_id": np.arange(1, n_users + 1, dtype=np.int64),
            "signup_ts": signup,
            "channel": rng.choice(len(business.channels), size=n_users, p=business.channel_share),
            "segment": rng.choice(len(business.segments), size=n_users, p=business.segment_share),
            "country": rng.choice(len(COUNTRIES), size=n_users, p=COUNTRY_SHARE),
        }
    )


def first_subscriptions(
    rng: np.random.Generator, users: pd.DataFrame, window: Window, business: Business
) -> pd.DataFrame:
    """Which users convert, when (most within days of signing up), and onto which plan."""
    n = len(users)
    segment = users["segment"].to_numpy()
    channel = users["channel"].to_numpy()
    p_convert = business.segment_conversion[segment] * business.channel_conversion[channel]
    converts = rng.random(n) < p_convert
    quick = rng.random(n) < 0.55
    delay = np.where(quick, rng.exponential(0.6 * DAY, n), rng.exponential(24 * DAY, n)).astype(np.int64)
    start = users["signup_ts"].to_numpy() + 600 + delay
    keep = converts & (start <= window.end)
    cumulative = PLAN_CHOICE.cumsum(axis=1)[segment[keep]]
    plan = (rng.random(keep.sum())[:, None] > cumulative).sum(axis=1)
    return pd.DataFrame(
        {
            "user_idx": np.flatnonzero(keep),
            "plan": plan,
            "start": start[keep],
            "first_period": np.ones(keep.sum(), dtype=bool),
        }
    )


def simulate_subscriptions(
    rng: np.random.Generator, users: pd.DataFrame, first: pd.DataFrame, window: Window, business: Business
) -> pd.DataFrame:
    """Run every open subscription forward one billing period at a time until it ends or passes --end.

    A row is one subscription: renewals extend it; a plan change closes it and opens the next at the
    same instant; a cancellation or payment failure closes it, and some users come back later.
    """
    churn_mult = business.segment_churn[users["segment"].to_numpy()]
    finished: list[pd.DataFrame] = []
    user_idx = first["user_idx"].to_numpy()
    plan = first["plan"].to_numpy()
    start = first["start"].to_numpy()
    periods = np.zeros(len(user_idx), dtype=np.int64)  # billing periods this row has renewed
    tenure = np.zeros(len(user_idx), dtype=np.int64)  # renewals since the paying episode began
    failed_before = np.zeros(len(user_idx), dtype=bool)  # a payment of this customer has failed before
    while len(user_idx):
        n = len(user_idx)
        period_start = start + PLAN_DAYS[plan] * DAY * periods
        period_end = period_start + PLAN_DAYS[plan] * DAY
        target = np.where(rng.random(n) < 0.6, UPGRADE_TO[plan], DOWNGRADE_TO[plan])
        changes = (rng.random(n) < PLAN_CHANGE_PER_PERIOD) & (target >= 0)
        change_at = period_start + (PLAN_DAYS[plan] * DAY * rng.uniform(0.1, 0.9, n)).astype(np.int64)
        p_cancel = np.where(tenure == 0, FIRST_RENEWAL_CANCEL[plan], LATER_RENEWAL_CANCEL[plan])
        p_cancel = np.minimum(p_cancel * churn_mult[user_idx], 0.95)
        roll = rng.random(n)
        cancels = ~changes & (roll < p_cancel)
        p_fail = np.where(failed_before, PAYMENT_FAILURE_AGAIN, PAYMENT_FAILURE)
        fails = ~changes & ~cancels & (roll < p_cancel + p_fail)
        renews = ~changes & ~cancels & ~fails

        end_at = np.where(changes, change_at, period_end)
        open_at_end = end_at > window.end
        closes = ~open_at_end & ~renews
        done = open_at_end | closes
        reason = np.where(changes, "plan_change", np.where(cancels, "cancelled", "payment_failed"))
        finished.append(
            pd.DataFrame(
                {
                    "user_idx": user_idx[done],
                    "plan": plan[done],
                    "start": start[done],
                    "end": np.where(open_at_end[done], -1, end_at[done]),
                    "reason": np.where(open_at_end[done], "", reason[done]),
                }
            )
        )

        renewing = renews & ~open_at_end
        switching = changes & closes
        comeback_roll = rng.random(n)
        comes_back = closes & (
            (fails & (comeback_roll < RECOVER_AFTER_PAYMENT_FAILURE))
            | (cancels & (comeback_roll < REACTIVATE_AFTER_CANCEL))
        )
        gap = np.where(fails, rng.uniform(1, 12, n), rng.uniform(30, 180, n)) * DAY
        comeback_start = end_at + gap.astype(np.int64)
        comes_back &= comeback_start <= window.end

        user_idx = np.concatenate([user_idx[renewing], user_idx[switching], user_idx[comes_back]])
        plan = np.concatenate([plan[renewing], target[switching], plan[comes_back]])
        start = np.concatenate([start[renewing], end_at[switching], comeback_start[comes_back]])
        periods = np.concatenate([periods[renewing] + 1, np.zeros(switching.sum() + comes_back.sum(), dtype=np.int64)])
        # A recovered payment keeps the customer's tenure; a comeback after cancelling starts afresh.
        tenure = np.concatenate(
            [tenure[renewing] + 1, tenure[switching] + 1, np.where(fails[comes_back], tenure[comes_back] + 1, 0)]
        )
        failed_before = np.concatenate(
            [failed_before[renewing], failed_before[switching], (failed_before | fails)[comes_back]]
        )
    return pd.concat(finished, ignore_index=True)


def quiet_before_cancelling(seed: int, subs: pd.DataFrame, last_paid: np.ndarray, first_paid: np.ndarray) -> np.ndarray:
    """Seconds before the end of their last paid day that each user stops scanning: a customer who cancels
    has usually landed the job, so they stop scanning two to seven weeks before the renewal they do not pay
    (never before their first paid day). Drawn from a stream of its own so every other file keeps its rows."""
    rng = np.random.default_rng([seed, 22])
    quiet = np.zeros(len(last_paid), dtype=np.int64)
    last_rows = subs[(subs["end"] >= 0) & (subs["end"].to_numpy() == last_paid[subs["user_idx"].to_numpy()])]
    cancelled = last_rows.loc[last_rows["reason"] == "cancelled", "user_idx"].unique()
    cancelled = cancelled[~np.isin(cancelled, subs.loc[subs["end"] < 0, "user_idx"].to_numpy())]
    gap = (rng.uniform(21, 63, len(cancelled)) * DAY).astype(np.int64)
    quiet[cancelled] = np.minimum(gap, np.maximum(last_paid[cancelled] - first_paid[cancelled] - DAY, 0))
    return quiet


def make_scans(
    rng: np.random.Generator,
    users: pd.DataFrame,
    subs: pd.DataFrame,
    window: Window,
    business: Business,
    seed: int,
) -> pd.DataFrame:
    """Scans cluster after signup; paying users keep scanning while subscribed, until they go quiet before
    cancelling. Match rates climb per job."""
    n_users = len(users)
    signup = users["signup_ts"].to_numpy()
    segment = users["segment"].to_numpy()
    ends = np.where(subs["end"].to_numpy() < 0, window.end, subs["end"].to_numpy())
    paid_days = np.zeros(n_users)
    np.add.at(paid_days, subs["user_idx"].to_numpy(), (ends - subs["start"].to_numpy()) / DAY)
    first_paid = np.full(n_users, np.iinfo(np.int64).max)
    np.minimum.at(first_paid, subs["user_idx"].to_numpy(), subs["start"].to_numpy())
    last_paid = np.zeros(n_users, dtype=np.int64)
    np.maximum.at(last_paid, subs["user_idx"].to_numpy(), ends)
    paying = paid_days > 0
    quiet = quiet_before_cancelling(seed, subs, last_paid, first_paid)
    scanning_until = last_paid - quiet
    # jobs while looking: the quiet weeks before cancelling hold none, rather than squeezing them into fewer days
    looking_days = np.maximum(paid_days - quiet / DAY, 0)

    scans_at_all = paying | (rng.random(n_users) < 0.86)
    free_jobs = np.where(scans_at_all, 1 + rng.poisson(1.5, n_users), 0)
    paid_jobs = np.where(paying, rng.poisson(1.2 * np.minimum(looking_days, 240) / 30.0 + 1.0), 0)
    jobs_per_user = free_jobs + paid_jobs
    job_user = np.repeat(np.arange(n_users), jobs_per_user)
    is_paid_job = paid_job_flags(free_jobs, paid_jobs)
    first_job = np.r_[True, job_user[1:] != job_user[:-1]]
    n_jobs = len(job_user)

    free_offset = np.where(first_job, rng.exponential(2 * 3600, n_jobs), rng.exponential(9 * DAY, n_jobs))
    paid_span = np.maximum(scanning_until[job_user] - first_paid[job_user], 1)
    paid_start = np.where(is_paid_job, first_paid[job_user], 0)
    job_start = np.where(
        is_paid_job, paid_start + rng.random(n_jobs) * paid_span, signup[job_user] + free_offset
    ).astype(np.int64)
    # People polish resumes on weekdays: move some weekend sessions into the following week.
    weekday = ((job_start // DAY) + 3) % 7
    to_weekday = (weekday >= 5) & (rng.random(n_jobs) < 0.40)
    job_start = job_start + np.where(to_weekday, (7 - weekday + rng.integers(0, 4, n_jobs)) * DAY, 0)

    iterations = rng.geometric(0.39, n_jobs)
    scan_job = np.repeat(np.arange(n_jobs), iterations)
    job_first_scan = np.repeat(np.cumsum(iterations) - iterations, iterations)
    position = np.arange(len(scan_job)) - job_first_scan
    gaps = np.where(position == 0, 0, rng.exponential(40 * 60, len(scan_job))).astype(np.int64)
    cumulative_gap = np.cumsum(gaps)
    scanned = job_start[scan_job] + cumulative_gap - cumulative_gap[job_first_scan]

    first_match = rng.normal(business.segment_first_match[segment[job_user]], 12.0)
    step = np.where(position == 0, 0.0, np.maximum(rng.normal(7.5, 4.0, len(scan_job)), -2.0) * 0.85**position)
    step_cum = np.cumsum(step)
    match = np.clip(np.round(first_match[scan_job] + step_cum - step_cum[job_first_scan]), 5, 100)

    keep = scanned <= window.end
    return pd.DataFrame(
        {
            "user_idx": job_user[scan_job][keep],
            "scanned": scanned[keep],
            "job": scan_job[keep],
            "match": match[keep].astype(np.int64),
        }
    )


def paid_job_flags(free_jobs: np.ndarray, paid_jobs: np.ndarray) -> np.ndarray:
    """For jobs laid out user by user (free jobs first), flag the ones a user scans while paying."""
    per_user = free_jobs + paid_jobs
    position = np.arange(per_user.sum()) - np.repeat(np.cumsum(per_user) - per_user, per_user)
    flags: np.ndarray = position >= np.repeat(free_jobs, per_user)
    return flags


def make_spend(rng: np.random.Generator, n_users: int, window: Window, business: Business) -> pd.DataFrame:
    """Daily spend on the paid channels, following the expected signups of that day."""
    weights = signup_day_weights(window.days)
    frames = []
    for index, channel in enumerate(business.channels):
        cost = business.channel_cost[index]
        if cost <= 0:
            continue
        expected_signups = weights / weights.sum() * n_users * business.channel_share[index]
        spend = expected_signups * cost * rng.lognormal(0.0, 0.15, len(window.days))
        frames.append(pd.DataFrame({"spend_date": window.days, "channel": channel, "spend_usd": np.round(spend, 2)}))
    return pd.concat(frames, ignore_index=True).sort_values(["spend_date", "channel"], kind="stable")


def frames_to_csv(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, select_sql: str, path: Path) -> int:
    """Write one CSV through DuckDB's streaming writer; timestamps as UTC 'YYYY-MM-DD HH:MM:SS'.

    The path goes to the writer as a value, never into SQL text, so any folder name works.
    """
    con.register("frame", frame)
    con.sql(select_sql).write_csv(str(path), sep=",", header=True)
    con.unregister("frame")
    return len(frame)


def ts(column: str) -> str:
    return f"strftime(make_timestamp({column} * 1000000), '%Y-%m-%d %H:%M:%S')"


def generate(n_users: int, start: date, end: date, seed: int, out: Path) -> dict[str, int]:
    """Simulate the business and write its raw CSVs (the five tables and the experiments) into `out`; returns
    row counts per file."""
    rng = np.random.default_rng(seed)
    window = make_window(start, end)
    business = business_from_reference()
    users = make_users(rng, n_users, window, business)
    subs = simulate_subscriptions(rng, users, first_subscriptions(rng, users, window, business), window, business)
    scans = make_scans(rng, users, subs, window, business, seed)
    spend = make_spend(rng, n_users, window, business)
    experiments, assignments = make_experiments(seed, users, subs, scans, window)

    subs = subs.iloc[np.lexsort((subs["plan"], subs["user_idx"], subs["start"]))].reset_index(drop=True)
    subs["subscription_id"] = np.arange(1, len(subs) + 1)
    subs["user_id"] = users["user_id"].to_numpy()[subs["user_idx"].to_numpy()]
    subs["plan_id"] = PLANS["plan_id"].to_numpy()[subs["plan"].to_numpy()]
    scans = scans.iloc[np.lexsort((scans["job"], scans["user_idx"], scans["scanned"]))].reset_index(drop=True)
    scans["scan_id"] = np.arange(1, len(scans) + 1)
    scans["user_id"] = users["user_id"].to_numpy()[scans["user_idx"].to_numpy()]
    users["acquisition_channel"] = np.array(business.channels)[users["channel"].to_numpy()]
    users["segment_name"] = np.array(business.segments)[users["segment"].to_numpy()]
    users["country_code"] = np.array(COUNTRIES)[users["country"].to_numpy()]

    out.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = true")
        return {
            "raw_users": frames_to_csv(
                con,
                users[["user_id", "signup_ts", "acquisition_channel", "segment_name", "country_code"]],
                f"select user_id, {ts('signup_ts')} as signup_at, acquisition_channel,"
                " segment_name as segment, country_code as country from frame",
                out / "raw_users.csv",
            ),
            "raw_plans": frames_to_csv(
                con,
                PLANS,
                "select plan_id, plan_name, billing_interval_months, price_usd from frame",
                out / "raw_plans.csv",
            ),
            "raw_subscriptions": frames_to_csv(
                con,
                subs[["subscription_id", "user_id", "plan_id", "start", "end", "reason"]].rename(
                    columns={"end": "end_ts"}
                ),
                f"select subscription_id, user_id, plan_id, {ts('start')} as started_at,"
                f" case when end_ts >= 0 then {ts('end_ts')} end as ended_at,"
                " nullif(reason, '') as end_reason from frame",
                out / "raw_subscriptions.csv",
            ),
            "raw_scans": frames_to_csv(
                con,
                scans[["scan_id", "user_id", "scanned", "job", "match"]],
                f'select scan_id, user_id, {ts("scanned")} as scanned_at, job + 1 as job_id, "match" as match_rate'
                " from frame",
                out / "raw_scans.csv",
            ),
            "raw_marketing_spend": frames_to_csv(
                con,
                spend,
                "select strftime(spend_date, '%Y-%m-%d') as spend_date, channel, spend_usd from frame",
                out / "raw_marketing_spend.csv",
            ),
            "raw_experiments": frames_to_csv(
                con,
                experiments,
                "select experiment_id, variant, case when is_control then 'true' else 'false' end as is_control,"
                " weight from frame",
                out / "raw_experiments.csv",
            ),
            "raw_experiment_assignments": frames_to_csv(
                con,
                assignments,
                f"select experiment_id, user_id, variant, {ts('assigned_ts')} as assigned_at from frame",
                out / "raw_experiment_assignments.csv",
            ),
        }
