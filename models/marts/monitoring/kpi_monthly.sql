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

user_months as (
    select * from {{ ref('fct_mrr') }}
),

acquisition_channels as (
    select * from {{ ref('int_acquisition_channels') }}
),

paid_channels as (
    select
        tenant_id,
        acquisition_channel
    from acquisition_channels
    where is_paid
),

paid_customers_by_month as (
    -- the movement counts of customers acquired through a paid channel, per month
    select
        user_months.tenant_id,
        user_months.month,
        sum(case when user_months.movement = 'new' then 1 else 0 end) as new_customers,
        sum(user_months.mrr) as customer_month_mrr,
        sum(case when user_months.mrr > 0 then 1 else 0 end) as customer_months,
        sum(case when user_months.movement = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when user_months.previous_mrr > 0 then 1 else 0 end) as previous_customer_months
    from user_months
    inner join paid_channels
        on
            user_months.tenant_id = paid_channels.tenant_id
            and user_months.acquisition_channel = paid_channels.acquisition_channel
    group by user_months.tenant_id, user_months.month
),

paid_spend_by_month as (
    select
        channel_months.tenant_id,
        channel_months.month,
        sum(channel_months.spend_usd) as spend_usd
    from channel_months
    inner join paid_channels
        on
            channel_months.tenant_id = paid_channels.tenant_id
            and channel_months.acquisition_channel = paid_channels.acquisition_channel
    group by channel_months.tenant_id, channel_months.month
),

paid_cumulative_spend as (
    -- over the spend's own months, as the blended CAC's: spend before the first signup counts
    select
        tenant_id,
        month,
        sum(spend_usd) over (
            partition by tenant_id order by month rows between unbounded preceding and current row
        ) as spend_usd
    from paid_spend_by_month
),

paid_cumulative as (
    -- the paid channels' economics as they stood at each month's snapshot
    select
        monthly.tenant_id,
        monthly.month,
        sum(coalesce(paid_customers_by_month.new_customers, 0)) over running as new_customers,
        sum(coalesce(paid_customers_by_month.customer_month_mrr, 0)) over running as customer_month_mrr,
        sum(coalesce(paid_customers_by_month.customer_months, 0)) over running as customer_months,
        sum(coalesce(paid_customers_by_month.churned_customers, 0)) over running as churned_customers,
        sum(coalesce(paid_customers_by_month.previous_customer_months, 0)) over running as previous_customer_months
    from monthly
    left join paid_customers_by_month
        on monthly.tenant_id = paid_customers_by_month.tenant_id and monthly.month = paid_customers_by_month.month
    window running as (
        partition by monthly.tenant_id order by monthly.month rows between unbounded preceding and current row
    )
),

paid_unit_economics as (
    select
        paid_cumulative.tenant_id,
        paid_cumulative.month,
        {{ jobmetrics.safe_divide('paid_cumulative_spend.spend_usd', 'paid_cumulative.new_customers') }} as cac,
        {{ jobmetrics.safe_divide('paid_cumulative.customer_month_mrr', 'paid_cumulative.customer_months') }}
            as arpu_per_customer_month,
        {{ jobmetrics.safe_divide(
            'paid_cumulative.churned_customers', 'paid_cumulative.previous_customer_months'
        ) }} as churn_rate
    from paid_cumulative
    left join paid_cumulative_spend
        on
            paid_cumulative.tenant_id = paid_cumulative_spend.tenant_id
            and paid_cumulative.month = paid_cumulative_spend.month
),

spend_by_month as (
    select
        tenant_id,
        month,
        sum(spend_usd) as spend_usd
    from channel_months
    group by tenant_id, month
),

cumulative_spend as (
    select
        tenant_id,
        month,
        sum(spend_usd) over (
            partition by tenant_id order by month rows between unbounded preceding and current row
        ) as spend_usd
    from spend_by_month
),

cumulative_revenue as (
    -- whole-period channel economics of the `all` row, as they stood at each month's snapshot
    select
        tenant_id,
        month,
        sum(new_customers) over running as new_customers,
        sum(mrr) over running as customer_month_mrr,
        sum(active_customers) over running as customer_months,
        sum(churned_customers) over running as churned_customers,
        sum(previous_active_customers) over running as previous_customer_months
    from monthly
    window running as (partition by tenant_id order by month rows between unbounded preceding and current row)
),

unit_economics as (
    select
        cumulative_revenue.tenant_id,
        cumulative_revenue.month,
        {{ jobmetrics.safe_divide('cumulative_spend.spend_usd', 'cumulative_revenue.new_customers') }} as cac,
        {{ jobmetrics.safe_divide('cumulative_revenue.customer_month_mrr', 'cumulative_revenue.customer_months') }}
            as arpu_per_customer_month,
        {{ jobmetrics.safe_divide(
            'cumulative_revenue.churned_customers', 'cumulative_revenue.previous_customer_months'
        ) }} as churn_rate
    from cumulative_revenue
    left join cumulative_spend
        on
            cumulative_revenue.tenant_id = cumulative_spend.tenant_id
            and cumulative_revenue.month = cumulative_spend.month
),

user_conversions as (
    -- a user counts toward a snapshot's denominator once signed up, toward its numerator once also
    -- subscribed; every date here is on or before as_of_date, so month buckets match the snapshots
    select
        tenant_id,
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
        tenant_id,
        signup_month as month,
        count(*) as signups
    from user_conversions
    group by tenant_id, signup_month
),

conversions_by_month as (
    select
        tenant_id,
        converted_month as month,
        count(*) as conversions
    from user_conversions
    where converted_month is not null
    group by tenant_id, converted_month
),

conversion as (
    -- users signed up by the snapshot who had started a subscription by then
    select
        monthly.tenant_id,
        monthly.month,
        {{ jobmetrics.safe_divide(
            'sum(coalesce(conversions_by_month.conversions, 0)) over cumulative',
            'sum(coalesce(signups_by_month.signups, 0)) over cumulative'
        ) }} as conversion_rate
    from monthly
    left join signups_by_month
        on monthly.tenant_id = signups_by_month.tenant_id and monthly.month = signups_by_month.month
    left join conversions_by_month
        on monthly.tenant_id = conversions_by_month.tenant_id and monthly.month = conversions_by_month.month
    window cumulative as (
        partition by monthly.tenant_id order by monthly.month rows between unbounded preceding and current row
    )
),

month_one_retention as (
    select
        tenant_id,
        cast({{ dbt.dateadd('month', 1, 'cohort_month') }} as date) as month,
        logo_retention_rate
    from cohorts
    where months_since_start = 1
),

match_rates as (
    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'scan_date') }} as date) as month,
        avg(match_rate) as avg_match_rate
    from scans
    group by tenant_id, cast({{ dbt.date_trunc('month', 'scan_date') }} as date)
),

final as (
    select
        monthly.tenant_id,
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
        {{ ltv_to_cac(
            'paid_unit_economics.arpu_per_customer_month', 'paid_unit_economics.churn_rate', 'paid_unit_economics.cac'
        ) }} as paid_ltv_to_cac,
        match_rates.avg_match_rate
    from monthly
    left join unit_economics
        on monthly.tenant_id = unit_economics.tenant_id and monthly.month = unit_economics.month
    left join conversion
        on monthly.tenant_id = conversion.tenant_id and monthly.month = conversion.month
    left join month_one_retention
        on monthly.tenant_id = month_one_retention.tenant_id and monthly.month = month_one_retention.month
    left join match_rates
        on monthly.tenant_id = match_rates.tenant_id and monthly.month = match_rates.month
    left join paid_unit_economics
        on monthly.tenant_id = paid_unit_economics.tenant_id and monthly.month = paid_unit_economics.month
)

select * from final
