"""An independent implementation of docs/metrics.md's "MRR from Stripe" in plain Python, read straight from the
Stripe files: every line's monthly value by the written rules, every user's MRR at every snapshot, converted at
that day's rate, and the monthly movements with fx_mrr. It shares no code or SQL with the dbt models."""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF"}
ZERO_DECIMAL |= {"XPF"}
MONTHS_PER_INTERVAL = {"month": 1.0, "year": 12.0, "week": 12 / 52, "day": 12 / 365}


def day_of(value: Any) -> date | None:
    return None if pd.isna(value) or value == "" else pd.Timestamp(value).date()


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=True, dtype=str)


def rows(folder: Path, name: str) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in read(folder, name).to_dict("records")]


def service_lines(folder: Path, as_of: date) -> list[dict[str, Any]]:
    """Rules 1 to 6: each counting line's user, currency, days and monthly value (own currency)."""
    stripe = folder / "stripe"
    users = {row["id"]: int(json.loads(row["metadata"])["user_id"]) for row in rows(stripe, "customer")}
    prices = {row["id"]: row for row in rows(stripe, "price")}
    invoices = {row["id"]: row for row in rows(stripe, "invoice")}
    ended = {row["id"]: day_of(row["ended_at"]) for row in rows(stripe, "subscription")}
    found = []
    for line in rows(stripe, "invoice_line_item"):
        invoice = invoices[line["invoice_id"]]
        price = prices[line["price_id"] if isinstance(line["price_id"], str) else line["plan_id"]]
        if line["type"] != "subscription" or invoice["status"] not in ("paid", "open", "uncollectible"):
            continue
        if price["recurring_usage_type"] == "metered":
            continue
        amount = int(line["amount"])
        full = (1 if amount > 0 else -1 if amount < 0 else 0) * int(line["quantity"]) * int(price["unit_amount"])
        full = full if str(line["proration"]).lower() == "true" else amount
        subtotal, tax, total = int(invoice["subtotal"]), int(invoice["tax"] or 0), int(invoice["total"])
        discount = (subtotal + tax - total) / subtotal if subtotal else 0
        currency = invoice["currency"].upper()
        months = MONTHS_PER_INTERVAL[price["recurring_interval"]] * int(price["recurring_interval_count"])
        minor = 1 if currency in ZERO_DECIMAL else 100
        start, end = day_of(line["period_start"]), day_of(line["period_end"])
        stop = ended.get(line["subscription_id"])
        if stop is not None and stop <= as_of and end is not None and stop < end:
            end = stop
        assert start is not None and end is not None
        if start > as_of or end <= start:
            continue
        found.append(
            {
                "user": users[invoice["customer_id"]],
                "currency": currency,
                "start": start,
                "end": end,
                "monthly": full * (1 - discount) / minor / months,
                "counts": invoice["status"] in ("paid", "open"),
                "uncollectible": invoice["status"] == "uncollectible",
            }
        )
    return found


def rate_on(rates: pd.DataFrame, currency: str, day: date, reporting: str) -> float:
    """Rule 7: the latest rate on or before the day (1 for the reporting currency)."""
    if currency == reporting:
        return 1.0
    known = rates[(rates["currency"] == currency) & (rates["date"] <= day)]
    return float(known.sort_values("date")["rate"].iloc[-1])


def monthly(folder: Path, as_of: date, first_month: date, reporting: str = "USD") -> dict[date, dict[str, float]]:
    """Each month's MRR, paying customers and movements (rule 8), in the reporting currency."""
    lines = service_lines(folder, as_of)
    rates = read(folder, "fx_rates") if (folder / "fx_rates.csv").exists() else pd.DataFrame(columns=["date"])
    if len(rates):
        rates["currency"] = rates["currency"].str.upper()
        rates["date"] = [day_of(value) for value in rates["date"]]
        rates["rate"] = rates["rate"].astype(float)
    result: dict[date, dict[str, float]] = {}
    previous: dict[int, tuple[float, float]] = {}  # user -> (own MRR, rate) at the previous snapshot
    paid_before: set[int] = set()
    month = first_month
    while month <= as_of:
        snapshot = min(month.replace(day=calendar.monthrange(month.year, month.month)[1]), as_of)
        own: dict[int, float] = defaultdict(float)
        failed, currency_of = set(), {}
        for line in lines:
            if line["start"] <= snapshot < line["end"]:
                currency_of[line["user"]] = line["currency"]
                if line["counts"]:
                    own[line["user"]] += line["monthly"]
                if line["uncollectible"]:
                    failed.add(line["user"])
        current = {
            user: (round(value, 6), rate_on(rates, currency_of[user], snapshot, reporting))
            for user, value in own.items()
            if round(value, 6) > 0
        }
        totals: dict[str, float] = defaultdict(float)
        paying_at_both = 0
        for user in set(current) | set(previous):
            now, rate = current.get(user, (0.0, 0.0))
            before, previous_rate = previous.get(user, (0.0, 0.0))
            if before == 0:
                totals["reactivation_mrr" if user in paid_before else "new_mrr"] += now * rate
            elif now == 0:
                totals["churned_mrr"] += before * previous_rate
                totals["churned_mrr_involuntary"] += before * previous_rate if user in failed else 0
            else:
                totals["expansion_mrr"] += max(now - before, 0) * rate
                totals["contraction_mrr"] += max(before - now, 0) * rate
                totals["fx_mrr"] += before * (rate - previous_rate)  # within a millionth a user of the marts'
                paying_at_both += 1
        totals["mrr"] = sum(now * rate for now, rate in current.values())
        totals["active_customers"] = len(current)
        totals["paying_at_both"] = paying_at_both
        result[month] = dict(totals)
        paid_before |= set(current)
        previous = current
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return result
