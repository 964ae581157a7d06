-- mrr_daily, computed from subscriptions day by day, agrees with mrr_monthly on each snapshot date.
with

daily as (
    select * from {{ ref('mrr_daily') }}
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

final as (
    select
        monthly.tenant_id,
        monthly.month,
        monthly.mrr as monthly_mrr,
        daily.mrr as daily_mrr,
        monthly.active_customers as monthly_customers,
        daily.active_customers as daily_customers
    from monthly
    left join daily
        on monthly.tenant_id = daily.tenant_id and monthly.snapshot_date = daily.date_day
    where
        daily.date_day is null
        or {{ jobmetrics.money_differs('monthly.mrr', 'daily.mrr') }}
        or monthly.active_customers != daily.active_customers
)

select * from final
