-- Every month's MRR, customers and movement amounts in mrr_monthly equal the sums over fct_mrr.
with

user_months as (
    select * from {{ ref('fct_mrr') }}
),

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

summed as (
    select
        month,
        sum(mrr) as mrr,
        sum(case when mrr > 0 then 1 else 0 end) as active_customers,
        sum(case when movement = 'churn' then previous_mrr else 0 end) as churned_mrr,
        sum(case when movement = 'new' then 1 else 0 end) as new_customers
    from user_months
    group by month
),

final as (
    select
        monthly.month,
        monthly.mrr,
        summed.mrr as summed_mrr
    from monthly
    left join summed
        on monthly.month = summed.month
    where
        abs(monthly.mrr - coalesce(summed.mrr, 0)) > 0.001
        or monthly.active_customers != coalesce(summed.active_customers, 0)
        or abs(monthly.churned_mrr - coalesce(summed.churned_mrr, 0)) > 0.001
        or monthly.new_customers != coalesce(summed.new_customers, 0)
)

select * from final
