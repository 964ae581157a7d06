-- Each month's MRR and active customers, recomputed straight from the staged subscriptions, plans and rates
-- (price x seats / interval x the latest rate on or before the snapshot, active when start <= snapshot < end),
-- without the intermediate models. For the project's own billing format (Stripe's: tests/python/test_stripe_mrr.py).
with

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

rates as (
    select
        tenant_id,
        currency,
        rate,
        rate_date,
        lead(rate_date) over (partition by tenant_id, currency order by rate_date) as next_rate_date
    from {{ ref('stg_fx_rates') }}
),

stripe_tenants as (
    select distinct tenant_id from {{ ref('stg_stripe_invoices') }}
),

active_at_snapshot as (
    select
        monthly.tenant_id,
        monthly.month,
        subscriptions.user_id,
        sum(
            plans.price_usd * subscriptions.quantity / plans.billing_interval_months
            * case when plans.currency = {{ jobmetrics.reporting_currency() }} then 1 else rates.rate end
        ) as user_mrr
    from monthly
    inner join subscriptions
        on
            monthly.tenant_id = subscriptions.tenant_id
            and monthly.snapshot_date >= subscriptions.start_date
            and (subscriptions.end_date is null or monthly.snapshot_date < subscriptions.end_date)
    inner join plans
        on subscriptions.tenant_id = plans.tenant_id and subscriptions.plan_id = plans.plan_id
    left join rates
        on
            plans.tenant_id = rates.tenant_id
            and plans.currency = rates.currency
            and monthly.snapshot_date >= rates.rate_date
            and (rates.next_rate_date is null or monthly.snapshot_date < rates.next_rate_date)
    group by monthly.tenant_id, monthly.month, subscriptions.user_id
),

recomputed as (
    select
        tenant_id,
        month,
        sum(user_mrr) as mrr,
        count(*) as active_customers
    from active_at_snapshot
    where user_mrr > 0.0000005
    group by tenant_id, month
),

final as (
    select
        monthly.tenant_id,
        monthly.month,
        monthly.mrr,
        recomputed.mrr as recomputed_mrr,
        monthly.active_customers,
        recomputed.active_customers as recomputed_active_customers
    from monthly
    left join recomputed
        on monthly.tenant_id = recomputed.tenant_id and monthly.month = recomputed.month
    where
        monthly.tenant_id not in (select stripe_tenants.tenant_id from stripe_tenants)
        and (
            {{ jobmetrics.money_differs('monthly.mrr', 'coalesce(recomputed.mrr, 0)') }}
            or monthly.active_customers != coalesce(recomputed.active_customers, 0)
        )
)

select * from final
