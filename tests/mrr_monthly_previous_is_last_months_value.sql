-- previous_mrr and previous_active_customers are exactly last month's mrr and active_customers.
with

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

final as (
    select
        this_month.tenant_id,
        this_month.month,
        this_month.previous_mrr,
        last_month.mrr as last_month_mrr
    from monthly as this_month
    left join monthly as last_month
        on
            this_month.tenant_id = last_month.tenant_id
            and this_month.month = cast({{ dbt.dateadd('month', 1, 'last_month.month') }} as date)
    where
        {{ jobmetrics.money_differs('this_month.previous_mrr', 'coalesce(last_month.mrr, 0)') }}
        or this_month.previous_active_customers != coalesce(last_month.active_customers, 0)
)

select * from final
