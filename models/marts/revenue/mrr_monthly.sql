with

months as (
    select * from {{ ref('int_months') }}
),

monthly as (
    select * from {{ ref('int_mrr_totals') }}
    where grouped_by = 'month'
),

filled as (
    -- every month of the spine, zero months included
    select
        months.tenant_id,
        months.month,
        months.snapshot_date,
        months.is_complete_month,
        {{ jobmetrics.round_to('coalesce(monthly.mrr, 0)', 6) }} as mrr,
        {{ jobmetrics.round_to('coalesce(monthly.previous_mrr, 0)', 6) }} as previous_mrr,
        cast(coalesce(monthly.customer_months, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(monthly.previous_customer_months, 0) as {{ dbt.type_bigint() }})
            as previous_active_customers,
        {{ jobmetrics.round_to('coalesce(monthly.new_mrr, 0)', 6) }} as new_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.reactivation_mrr, 0)', 6) }} as reactivation_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.expansion_mrr, 0)', 6) }} as expansion_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.contraction_mrr, 0)', 6) }} as contraction_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.churned_mrr, 0)', 6) }} as churned_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.churned_mrr_involuntary, 0)', 6) }} as churned_mrr_involuntary,
        {{ jobmetrics.round_to('coalesce(monthly.fx_mrr, 0)', 6) }} as fx_mrr,
        {{ jobmetrics.round_to('coalesce(monthly.discount_mrr, 0)', 6) }} as discount_mrr,
        cast(coalesce(monthly.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(monthly.reactivated_customers, 0) as {{ dbt.type_bigint() }}) as reactivated_customers,
        cast(coalesce(monthly.churned_customers, 0) as {{ dbt.type_bigint() }}) as churned_customers
    from months
    left join monthly
        on months.tenant_id = monthly.tenant_id and months.month = monthly.month
),

final as (
    select
        tenant_id,
        month,
        snapshot_date,
        is_complete_month,
        mrr,
        previous_mrr,
        active_customers,
        previous_active_customers,
        {{ jobmetrics.safe_divide('mrr', 'active_customers') }} as arpu,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        {{ jobmetrics.round_to(
            'new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churned_mrr', 6
        ) }} as net_new_mrr,
        fx_mrr,
        churned_mrr_involuntary,
        discount_mrr,
        cast({{ jobmetrics.reporting_currency() }} as {{ dbt.type_string() }}) as reporting_currency,
        new_customers,
        reactivated_customers,
        churned_customers,
        {{ jobmetrics.safe_divide('churned_customers', 'previous_active_customers') }} as customer_churn_rate,
        {{ jobmetrics.safe_divide('churned_mrr + contraction_mrr', 'previous_mrr') }} as gross_mrr_churn_rate,
        {{ jobmetrics.safe_divide('previous_mrr + expansion_mrr - contraction_mrr - churned_mrr', 'previous_mrr') }}
            as net_mrr_retention,
        {{ jobmetrics.safe_divide('mrr - previous_mrr', 'previous_mrr') }} as mrr_growth_rate,
        {{ jobmetrics.safe_divide('new_mrr + reactivation_mrr + expansion_mrr', 'churned_mrr + contraction_mrr') }}
            as quick_ratio
    from filled
)

select * from final
