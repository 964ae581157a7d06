with

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

users as (
    select * from {{ ref('int_users') }}
),

final as (
    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
        subscriptions.user_id,
        subscriptions.plan_id,
        plans.plan_name,
        subscriptions.billing_interval_months,
        subscriptions.price_usd,
        subscriptions.mrr,
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
)

select * from final
