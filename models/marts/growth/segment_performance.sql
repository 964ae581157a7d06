with

user_totals as (
    select * from {{ ref('int_user_totals') }}
    where grouped_by in ('segment', 'all')
),

mrr_totals as (
    select * from {{ ref('int_mrr_totals') }}
    where grouped_by in ('segment', 'all')
),

combined as (
    select
        user_totals.tenant_id,
        user_totals.group_value as segment,
        user_totals.users,
        user_totals.converted_users,
        user_totals.active_customers,
        user_totals.mrr,
        coalesce(mrr_totals.churned_customers, 0) as churned_customers,
        coalesce(mrr_totals.previous_customer_months, 0) as previous_customer_months,
        user_totals.scans,
        user_totals.match_rate_sum
    from user_totals
    left join mrr_totals
        on user_totals.tenant_id = mrr_totals.tenant_id and user_totals.group_value = mrr_totals.group_value
),

blended as (
    select * from combined
    where segment = 'all'
),

final as (
    select
        combined.tenant_id,
        combined.segment,
        cast(combined.users as {{ dbt.type_bigint() }}) as users,
        cast(combined.converted_users as {{ dbt.type_bigint() }}) as converted_users,
        {{ jobmetrics.safe_divide('combined.converted_users', 'combined.users') }} as conversion_rate,
        cast(combined.active_customers as {{ dbt.type_bigint() }}) as active_customers,
        {{ jobmetrics.round_to('combined.mrr', 6) }} as mrr,
        {{ jobmetrics.safe_divide('combined.mrr', 'combined.active_customers') }} as current_arpu,
        {{ jobmetrics.safe_divide('combined.churned_customers', 'combined.previous_customer_months') }}
            as customer_churn_rate,
        cast(combined.scans as {{ dbt.type_bigint() }}) as scans,
        {{ jobmetrics.safe_divide('combined.scans', 'combined.users') }} as scans_per_user,
        {{ jobmetrics.safe_divide('combined.match_rate_sum', 'combined.scans') }} as avg_match_rate,
        {{ jobmetrics.safe_divide('combined.converted_users', 'combined.users') }}
        / nullif({{ jobmetrics.safe_divide('blended.converted_users', 'blended.users') }}, 0)
        - 1 as conversion_lift_vs_all
    from combined
    inner join blended
        on combined.tenant_id = blended.tenant_id
)

select * from final
