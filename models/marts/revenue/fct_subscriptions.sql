with

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

plans as (
    select * from {{ ref('int_plans') }}
),

users as (
    select * from {{ ref('int_users') }}
),

rates as (
    select * from {{ ref('int_fx_rate_spans') }}
),

final as (
    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        subscriptions.user_id,
        subscriptions.plan_id,
        plans.plan_name,
        subscriptions.billing_interval_months,
        subscriptions.currency,
        subscriptions.quantity,
        subscriptions.billing_subscription_id,
        -- in the reporting currency at the rate of the day it started
        {% set start_rate = jobmetrics.fx_rate('rates', 'subscriptions.currency') -%}
        {{ jobmetrics.round_to('subscriptions.price_usd * ' ~ start_rate, 6) }} as price_usd,
        {{ jobmetrics.round_to('subscriptions.mrr * ' ~ start_rate, 6) }} as mrr,
        subscriptions.started_at,
        subscriptions.start_date,
        subscriptions.ended_at,
        subscriptions.end_date,
        subscriptions.end_reason,
        users.acquisition_channel,
        users.segment
    from subscriptions
    left join plans
        on subscriptions.tenant_id = plans.tenant_id and subscriptions.plan_id = plans.plan_id
    left join users
        on subscriptions.tenant_id = users.tenant_id and subscriptions.user_id = users.user_id
    left join rates
        on {{ jobmetrics.rate_applies(
            'rates', 'subscriptions.tenant_id', 'subscriptions.currency', 'subscriptions.start_date'
        ) }}
)

select * from final
