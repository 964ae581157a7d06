"""An independent implementation of docs/metrics.md in plain Python, read straight from the raw files.

It shares no code or SQL with the dbt models: it walks every subscription for every snapshot, so
the marts can be checked against numbers worked out a different way.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

Row = dict[str, Any]


def records(frame: pd.DataFrame) -> list[Row]:
    """A frame's rows as plain dicts (pandas' own row types say nothing about a column's values)."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def cell(frame: pd.DataFrame, row: Any, column: str) -> Any:
    """One value of a frame, whatever its column holds."""
    return frame.loc[row, column]


RAW_TABLES = ["raw_users", "raw_plans", "raw_subscriptions", "raw_scans", "raw_marketing_spend"]


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """raw_<name>.csv, or .parquet (read by DuckDB: plain I/O, none of the project's code)."""
    if (folder / f"{name}.parquet").exists():
        with duckdb.connect() as con:
            return pd.DataFrame(con.read_parquet(str(folder / f"{name}.parquet")).df())
    return pd.read_csv(folder / f"{name}.csv", dtype={"plan_id": str})


def load_raw(seed_dir: Path) -> dict[str, pd.DataFrame]:
    raw = {name: read_table(seed_dir, name) for name in RAW_TABLES}
    # the contract compares channel and segment names trimmed and in lower case
    for table, column in (
        ("raw_users", "acquisition_channel"),
        ("raw_users", "segment"),
        ("raw_marketing_spend", "channel"),
    ):
        raw[table][column] = raw[table][column].str.strip().str.lower()
    raw["raw_users"]["signup_date"] = pd.to_datetime(raw["raw_users"]["signup_at"]).dt.date
    subs = raw["raw_subscriptions"]
    subs["start_date"] = pd.to_datetime(subs["started_at"]).dt.date
    subs["end_date"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in subs["ended_at"]]
    raw["raw_scans"]["scan_date"] = pd.to_datetime(raw["raw_scans"]["scanned_at"]).dt.date
    raw["raw_marketing_spend"]["spend_date"] = pd.to_datetime(raw["raw_marketing_spend"]["spend_date"]).dt.date
    return raw


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


@dataclass
class Reference:
    as_of: date
    months: list[date]
    snapshots: dict[date, date]
    user_month: dict[tuple[date, int], Row]  # (month, user_id) -> mrr, previous_mrr, movement
    monthly: pd.DataFrame
    channels: pd.DataFrame
    users: pd.DataFrame
    subscriptions: list[Row]
    paid: Row  # the channels marked paid in seeds/acquisition_channels.csv, together: the same columns as a channel

    def mrr_on(self, day: date) -> tuple[float, int, int]:
        """(mrr, active customers, active subscriptions) on a day."""
        active = [s for s in self.subscriptions if is_active(s, day)]
        return sum(s["mrr"] for s in active), len({s["user_id"] for s in active}), len(active)


def is_active(sub: Row, day: date) -> bool:
    return bool(sub["start_date"] <= day and (sub["end_date"] is None or sub["end_date"] > day))


def movement_of(mrr: float, previous_mrr: float, paid_before: bool) -> str:
    if previous_mrr == 0:
        return "reactivation" if paid_before else "new"
    if mrr == 0:
        return "churn"
    if mrr != previous_mrr:
        return "expansion" if mrr > previous_mrr else "contraction"
    return "retained"


def latest_date(raw: dict[str, pd.DataFrame]) -> date:
    """as_of_date when the var is null: the latest date anywhere in the raw data."""
    subs = raw["raw_subscriptions"]
    latest = [
        raw["raw_users"]["signup_date"].max(),
        subs["start_date"].max(),
        max((d for d in subs["end_date"] if d is not None), default=date.min),
        raw["raw_scans"]["scan_date"].max(),
        raw["raw_marketing_spend"]["spend_date"].max(),
    ]
    return max(d for d in latest if isinstance(d, date) and not pd.isna(d))


def compute(raw: dict[str, pd.DataFrame], as_of: date | None = None, gross_margin: float = 0.80) -> Reference:
    users_all = raw["raw_users"]
    subs_all = raw["raw_subscriptions"]
    as_of = as_of or latest_date(raw)

    price = {r["plan_id"]: r["price_usd"] / r["billing_interval_months"] for r in records(raw["raw_plans"])}
    users = users_all[users_all["signup_date"] <= as_of].copy()
    channel_of = dict(zip(users_all["user_id"], users_all["acquisition_channel"], strict=False))
    subscriptions = [
        {
            "user_id": s["user_id"],
            "start_date": s["start_date"],
            "end_date": s["end_date"] if s["end_date"] is not None and s["end_date"] <= as_of else None,
            "mrr": price[s["plan_id"]],
        }
        for s in records(subs_all)
        if s["start_date"] <= as_of
    ]

    first_day = min([d for d in users["signup_date"]] + [s["start_date"] for s in subscriptions])
    months = []
    month = first_day.replace(day=1)
    while month <= as_of:
        months.append(month)
        month = next_month(month)
    snapshots = {m: min(month_end(m), as_of) for m in months}

    # Each user's MRR at each snapshot, rounded as the definition says.
    mrr_at: dict[date, dict[int, float]] = {}
    for m in months:
        totals: dict[int, float] = defaultdict(float)
        for s in subscriptions:
            if is_active(s, snapshots[m]):
                totals[s["user_id"]] += s["mrr"]
        mrr_at[m] = {u: round(v, 6) for u, v in totals.items() if round(v, 6) > 0}

    user_month: dict[tuple[date, int], Row] = {}
    ever_paid: set[int] = set()
    previous: dict[int, float] = {}
    for m in months:
        current = mrr_at[m]
        for user in sorted(set(current) | set(previous)):
            curr, prev = current.get(user, 0.0), previous.get(user, 0.0)
            movement = movement_of(curr, prev, user in ever_paid)
            user_month[(m, user)] = {"mrr": curr, "previous_mrr": prev, "movement": movement}
        ever_paid |= set(current)
        previous = current

    monthly_rows = []
    previous_row = {"mrr": 0.0, "active_customers": 0}
    for m in months:
        rows = [v for (month, _), v in user_month.items() if month == m]

        def total(movement: str, amount: Callable[[Row], float]) -> float:
            return sum(amount(r) for r in rows if r["movement"] == movement)

        row = {
            "month": m,
            "snapshot_date": snapshots[m],
            "is_complete_month": month_end(m) <= as_of,
            "mrr": sum(mrr_at[m].values()),
            "active_customers": len(mrr_at[m]),
            "previous_mrr": previous_row["mrr"],
            "previous_active_customers": previous_row["active_customers"],
            "new_mrr": total("new", lambda r: r["mrr"]),
            "reactivation_mrr": total("reactivation", lambda r: r["mrr"]),
            "expansion_mrr": total("expansion", lambda r: r["mrr"] - r["previous_mrr"]),
            "contraction_mrr": total("contraction", lambda r: r["previous_mrr"] - r["mrr"]),
            "churned_mrr": total("churn", lambda r: r["previous_mrr"]),
            "new_customers": sum(r["movement"] == "new" for r in rows),
            "reactivated_customers": sum(r["movement"] == "reactivation" for r in rows),
            "churned_customers": sum(r["movement"] == "churn" for r in rows),
        }
        prev_mrr = row["previous_mrr"]
        row["arpu"] = ratio(row["mrr"], row["active_customers"])
        row["net_new_mrr"] = row["mrr"] - prev_mrr
        row["customer_churn_rate"] = ratio(row["churned_customers"], row["previous_active_customers"])
        row["gross_mrr_churn_rate"] = ratio(row["churned_mrr"] + row["contraction_mrr"], prev_mrr)
        row["net_mrr_retention"] = ratio(
            prev_mrr + row["expansion_mrr"] - row["contraction_mrr"] - row["churned_mrr"], prev_mrr
        )
        row["mrr_growth_rate"] = ratio(row["mrr"] - prev_mrr, prev_mrr)
        row["quick_ratio"] = ratio(
            row["new_mrr"] + row["reactivation_mrr"] + row["expansion_mrr"],
            row["churned_mrr"] + row["contraction_mrr"],
        )
        monthly_rows.append(row)
        previous_row = row
    monthly = pd.DataFrame(monthly_rows)

    converted = {s["user_id"] for s in subscriptions}
    first_paid = {}
    for (m, user), v in sorted(user_month.items()):
        if v["movement"] == "new":
            first_paid[user] = m
    users["is_converted"] = users["user_id"].isin(converted)
    users["first_paid_month"] = users["user_id"].map(first_paid)
    users["current_mrr"] = users["user_id"].map(mrr_at[months[-1]]).fillna(0.0)

    spend = raw["raw_marketing_spend"]
    spend = spend[spend["spend_date"] <= as_of]
    channel_names = sorted(set(users["acquisition_channel"]) | set(spend["channel"]))
    seeded = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "acquisition_channels.csv", dtype=str)
    paid_channels = set(seeded.loc[seeded["is_paid"].str.lower() == "true", "acquisition_channel"])
    channel_rows = []
    for channel in [*channel_names, "all", "paid"]:
        members = set(channel_names) if channel == "all" else paid_channels if channel == "paid" else {channel}

        def mine(user: int) -> bool:
            return bool(channel == "all" or channel_of.get(user) in members)

        channel_users = users if channel == "all" else users[users["acquisition_channel"].isin(members)]
        cells = [(v, u) for (m, u), v in user_month.items() if mine(u)]
        spend_usd = (
            spend["spend_usd"].sum()
            if channel == "all"
            else spend.loc[spend["channel"].isin(members), "spend_usd"].sum()
        )
        new_customers = sum(v["movement"] == "new" for v, _ in cells)
        customer_months = [v["mrr"] for v, _ in cells if v["mrr"] > 0]
        churned = sum(v["movement"] == "churn" for v, _ in cells)
        previous_active = sum(v["previous_mrr"] > 0 for v, _ in cells)
        cac = ratio(spend_usd, new_customers)
        arpu = ratio(sum(customer_months), len(customer_months))
        churn = ratio(churned, previous_active)
        ltv = None if arpu is None or not churn else arpu * gross_margin / churn
        channel_rows.append(
            {
                "acquisition_channel": channel,
                "signups": len(channel_users),
                "converted_users": int(channel_users["is_converted"].sum()),
                "conversion_rate": ratio(channel_users["is_converted"].sum(), len(channel_users)),
                "active_customers": int((channel_users["current_mrr"] > 0).sum()),
                "mrr": channel_users["current_mrr"].sum(),
                "spend_usd": spend_usd,
                "new_customers": new_customers,
                "cac": cac,
                "arpu_per_customer_month": arpu,
                "churned_customers": churned,
                "customer_churn_rate": churn,
                "ltv": ltv,
                "ltv_to_cac": None if ltv is None or not cac else ltv / cac,
                "cac_payback_months": None if cac is None or not arpu else cac / (arpu * gross_margin),
            }
        )
    paid = channel_rows.pop()
    channels = pd.DataFrame(channel_rows)
    return Reference(as_of, months, snapshots, user_month, monthly, channels, users, subscriptions, paid)


@dataclass
class ProductReference:
    scans_daily: pd.DataFrame  # date_day -> scans, scanning_users, new_scanning_users, avg_match_rate, signups
    engagement: pd.DataFrame  # date_day -> dau, wau, mau
    jobs: pd.DataFrame  # (user_id, job_id) -> iterations, first/best/last match rate, lift


def active_users(user_days: pd.DataFrame, days: pd.DatetimeIndex, window: int) -> np.ndarray:
    """Users with a scan in the `window` days ending on each day: a user is active from a scan day until
    `window` days later or their next scan day, whichever comes first, so the stretches never overlap."""
    ordered = user_days.sort_values(["user_id", "scan_date"])
    start = ordered["scan_date"].to_numpy()
    following = ordered.groupby("user_id")["scan_date"].shift(-1).to_numpy()
    stop = np.minimum(
        start + np.timedelta64(window, "D"), np.where(pd.isna(following), np.datetime64("NaT"), following)
    )
    stop = np.where(pd.isna(following), start + np.timedelta64(window, "D"), stop)
    first = days[0].to_datetime64()
    change = np.zeros(len(days) + window + 1, dtype=np.int64)
    np.add.at(change, ((start - first) // np.timedelta64(1, "D")).astype(np.int64), 1)
    np.add.at(change, ((stop - first) // np.timedelta64(1, "D")).astype(np.int64), -1)
    return np.cumsum(change)[: len(days)]


def product(raw: dict[str, pd.DataFrame], as_of: date, first_day: date) -> ProductReference:
    """Scans by day, daily / weekly / monthly actives and per-job match-rate lift, vectorised in pandas."""
    scans = raw["raw_scans"]
    scans = scans[scans["scan_date"] <= as_of].copy()
    scans["scan_date"] = pd.to_datetime(scans["scan_date"])
    days = pd.date_range(first_day, as_of, freq="D")
    users = raw["raw_users"]
    signups = pd.to_datetime(users.loc[users["signup_date"] <= as_of, "signup_date"]).value_counts()
    first_scans = scans.groupby("user_id")["scan_date"].min().value_counts()
    daily = scans.groupby("scan_date").agg(
        scans=("scan_id", "size"), scanning_users=("user_id", "nunique"), avg_match_rate=("match_rate", "mean")
    )
    daily = daily.reindex(days)
    daily[["scans", "scanning_users"]] = daily[["scans", "scanning_users"]].fillna(0).astype(int)
    daily["new_scanning_users"] = first_scans.reindex(days, fill_value=0).to_numpy()
    daily["signups"] = signups.reindex(days, fill_value=0).to_numpy()

    user_days = scans[["user_id", "scan_date"]].drop_duplicates()
    engagement = pd.DataFrame(
        {
            "dau": active_users(user_days, days, 1),
            "wau": active_users(user_days, days, 7),
            "mau": active_users(user_days, days, 30),
        },
        index=days,
    )

    ordered = scans.sort_values(["user_id", "job_id", "scanned_at", "scan_id"])
    jobs = pd.DataFrame(
        ordered.groupby(["user_id", "job_id"])["match_rate"].agg(
            iterations="size", first_match_rate="first", best_match_rate="max", last_match_rate="last"
        )
    )
    jobs["lift"] = jobs["best_match_rate"] - jobs["first_match_rate"]
    return ProductReference(daily, engagement, jobs)


if __name__ == "__main__":
    # The pandas peer of `make benchmark`: the reference marts from a folder of raw files, timed.
    import sys
    import time

    started = time.perf_counter()
    loaded = load_raw(Path(sys.argv[1]))
    revenue = compute(loaded)
    product(loaded, revenue.as_of, revenue.months[0])
    print(f"{time.perf_counter() - started:.2f}")


def experiment_users(seed_dir: Path, as_of: date, window_days: int = 14) -> pd.DataFrame:
    """docs/metrics.md's experiment definitions, user by user: one row per counted user (earliest assignment,
    one variant only, window ended by the end of as_of) with their conversion, scans, sum of match rates and
    scans in the window's length before exposure."""
    assignments = pd.read_csv(seed_dir / "raw_experiment_assignments.csv", parse_dates=["assigned_at"])
    assignments["variant"] = assignments["variant"].str.strip().str.lower()
    per_user = assignments.groupby(["experiment_id", "user_id"]).agg(
        exposed_at=("assigned_at", "min"), variants=("variant", "nunique"), variant=("variant", "first")
    )
    window = pd.Timedelta(days=window_days)
    end_of_as_of = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    counted = per_user[(per_user["variants"] == 1) & (per_user["exposed_at"] + window <= end_of_as_of)]
    subs = pd.read_csv(seed_dir / "raw_subscriptions.csv", parse_dates=["started_at"])
    scans = pd.read_csv(seed_dir / "raw_scans.csv", parse_dates=["scanned_at"])
    starts: dict[int, list[pd.Timestamp]] = defaultdict(list)
    for row in records(subs):
        starts[int(row["user_id"])].append(row["started_at"])
    scans_of = {user: frame for user, frame in scans.groupby("user_id")}
    rows = []
    for exposure in records(counted.reset_index()):
        user = int(exposure["user_id"])
        start, end = exposure["exposed_at"], exposure["exposed_at"] + window
        mine = scans_of.get(user, scans.iloc[0:0])
        inside = mine[(mine["scanned_at"] >= start) & (mine["scanned_at"] < end)]
        before = mine[(mine["scanned_at"] >= start - window) & (mine["scanned_at"] < start)]
        rows.append(
            {
                "experiment_id": exposure["experiment_id"],
                "user_id": user,
                "variant": exposure["variant"],
                "converted": int(any(start <= started < end for started in starts[user])),
                "scans": len(inside),
                "match_rate_sum": float(inside["match_rate"].sum()),
                "scans_before": len(before),
            }
        )
    return pd.DataFrame(rows)


def multiple_exposure_users(seed_dir: Path) -> dict[str, int]:
    """Per experiment, the users assigned to more than one of its variants."""
    assignments = pd.read_csv(seed_dir / "raw_experiment_assignments.csv")
    variants = assignments.groupby(["experiment_id", "user_id"])["variant"].nunique()
    return {str(k): int(v) for k, v in (variants > 1).groupby(level="experiment_id").sum().items()}


def whole_months(start: date, end: date) -> int:
    """The most months that can be added to start without passing end (31 Jan + 1 month is 28 Feb)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + year, month + 1)[1]
    return date(day.year + year, month + 1, min(day.day, last))


def paying_spells(raw: dict[str, pd.DataFrame], as_of: date) -> pd.DataFrame:
    """docs/metrics.md's paying spells, subscription by subscription: one row per spell with months_paid,
    is_churned, the user's segment and channel and the opening subscription's plan."""
    price = {r["plan_id"]: r["price_usd"] for r in records(raw["raw_plans"])}
    users = raw["raw_users"].set_index("user_id")
    by_user: dict[int, list[Row]] = defaultdict(list)
    for sub in records(raw["raw_subscriptions"]):
        if sub["start_date"] <= as_of and price[sub["plan_id"]] > 0:
            end = sub["end_date"] if sub["end_date"] is not None and sub["end_date"] <= as_of else None
            by_user[int(sub["user_id"])].append({**sub, "end_date": end})
    rows = []
    for user, subs in by_user.items():
        subs.sort(key=lambda s: (s["start_date"], s["end_date"] or date.max))
        spells: list[Row] = []
        for sub in subs:
            current = spells[-1] if spells else None
            if current is not None and (current["end"] is None or sub["start_date"] <= current["end"]):
                ends = [current["end"], sub["end_date"]]
                current["end"] = None if None in ends else max(ends)
            else:
                spells.append({"start": sub["start_date"], "end": sub["end_date"], "subs": []})
            spells[-1]["subs"].append(sub)
        for spell in spells:
            if spell["end"] is not None and spell["end"] <= spell["start"]:
                continue  # started and ended on one day: never paid for a day
            opening = min(
                (s for s in spell["subs"] if s["start_date"] == spell["start"]),
                key=lambda s: (pd.Timestamp(s["started_at"]), s["plan_id"]),
            )
            until = spell["end"] if spell["end"] is not None else as_of + timedelta(days=1)
            rows.append(
                {
                    "user_id": user,
                    "start_date": spell["start"],
                    "end_date": spell["end"],
                    "months_paid": whole_months(spell["start"], until),
                    "is_churned": spell["end"] is not None,
                    "segment": users.loc[user, "segment"],
                    "acquisition_channel": users.loc[user, "acquisition_channel"],
                    "plan_id": opening["plan_id"],
                }
            )
    return pd.DataFrame(rows)
