with

monthly as (
    select * from {{ ref('mrr_monthly') }}
),

channel_months as (
    select * from {{ ref('channel_monthly') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

cohorts as (
    select * from {{ ref('cohort_retention') }}
),

scans as (
    select * from {{ ref('fct_scans') }}
),

spend_by_month as (
    select
        month,
        sum(spend_usd) as spend_usd
    from channel_months
    group by month
),

cumulative_spend as (
    select
        month,
        sum(spend_usd) over (order by month rows between unbounded preceding and current row) as spend_usd
    from spend_by_month
),

cumulative_revenue as (
    -- whole-period channel economics of the `all` row, as they stood at each month's snapshot
    select
        month,
        sum(new_customers) over (order by month rows between unbounded preceding and current row)
            as new_customers,
        sum(mrr) over (order by month rows between unbounded preceding and current row) as customer_month_mrr,
        sum(active_customers) over (order by month rows between unbounded preceding and current row)
            as customer_months,
        sum(churned_customers) over (order by month rows between unbounded preceding and current row)
            as churned_customers,
        sum(previous_active_customers) over (order by month rows between unbounded preceding and current row)
            as previous_customer_months
    from monthly
),

unit_economics as (
    select
        cumulative_revenue.month,
        {{ jobmetrics.safe_divide('cumulative_spend.spend_usd', 'cumulative_revenue.new_customers') }} as cac,
        {{ jobmetrics.safe_divide('cumulative_revenue.customer_month_mrr', 'cumulative_revenue.customer_months') }}
            as arpu_per_customer_month,
        {{ jobmetrics.safe_divide(
            'cumulative_revenue.churned_customers', 'cumulative_revenue.previous_customer_months'
        ) }} as churn_rate
    from cumulative_revenue
    left join cumulative_spend
        on cumulative_revenue.month = cumulative_spend.month
),

user_conversions as (
    -- a user counts toward a snapshot's denominator once signed up, toward its numerator once also
    -- subscribed; every date here is on or before as_of_date, so month buckets match the snapshots
    select
        cast({{ dbt.date_trunc('month', 'signup_date') }} as date) as signup_month,
        case
            when first_subscription_at is not null
                then cast({{ dbt.date_trunc(
                    'month', 'greatest(signup_date, cast(first_subscription_at as date))'
                ) }} as date)
        end as converted_month
    from users
),

signups_by_month as (
    select
        signup_month as month,
        count(*) as signups
    from user_conversions
    group by signup_month
),

conversions_by_month as (
    select
        converted_month as month,
        count(*) as conversions
    from user_conversions
    where converted_month is not null
    group by converted_month
),

conversion as (
    -- users signed up by the snapshot who had started a subscription by then
    select
        monthly.month,
        {{ jobmetrics.safe_divide(
            'sum(coalesce(conversions_by_month.conversions, 0)) over cumulative',
            'sum(coalesce(signups_by_month.signups, 0)) over cumulative'
        ) }} as conversion_rate
    from monthly
    left join signups_by_month
        on monthly.month = signups_by_month.month
    left join conversions_by_month
        on monthly.month = conversions_by_month.month
    window cumulative as (order by monthly.month rows between unbounded preceding and current row)
),

month_one_retention as (
    select
        cast({{ dbt.dateadd('month', 1, 'cohort_month') }} as date) as month,
        logo_retention_rate
    from cohorts
    where months_since_start = 1
),

match_rates as (
    select
        cast({{ dbt.date_trunc('month', 'scan_date') }} as date) as month,
        avg(match_rate) as avg_match_rate
    from scans
    group by cast({{ dbt.date_trunc('month', 'scan_date') }} as date)
),

final as (
    select
        monthly.month,
        monthly.is_complete_month,
        monthly.mrr_growth_rate,
        monthly.customer_churn_rate,
        monthly.gross_mrr_churn_rate,
        monthly.net_mrr_retention,
        monthly.quick_ratio,
        monthly.arpu,
        conversion.conversion_rate,
        month_one_retention.logo_retention_rate as month1_logo_retention,
        {{ ltv_to_cac('unit_economics.arpu_per_customer_month', 'unit_economics.churn_rate', 'unit_economics.cac') }}
            as ltv_to_cac,
        {{ cac_payback_months('unit_economics.cac', 'unit_economics.arpu_per_customer_month') }} as cac_payback_months,
        match_rates.avg_match_rate
    from monthly
    left join unit_economics
        on monthly.month = unit_economics.month
    left join conversion
        on monthly.month = conversion.month
    left join month_one_retention
        on monthly.month = month_one_retention.month
    left join match_rates
        on monthly.month = match_rates.month
)

select * from final
