with

months as (
    select * from {{ ref('int_months') }}
),

user_mrr as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

monthly as (
    select
        month,
        sum(mrr) as mrr,
        sum(previous_mrr) as previous_mrr,
        sum(case when mrr > 0 then 1 else 0 end) as active_customers,
        sum(case when previous_mrr > 0 then 1 else 0 end) as previous_active_customers,
        sum(case when movement = 'new' then mrr else 0 end) as new_mrr,
        sum(case when movement = 'reactivation' then mrr else 0 end) as reactivation_mrr,
        sum(case when movement = 'expansion' then mrr - previous_mrr else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then previous_mrr - mrr else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then previous_mrr else 0 end) as churned_mrr,
        sum(case when movement = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement = 'reactivation' then 1 else 0 end) as reactivated_customers,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers
    from user_mrr
    group by month
),

filled as (
    -- every month of the spine, zero months included
    select
        months.month,
        months.snapshot_date,
        months.is_complete_month,
        round(coalesce(monthly.mrr, 0), 6) as mrr,
        round(coalesce(monthly.previous_mrr, 0), 6) as previous_mrr,
        cast(coalesce(monthly.active_customers, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(monthly.previous_active_customers, 0) as {{ dbt.type_bigint() }})
            as previous_active_customers,
        round(coalesce(monthly.new_mrr, 0), 6) as new_mrr,
        round(coalesce(monthly.reactivation_mrr, 0), 6) as reactivation_mrr,
        round(coalesce(monthly.expansion_mrr, 0), 6) as expansion_mrr,
        round(coalesce(monthly.contraction_mrr, 0), 6) as contraction_mrr,
        round(coalesce(monthly.churned_mrr, 0), 6) as churned_mrr,
        cast(coalesce(monthly.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(monthly.reactivated_customers, 0) as {{ dbt.type_bigint() }}) as reactivated_customers,
        cast(coalesce(monthly.churned_customers, 0) as {{ dbt.type_bigint() }}) as churned_customers
    from months
    left join monthly
        on months.month = monthly.month
),

final as (
    select
        month,
        snapshot_date,
        is_complete_month,
        mrr,
        previous_mrr,
        active_customers,
        previous_active_customers,
        {{ safe_divide('mrr', 'active_customers') }} as arpu,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        round(new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churned_mrr, 6) as net_new_mrr,
        new_customers,
        reactivated_customers,
        churned_customers,
        {{ safe_divide('churned_customers', 'previous_active_customers') }} as customer_churn_rate,
        {{ safe_divide('churned_mrr + contraction_mrr', 'previous_mrr') }} as gross_mrr_churn_rate,
        {{ safe_divide('previous_mrr + expansion_mrr - contraction_mrr - churned_mrr', 'previous_mrr') }}
            as net_mrr_retention,
        {{ safe_divide('mrr - previous_mrr', 'previous_mrr') }} as mrr_growth_rate,
        {{ safe_divide('new_mrr + reactivation_mrr + expansion_mrr', 'churned_mrr + contraction_mrr') }}
            as quick_ratio
    from filled
)

select * from final
