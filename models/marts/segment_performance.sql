with

users as (
    select * from {{ ref('dim_users') }}
),

user_mrr as (
    select * from {{ ref('fct_mrr') }}
),

scans as (
    select * from {{ ref('fct_scans') }}
),

user_totals as (
    select
        segment,
        count(*) as users,
        sum(case when is_converted then 1 else 0 end) as converted_users,
        sum(case when is_active_customer then 1 else 0 end) as active_customers,
        sum(current_mrr) as mrr
    from users
    group by segment
),

churn_totals as (
    select
        segment,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when previous_mrr > 0 then 1 else 0 end) as previous_customer_months
    from user_mrr
    group by segment
),

scan_totals as (
    select
        segment,
        count(*) as scans,
        sum(match_rate) as match_rate_sum
    from scans
    group by segment
),

per_segment as (
    select
        user_totals.segment,
        user_totals.users,
        user_totals.converted_users,
        user_totals.active_customers,
        user_totals.mrr,
        coalesce(churn_totals.churned_customers, 0) as churned_customers,
        coalesce(churn_totals.previous_customer_months, 0) as previous_customer_months,
        coalesce(scan_totals.scans, 0) as scans,
        scan_totals.match_rate_sum
    from user_totals
    left join churn_totals
        on user_totals.segment = churn_totals.segment
    left join scan_totals
        on user_totals.segment = scan_totals.segment
),

blended as (
    select
        'all' as segment,
        sum(users) as users,
        sum(converted_users) as converted_users,
        sum(active_customers) as active_customers,
        sum(mrr) as mrr,
        sum(churned_customers) as churned_customers,
        sum(previous_customer_months) as previous_customer_months,
        sum(scans) as scans,
        sum(match_rate_sum) as match_rate_sum
    from per_segment
),

combined as (
    select * from per_segment
    union all
    select * from blended
),

final as (
    select
        combined.segment,
        cast(combined.users as {{ dbt.type_bigint() }}) as users,
        cast(combined.converted_users as {{ dbt.type_bigint() }}) as converted_users,
        {{ safe_divide('combined.converted_users', 'combined.users') }} as conversion_rate,
        cast(combined.active_customers as {{ dbt.type_bigint() }}) as active_customers,
        round(combined.mrr, 6) as mrr,
        {{ safe_divide('combined.mrr', 'combined.active_customers') }} as arpu,
        {{ safe_divide('combined.churned_customers', 'combined.previous_customer_months') }} as customer_churn_rate,
        cast(combined.scans as {{ dbt.type_bigint() }}) as scans,
        {{ safe_divide('combined.scans', 'combined.users') }} as scans_per_user,
        {{ safe_divide('combined.match_rate_sum', 'combined.scans') }} as avg_match_rate,
        {{ safe_divide('combined.converted_users', 'combined.users') }}
        / nullif({{ safe_divide('blended.converted_users', 'blended.users') }}, 0) - 1 as conversion_lift_vs_all
    from combined
    cross join blended
)

select * from final
