{#-
  Subscriptions as known on as_of_date, from either form of billing: the project's own (one row per raw
  subscription, its plan's price per seat x seats / interval as MRR) or Stripe's (one row per Stripe subscription
  that ever had a paying line, from its first paying day; its latest paying line gives plan, price and MRR).
  mrr is in the subscription's own currency.
-#}
with

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

stripe_subscriptions as (
    select * from {{ ref('stg_stripe_subscriptions') }}
),

stripe_lines as (
    select * from {{ ref('int_stripe_service_lines') }}
),

stripe_ends as (
    -- as known on as_of_date: a later end has not happened yet
    select
        stripe_subscriptions.tenant_id,
        stripe_subscriptions.subscription_id,
        stripe_subscriptions.status,
        case
            when cast(stripe_subscriptions.ended_at as date) <= reporting_period.as_of_date
                then stripe_subscriptions.ended_at
        end as ended_at
    from stripe_subscriptions
    inner join reporting_period
        on stripe_subscriptions.tenant_id = reporting_period.tenant_id
),

own_billing as (
    -- as known on as_of_date: later starts are left out, later ends have not happened yet
    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        cast(subscriptions.subscription_id as {{ dbt.type_string() }}) as billing_subscription_id,
        'own' as billing_source,
        subscriptions.user_id,
        subscriptions.plan_id,
        subscriptions.started_at,
        subscriptions.start_date,
        case
            when subscriptions.end_date <= reporting_period.as_of_date then subscriptions.ended_at
        end as ended_at,
        case
            when subscriptions.end_date <= reporting_period.as_of_date then subscriptions.end_date
        end as end_date,
        case
            when subscriptions.end_date <= reporting_period.as_of_date then subscriptions.end_reason
        end as end_reason,
        plans.billing_interval_months,
        plans.price_usd,
        plans.currency,
        subscriptions.quantity,
        -- rounded so a quarterly price like 119.85 / 3 reads 39.95, not 39.949999999999996
        {{ jobmetrics.round_to(jobmetrics.safe_divide('plans.price_usd * subscriptions.quantity',
            'plans.billing_interval_months'), 6) }} as mrr
    from subscriptions
    inner join reporting_period
        on subscriptions.tenant_id = reporting_period.tenant_id
    left join plans
        on subscriptions.tenant_id = plans.tenant_id and subscriptions.plan_id = plans.plan_id
    where subscriptions.start_date <= reporting_period.as_of_date
),

paying_lines as (
    select
        stripe_lines.*,
        row_number() over (
            partition by stripe_lines.tenant_id, stripe_lines.subscription_id
            order by stripe_lines.is_proration asc, stripe_lines.start_date desc, stripe_lines.line_id desc
        ) as recency,
        min(stripe_lines.period_start) over (
            partition by stripe_lines.tenant_id, stripe_lines.subscription_id
        ) as first_paid_at,
        max(case when stripe_lines.invoice_status = 'uncollectible' then 1 else 0 end) over (
            partition by stripe_lines.tenant_id, stripe_lines.subscription_id
        ) as had_failed_payment
    from stripe_lines
    where stripe_lines.counts_as_mrr and stripe_lines.monthly_amount > 0 and stripe_lines.subscription_id is not null
),

stripe_billing as (
    select
        paying_lines.tenant_id,
        {{ jobmetrics.text_id_to_bigint('paying_lines.subscription_id') }} as subscription_id,
        paying_lines.subscription_id as billing_subscription_id,
        'stripe' as billing_source,
        paying_lines.user_id,
        paying_lines.price_id as plan_id,
        paying_lines.first_paid_at as started_at,
        cast(paying_lines.first_paid_at as date) as start_date,
        stripe_ends.ended_at,
        cast(stripe_ends.ended_at as date) as end_date,
        case
            when stripe_ends.ended_at is null then null
            when paying_lines.had_failed_payment = 1 or stripe_ends.status in ('unpaid', 'incomplete_expired')
                then 'payment_failed'
            else 'cancelled'
        end as end_reason,
        cast(greatest(1, round(paying_lines.interval_months)) as {{ dbt.type_int() }}) as billing_interval_months,
        {{ jobmetrics.round_to('paying_lines.monthly_amount * paying_lines.interval_months', 6) }} as price_usd,
        paying_lines.currency,
        paying_lines.quantity,
        {{ jobmetrics.round_to('paying_lines.monthly_amount', 6) }} as mrr
    from paying_lines
    inner join stripe_ends
        on
            paying_lines.tenant_id = stripe_ends.tenant_id
            and paying_lines.subscription_id = stripe_ends.subscription_id
    where paying_lines.recency = 1
),

final as (
    select * from own_billing
    union all
    select * from stripe_billing
)

select * from final
