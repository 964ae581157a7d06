"""Small companies billed through Stripe, written as Fivetran syncs Stripe's tables: the vendors' worked examples
of MRR and hand-worked cases, one tenant each, for test_stripe_mrr.py to build and compare with the values worked
out here (never with what the SQL says).

Every company's users sign up on 2025-01-01 and the build's as_of_date is 2025-12-31, so each month's snapshot is
its last day.
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

AS_OF = "2025-12-31"
USERS_HEADER = ["user_id", "signup_at", "acquisition_channel", "segment", "country"]
STRIPE_COLUMNS = {
    "customer": ["id", "metadata", "email"],  # email: an extra column Fivetran brings, ignored
    "subscription": [
        "id",
        "customer_id",
        "status",
        "start_date",
        "ended_at",
        "trial_start",
        "trial_end",
        "cancel_at_period_end",
    ],
    "subscription_item": ["id", "subscription_id", "quantity"],
    "price": [
        "id",
        "currency",
        "unit_amount",
        "recurring_interval",
        "recurring_interval_count",
        "recurring_usage_type",
    ],
    "invoice": ["id", "customer_id", "status", "currency", "subtotal", "tax", "total", "created"],
    "invoice_line_item": [
        "id",
        "invoice_id",
        "amount",
        "currency",
        "quantity",
        "period_start",
        "period_end",
        "proration",
        "price_id",
        "plan_id",
        "subscription_id",
        "subscription_item_id",
        "type",
    ],
}


def stamp(day: str) -> str:
    return f"{day} 00:00:00"


@dataclass
class Line:
    """One invoice line: `amount` in minor units before discounts; the period [start, end)."""

    subscription: str | None
    price: str
    amount: int
    start: str
    end: str
    quantity: int = 1
    proration: bool = False
    kind: str = "subscription"


@dataclass
class StripeCompany:
    """A company's Stripe tables, built up one call per fact."""

    tables: dict[str, list[dict[str, object]]] = field(default_factory=lambda: {name: [] for name in STRIPE_COLUMNS})
    users: list[int] = field(default_factory=list)
    fx_rates: list[tuple[str, str, float]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    currencies: dict[str, str] = field(default_factory=dict)

    def price(
        self,
        price_id: str,
        unit_amount: int,
        interval: str | None = "month",
        count: int = 1,
        currency: str = "usd",
        usage: str = "licensed",
    ) -> str:
        """A recurring price, or a one-off one (`interval` None: Stripe leaves the recurring columns empty)."""
        self.tables["price"].append(
            {
                "id": price_id,
                "currency": currency,
                "unit_amount": unit_amount,
                "recurring_interval": interval or "",
                "recurring_interval_count": count if interval else "",
                "recurring_usage_type": usage if interval else "",
            }
        )
        self.currencies[price_id] = currency
        return price_id

    def customer(self, user_id: int) -> str:
        customer_id = f"cus_{user_id}"
        self.users.append(user_id)
        self.tables["customer"].append(
            {"id": customer_id, "metadata": json.dumps({"user_id": str(user_id)}), "email": f"u{user_id}@example.com"}
        )
        return customer_id

    def subscription(
        self, customer_id: str, start: str, ended: str | None = None, trial: tuple[str, str] | None = None
    ) -> str:
        subscription_id = f"sub_{next(self.ids)}"
        self.tables["subscription"].append(
            {
                "id": subscription_id,
                "customer_id": customer_id,
                "status": "canceled" if ended else "active",
                "start_date": stamp(start),
                "ended_at": stamp(ended) if ended else "",
                "trial_start": stamp(trial[0]) if trial else "",
                "trial_end": stamp(trial[1]) if trial else "",
                "cancel_at_period_end": "false",
            }
        )
        self.tables["subscription_item"].append({"id": f"si_{subscription_id}", "subscription_id": subscription_id})
        return subscription_id

    def invoice(
        self, customer_id: str, created: str, lines: list[Line], status: str = "paid", discount: int = 0, tax: int = 0
    ) -> str:
        invoice_id = f"in_{next(self.ids)}"
        currency = self.currencies[lines[0].price]
        subtotal = sum(line.amount for line in lines)
        self.tables["invoice"].append(
            {
                "id": invoice_id,
                "customer_id": customer_id,
                "status": status,
                "currency": currency,
                "subtotal": subtotal,
                "tax": tax,
                "total": subtotal - discount + tax,
                "created": stamp(created),
            }
        )
        for number, line in enumerate(lines):
            self.tables["invoice_line_item"].append(
                {
                    "id": f"il_{number}",
                    "invoice_id": invoice_id,
                    "amount": line.amount,
                    "currency": currency,
                    "quantity": line.quantity,
                    "period_start": stamp(line.start),
                    "period_end": stamp(line.end),
                    "proration": str(line.proration).lower(),
                    "price_id": line.price,
                    "plan_id": "",
                    "subscription_id": line.subscription or "",
                    "subscription_item_id": f"si_{line.subscription}" if line.subscription else "",
                    "type": line.kind,
                }
            )
        return invoice_id

    def monthly(
        self, customer_id: str, subscription: str, price: str, amount: int, months: list[str], **kw: object
    ) -> None:
        """One paid invoice per month start in `months` (YYYY-MM-DD), each covering one month."""
        for start, end in itertools.pairwise(months):
            self.invoice(customer_id, start, [Line(subscription, price, amount, start, end)], **kw)  # type: ignore[arg-type]

    def write(self, folder: Path) -> None:
        (folder / "stripe").mkdir(parents=True)
        with (folder / "raw_users.csv").open("w", newline="") as handle:
            rows = csv.writer(handle)
            rows.writerow(USERS_HEADER)
            for user_id in self.users:
                rows.writerow([user_id, "2025-01-01 00:00:00", "organic_search", "active_job_seeker", "US"])
        (folder / "raw_scans.csv").write_text("scan_id,user_id,scanned_at,job_id,match_rate\n")
        (folder / "raw_marketing_spend.csv").write_text("spend_date,channel,spend_usd\n")
        for table, columns in STRIPE_COLUMNS.items():
            with (folder / "stripe" / f"{table}.csv").open("w", newline="") as handle:
                writer = csv.DictWriter(handle, columns, restval="")
                writer.writeheader()
                writer.writerows(self.tables[table])
        if self.fx_rates:
            with (folder / "fx_rates.csv").open("w", newline="") as handle:
                rates = csv.writer(handle)
                rates.writerow(["date", "currency", "rate"])
                rates.writerows(self.fx_rates)


def month_starts(first: str, last: str) -> list[str]:
    """Month starts from `first` to `last` (YYYY-MM-01), both included."""
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}-01" <= last:
        found.append(f"{year:04d}-{month:02d}-01")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def stripe_glossary() -> StripeCompany:
    """Stripe's billing analytics glossary: 100 customers paying $100 a month and 50 paying $600 a year have an
    MRR of 100 x $100 + 50 x $600 / 12 = $12,500."""
    company = StripeCompany()
    monthly, yearly = company.price("price_monthly", 10000), company.price("price_yearly", 60000, "year")
    for user_id in range(1, 101):
        customer = company.customer(user_id)
        subscription = company.subscription(customer, "2025-12-01")
        company.monthly(customer, subscription, monthly, 10000, ["2025-12-01", "2026-01-01"])
    for user_id in range(101, 151):
        customer = company.customer(user_id)
        subscription = company.subscription(customer, "2025-06-01")
        company.invoice(customer, "2025-06-01", [Line(subscription, yearly, 60000, "2025-06-01", "2026-06-01")])
    return company


def chartmogul_walkthrough() -> StripeCompany:
    """ChartMogul's MRR walk-through: a yearly plan billed $2,000 for 4 seats is new MRR of $2,000 / 12 =
    $166.67; a monthly add-on is expansion; fewer seats, contraction; cancelling, churn; coming back,
    reactivation. Dated here:

      Jan 15  yearly plan, 4 seats x $500                          new           166.666667
      Mar 10  add-on $20 a month                                   expansion     +20
      Jun  5  down to 3 seats (prorated: -4 x $500, +3 x $500)     contraction   -41.666667
      Aug 10  add-on ends                                          contraction   -20
      Sep 20  the plan is cancelled                                churn         -125
      Nov  3  back on a $100 monthly plan                          reactivation  +100
    """
    company = StripeCompany()
    seat, add_on, monthly = (
        company.price("price_seat_yearly", 50000, "year"),
        company.price("price_add_on", 2000),
        company.price("price_monthly", 10000),
    )
    customer = company.customer(1)
    plan = company.subscription(customer, "2025-01-15", ended="2025-09-20")
    company.invoice(customer, "2025-01-15", [Line(plan, seat, 200000, "2025-01-15", "2026-01-15", quantity=4)])
    extra = company.subscription(customer, "2025-03-10", ended="2025-08-10")
    company.monthly(
        customer,
        extra,
        add_on,
        2000,
        ["2025-03-10", "2025-04-10", "2025-05-10", "2025-06-10", "2025-07-10", "2025-08-10"],
    )
    # the prorated amounts are what Stripe charges for the rest of the year; the rule values them at full period
    company.invoice(
        customer,
        "2025-06-05",
        [
            Line(plan, seat, -123288, "2025-06-05", "2026-01-15", quantity=4, proration=True),
            Line(plan, seat, 92466, "2025-06-05", "2026-01-15", quantity=3, proration=True),
        ],
    )
    back = company.subscription(customer, "2025-11-03")
    company.monthly(customer, back, monthly, 10000, ["2025-11-03", "2025-12-03", "2026-01-03"])
    return company


def discounts() -> StripeCompany:
    """ProfitWell's discount examples and Baremetrics' coupon: MRR is after discounts.

    user 1  $120 a year with 10% off                       $9 a month all year
    user 2  $10 a month with 10% off for three months      $9 in Jan-Mar, $10 from April (expansion of $1)
    user 3  $10 a month with a 50% coupon (Baremetrics)    $5 a month
    user 4  $50 a month plus $10 tax                       $50: tax is never MRR
    """
    company = StripeCompany()
    yearly, monthly, fifty = (
        company.price("price_yearly_120", 12000, "year"),
        company.price("price_monthly_10", 1000),
        company.price("price_monthly_50", 5000),
    )
    first = company.customer(1)
    company.invoice(
        first,
        "2025-01-01",
        [Line(company.subscription(first, "2025-01-01"), yearly, 12000, "2025-01-01", "2026-01-01")],
        discount=1200,
    )
    second = company.customer(2)
    subscription = company.subscription(second, "2025-01-01")
    months = month_starts("2025-01-01", "2026-01-01")
    company.monthly(second, subscription, monthly, 1000, months[:4], discount=100)
    company.monthly(second, subscription, monthly, 1000, months[3:])
    third = company.customer(3)
    company.monthly(third, company.subscription(third, "2025-01-01"), monthly, 1000, months, discount=500)
    fourth = company.customer(4)
    company.monthly(fourth, company.subscription(fourth, "2025-01-01"), fifty, 5000, months, tax=1000)
    return company


def hand_worked() -> StripeCompany:
    """Cases worked by hand (rates: one yen is $0.0067 all year; one euro $1.10 until Feb, $1.20 from Mar 1):

    user 1  ¥1,200 a month (zero-decimal)           1,200 x 0.0067 = $8.04
    user 2  $7 a week                               7 x 52 / 12 = $30.333333
    user 3  a trial Jan 1-15 that never converts    never a customer
    user 4  $30 a month, May's invoice void (pause) churn in May, reactivation in June
    user 5  $40 a month, April's renewal uncollectible   churn in April, involuntary
    user 6  €100 a month                            $110 in Jan-Feb, $120 from March: fx_mrr +10 in March
    user 7  $25 a month; on the same invoices metered   $25: usage, one-off items and drafts are never MRR
            usage ($3.10), a one-off $50 setup fee in
            January, and a $999 draft in March
    """
    company = StripeCompany()
    company.fx_rates = [("2025-01-01", "jpy", 0.0067), ("2025-01-01", "EUR", 1.10), ("2025-03-01", "eur", 1.20)]
    yen, weekly, trial_price, thirty, forty, euro = (
        company.price("price_yen", 1200, currency="jpy"),
        company.price("price_weekly", 700, "week"),
        company.price("price_trial_plan", 2500),
        company.price("price_30", 3000),
        company.price("price_40", 4000),
        company.price("price_euro", 10000, currency="eur"),
    )
    months = month_starts("2025-01-01", "2026-01-01")
    first = company.customer(1)
    company.monthly(first, company.subscription(first, "2025-01-01"), yen, 1200, months)
    second = company.customer(2)
    weeks = [f"2025-12-{day:02d}" for day in (1, 8, 15, 22, 29)] + ["2026-01-05"]
    company.monthly(second, company.subscription(second, "2025-12-01"), weekly, 700, weeks)
    third = company.customer(3)
    trial = company.subscription(third, "2025-01-01", ended="2025-01-15", trial=("2025-01-01", "2025-01-15"))
    company.invoice(third, "2025-01-01", [Line(trial, trial_price, 0, "2025-01-01", "2025-01-15")])
    fourth = company.customer(4)
    paused = company.subscription(fourth, "2025-01-01")
    company.monthly(fourth, paused, thirty, 3000, months[:5])
    company.monthly(fourth, paused, thirty, 3000, months[4:6], status="void")
    company.monthly(fourth, paused, thirty, 3000, months[5:])
    fifth = company.customer(5)
    failing = company.subscription(fifth, "2025-01-01")
    company.monthly(fifth, failing, forty, 4000, months[:4])
    company.monthly(fifth, failing, forty, 4000, months[3:5], status="uncollectible")
    sixth = company.customer(6)
    company.monthly(sixth, company.subscription(sixth, "2025-01-01"), euro, 10000, months)
    seventh = company.customer(7)
    with_usage = company.subscription(seventh, "2025-01-01")
    base, usage = company.price("price_25", 2500), company.price("price_per_scan", 1, usage="metered")
    setup = company.price("price_setup", 5000, interval=None)
    for start, end in itertools.pairwise(months):
        lines = [Line(with_usage, base, 2500, start, end), Line(with_usage, usage, 310, start, end, quantity=310)]
        if start == months[0]:
            lines.append(Line(None, setup, 5000, start, start, kind="invoiceitem"))
        company.invoice(seventh, start, lines)
    company.invoice(seventh, "2025-03-01", [Line(with_usage, base, 99900, "2025-03-01", "2025-04-01")], status="draft")
    return company


def trials() -> StripeCompany:
    """Trials are never MRR, and convert when their subscription pays after the trial ends:

    user 1  trial Jan 5-19, never pays                       a January trial, not converted
    user 2  trial Feb 1-15, then $20 a month from Feb 15     a February trial, converted; $20 MRR from Feb
    user 3  trial Dec 20 - Jan 3 2026                        a December trial, not ended by Dec 31
    """
    company = StripeCompany()
    plan = company.price("price_20", 2000)
    for user_id, (start, end) in enumerate(
        [("2025-01-05", "2025-01-19"), ("2025-02-01", "2025-02-15"), ("2025-12-20", "2026-01-03")], start=1
    ):
        customer = company.customer(user_id)
        ended = end if user_id == 1 else None
        subscription = company.subscription(customer, start, ended=ended, trial=(start, end))
        company.invoice(customer, start, [Line(subscription, plan, 0, start, end)])
        if user_id == 2:
            fifteenths = [f"2025-{month:02d}-15" for month in range(2, 13)] + ["2026-01-15"]
            company.monthly(customer, subscription, plan, 2000, fifteenths)
    return company


def euro_reporting() -> StripeCompany:
    """A company that reports in euros (reporting currency EUR; one dollar is worth €0.90 all year):

    user 1  €100 a month                 €100
    user 2  $110 a month                 110 x 0.90 = €99
    December: MRR €199, two customers, ARPU €99.50
    """
    company = StripeCompany()
    company.fx_rates = [("2025-01-01", "usd", 0.90)]
    euro, dollar = company.price("price_euro", 10000, currency="eur"), company.price("price_dollar", 11000)
    months = month_starts("2025-11-01", "2026-01-01")
    for user_id, price, amount in ((1, euro, 10000), (2, dollar, 11000)):
        customer = company.customer(user_id)
        company.monthly(customer, company.subscription(customer, "2025-11-01"), price, amount, months)
    return company


COMPANIES = {
    "trials": trials,
    "stripe-glossary": stripe_glossary,
    "chartmogul": chartmogul_walkthrough,
    "discounts": discounts,
    "hand-worked": hand_worked,
}


def write_all(folder: Path) -> None:
    for tenant, make in COMPANIES.items():
        make().write(folder / tenant)
