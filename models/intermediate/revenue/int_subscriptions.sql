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

final as (
    -- as known on as_of_date: later starts are left out, later ends have not happened yet
    select
        subscriptions.tenant_id,
        subscriptions.subscription_id,
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
        -- rounded so a quarterly price like 119.85 / 3 reads 39.95, not 39.949999999999996
        {{ jobmetrics.round_to(jobmetrics.safe_divide('plans.price_usd', 'plans.billing_interval_months'), 6) }} as mrr
    from subscriptions
    inner join reporting_period
        on subscriptions.tenant_id = reporting_period.tenant_id
    left join plans
        on subscriptions.tenant_id = plans.tenant_id and subscriptions.plan_id = plans.plan_id
    where subscriptions.start_date <= reporting_period.as_of_date
)

select * from final
