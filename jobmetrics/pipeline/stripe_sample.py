"""The synthetic company billed through Stripe: the generator's own-format company rewritten as the tables Fivetran
syncs from Stripe (customers, subscriptions, items, prices, invoices, invoice lines) with exchange rates.

Each user pays in their country's currency (GBP in Great Britain, EUR in Germany, Ireland and the Netherlands,
INR in India, USD elsewhere); each subscription is invoiced once per billing period from its start until it ends.
Deterministic variations on top, chosen by id so the same arguments give the same files: one subscription in ten
has 2 to 5 seats (half of those monthly ones add a seat ten days into their second month: Stripe's pair of
proration lines on an invoice of that day, and one more seat on every later invoice), one in seven a 20% coupon on
its first three invoices, one in nine metered usage on every invoice, one in eleven a one-off setup fee on its
first invoice, European customers pay 20% VAT, a renewal whose subscription ended with a failed payment is
uncollectible, one open invoice in thirty is still unpaid (past due), one first subscription in ten starts with a
7-day trial, and one user in twenty who never paid tried a 14-day trial. DuckDB writes every table; no row passes
through Python.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

CURRENCIES = {"GB": "gbp", "DE": "eur", "IE": "eur", "NL": "eur", "IN": "inr"}
# units of USD per unit, around which each month's rate moves (a few percent either way)
BASE_RATES = {"eur": 1.08, "gbp": 1.27, "inr": 0.012}
COPIED = ("raw_users", "raw_scans", "raw_marketing_spend", "raw_experiments", "raw_experiment_assignments")
STRIPE_TABLES = ("customer", "subscription", "subscription_item", "price", "invoice", "invoice_line_item")


def country_currency() -> str:
    cases = " ".join(f"when '{country}' then '{currency}'" for country, currency in CURRENCIES.items())
    return f"case upper(country) {cases} else 'usd' end"


def rate_of(currency: str) -> str:
    cases = " ".join(f"when '{code}' then {rate}" for code, rate in BASE_RATES.items())
    return f"case {currency} {cases} else 1 end"


def rows_in(con: duckdb.DuckDBPyConnection, table: str) -> int:
    counted = con.execute(f"select count(*) from {table}").fetchone()
    return int(counted[0]) if counted else 0


def write_stripe(own: Path, out: Path) -> dict[str, int]:
    """Rewrite the own-format company in `own` as a Stripe-billed company in `out`; row counts per file."""
    (out / "stripe").mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        if (own / f"{name}.csv").exists():
            shutil.copy(own / f"{name}.csv", out / f"{name}.csv")
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = true")
        for name in ("raw_users", "raw_plans", "raw_subscriptions"):
            con.read_csv(str(own / f"{name}.csv"), header=True).create(name)
        con.execute(QUERIES.format(currency=country_currency(), rate=rate_of("currency")))
        counts = {}
        for table in STRIPE_TABLES:
            con.execute(f"copy stripe_{table} to '{out / 'stripe' / f'{table}.csv'}' (header, format csv)")
            counts[f"stripe/{table}"] = rows_in(con, f"stripe_{table}")
        con.execute(f"copy fx_rates to '{out / 'fx_rates.csv'}' (header, format csv)")
        counts["fx_rates"] = rows_in(con, "fx_rates")
    return counts


QUERIES = """
create table customers as
select user_id, signup_at, {currency} as currency from raw_users;

create table fx_rates as
with months as (
    select unnest(generate_series(
        date_trunc('month', (select min(signup_at) from raw_users)),
        date_trunc('month', (select max(signup_at) from raw_users)), interval 1 month
    )) as month
), currencies as (select distinct currency from customers where currency <> 'usd')
select
    strftime(month, '%Y-%m-%d') as date,
    currency,
    round({rate} * (1 + 0.03 * sin(date_diff('month', date '2025-01-01', month) + length(currency))), 6) as rate
from months cross join currencies
order by date, currency;

create table stripe_price as
select
    'price_' || plan_id || '_' || currency as id,
    currency,
    cast(round(price_usd / {rate}) * 100 - 5 as bigint) as unit_amount,
    case billing_interval_months when 12 then 'year' else 'month' end as recurring_interval,
    case billing_interval_months when 12 then 1 else billing_interval_months end as recurring_interval_count,
    'licensed' as recurring_usage_type,
    plan_name as nickname
from raw_plans cross join (select distinct currency from customers)
union all
select
    'price_scans_' || currency, currency, greatest(cast(round(2 / {rate}) as bigint), 1), 'month', 1, 'metered',
    'Scans beyond the plan'
from (select distinct currency from customers)
union all
select
    'price_setup_' || currency, currency, cast(round(49 / {rate}) * 100 as bigint), null, null, null, 'Setup'
from (select distinct currency from customers)
order by id;

create table subscriptions as
select
    s.*,
    c.currency,
    case when subscription_id % 10 = 3 then 2 + subscription_id % 4 else 1 end as quantity,
    subscription_id % 7 = 2 as has_coupon,
    c.currency in ('eur', 'gbp') as pays_vat,
    row_number() over (partition by s.user_id order by started_at, subscription_id) = 1
        and s.user_id % 10 = 4
        and started_at - interval 7 day >= c.signup_at as has_trial,
    p.billing_interval_months as months,
    subscription_id % 20 = 13 and p.billing_interval_months = 1 as adds_seat,
    subscription_id % 9 = 5 as has_usage,
    subscription_id % 11 = 6 as pays_setup
from raw_subscriptions as s
inner join customers as c on s.user_id = c.user_id
inner join raw_plans as p on s.plan_id = p.plan_id;

create table never_paid_trials as
select user_id, signup_at + interval 1 day as trial_start, signup_at + interval 15 day as trial_end, currency
from customers
where user_id % 20 = 7 and user_id not in (select user_id from raw_subscriptions)
    and signup_at + interval 15 day <= (select max(signup_at) from raw_users);

create table stripe_customer as
select
    'cus_' || user_id as id,
    '{{"user_id": "' || user_id || '"}}' as metadata,
    'user' || user_id || '@example.com' as email,
    currency
from customers
where user_id in (select user_id from raw_subscriptions union select user_id from never_paid_trials)
order by user_id;

create table stripe_subscription as
select
    'sub_' || subscription_id as id,
    'cus_' || user_id as customer_id,
    case when ended_at is null then 'active' when end_reason = 'payment_failed' then 'unpaid' else 'canceled' end
        as status,
    case when has_trial then started_at - interval 7 day else started_at end as start_date,
    ended_at,
    case when has_trial then started_at - interval 7 day end as trial_start,
    case when has_trial then started_at end as trial_end,
    false as cancel_at_period_end
from subscriptions
union all
select
    'sub_trial_' || user_id, 'cus_' || user_id, 'canceled', trial_start, trial_end, trial_start, trial_end, false
from never_paid_trials
order by id;

create table stripe_subscription_item as
select 'si_' || subscription_id as id, 'sub_' || subscription_id as subscription_id, quantity
from subscriptions
union all
select 'si_trial_' || user_id, 'sub_trial_' || user_id, 1 from never_paid_trials
order by id;

create table periods as
select
    s.*,
    k,
    started_at + to_months(k * months) as period_start,
    started_at + to_months((k + 1) * months) as period_end
from subscriptions as s,
    unnest(generate_series(0, date_diff('month', started_at, coalesce(ended_at, (
        select max(signup_at) from raw_users
    ))) // months)) as t(k)
where started_at + to_months(k * months) < coalesce(ended_at, timestamp '9999-12-31');

create table period_lines as
select
    periods.*,
    p.id as price_id,
    p.unit_amount,
    quantity + case when adds_seat and k >= 2 then 1 else 0 end as billed_quantity,
    case
        when end_reason = 'payment_failed' and ended_at < period_end then 'uncollectible'
        when ended_at is null and period_end > (select max(signup_at) from raw_users) and subscription_id % 30 = 11
            then 'open'
        else 'paid'
    end as status
from periods
inner join stripe_price as p on p.id = 'price_' || periods.plan_id || '_' || periods.currency;

create table seat_changes as
select
    *,
    period_start + interval 10 day as changed_at,
    date_diff('day', period_start + interval 10 day, period_end) / date_diff('day', period_start, period_end)
        as remaining
from period_lines
where adds_seat and k = 1
    and period_start + interval 10 day < coalesce(ended_at, (select max(signup_at) from raw_users));

create table lines as
select
    'in_' || subscription_id || '_' || k as invoice_id,
    'il_' || subscription_id || '_' || k as line_id,
    'cus_' || user_id as customer_id,
    'sub_' || subscription_id as subscription_id,
    'si_' || subscription_id as subscription_item_id,
    price_id,
    currency,
    billed_quantity as quantity,
    period_start,
    period_end,
    unit_amount * billed_quantity as amount,
    case when has_coupon and k < 3 then cast(round(unit_amount * billed_quantity * 0.2) as bigint) else 0 end
        as discount,
    pays_vat,
    status,
    false as proration,
    'subscription' as type
from period_lines
union all
select
    'in_' || subscription_id || '_' || k, 'il_usage_' || subscription_id || '_' || k, 'cus_' || user_id,
    'sub_' || subscription_id, 'si_' || subscription_id, usage.id, usage.currency,
    20 + (subscription_id * 7 + k * 13) % 90, period_start, period_end,
    (20 + (subscription_id * 7 + k * 13) % 90) * usage.unit_amount, 0, pays_vat, status, false, 'subscription'
from period_lines
inner join stripe_price as usage on usage.id = 'price_scans_' || period_lines.currency
where has_usage
union all
select
    'in_' || subscription_id || '_0', 'il_setup_' || subscription_id, 'cus_' || user_id, null, null,
    setup.id, setup.currency, 1, period_start, period_start, setup.unit_amount, 0, pays_vat, status, false,
    'invoiceitem'
from period_lines
inner join stripe_price as setup on setup.id = 'price_setup_' || period_lines.currency
where pays_setup and k = 0
union all
-- a seat added mid-period: Stripe credits the unused time of the old quantity and charges the new one
select
    'in_seat_' || subscription_id, 'il_seat_old_' || subscription_id, 'cus_' || user_id, 'sub_' || subscription_id,
    'si_' || subscription_id, price_id, currency, quantity, changed_at, period_end,
    -cast(round(unit_amount * quantity * remaining) as bigint), 0, pays_vat, 'paid', true, 'subscription'
from seat_changes
union all
select
    'in_seat_' || subscription_id, 'il_seat_new_' || subscription_id, 'cus_' || user_id, 'sub_' || subscription_id,
    'si_' || subscription_id, price_id, currency, quantity + 1, changed_at, period_end,
    cast(round(unit_amount * (quantity + 1) * remaining) as bigint), 0, pays_vat, 'paid', true, 'subscription'
from seat_changes
union all
select
    'in_trial_' || subscription_id, 'il_trial_' || subscription_id, 'cus_' || user_id, 'sub_' || subscription_id,
    'si_' || subscription_id, 'price_' || plan_id || '_' || currency, currency, quantity,
    started_at - interval 7 day, started_at, 0, 0, pays_vat, 'paid', false, 'subscription'
from subscriptions
where has_trial
union all
select
    'in_trial_u' || user_id, 'il_trial_u' || user_id, 'cus_' || user_id, 'sub_trial_' || user_id,
    'si_trial_' || user_id, 'price_basic_monthly_' || currency, currency, 1, trial_start, trial_end, 0, 0, false,
    'paid', false, 'subscription'
from never_paid_trials;

create table stripe_invoice as
with invoices as (
    select
        invoice_id,
        any_value(customer_id) as customer_id,
        any_value(status) as status,
        any_value(currency) as currency,
        sum(amount) as subtotal,
        sum(discount) as discount,
        bool_or(pays_vat) as pays_vat,
        min(period_start) as created
    from lines
    group by invoice_id
)
select
    invoice_id as id,
    customer_id,
    status,
    currency,
    cast(subtotal as bigint) as subtotal,
    case when pays_vat then cast(round((subtotal - discount) * 0.2) as bigint) else 0 end as tax,
    cast(subtotal - discount + case when pays_vat then round((subtotal - discount) * 0.2) else 0 end as bigint)
        as total,
    created
from invoices
order by created, id;

create table stripe_invoice_line_item as
select
    line_id as id,
    invoice_id,
    amount,
    currency,
    quantity,
    period_start,
    period_end,
    proration,
    price_id,
    null as plan_id,
    subscription_id,
    subscription_item_id,
    type
from lines
order by period_start, id;
"""
