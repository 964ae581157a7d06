with

channels as (
    select * from {{ ref('int_acquisition_channels') }}
),

user_totals as (
    select * from {{ ref('int_user_totals') }}
    where grouped_by in ('acquisition_channel', 'all')
),

mrr_totals as (
    select * from {{ ref('int_mrr_totals') }}
    where grouped_by in ('acquisition_channel', 'all')
),

marketing_spend as (
    select * from {{ ref('int_marketing_spend') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

rows_shown as (
    -- every channel seen in users or spend, and the blend of them all (neither paid nor unpaid)
    select
        tenant_id,
        acquisition_channel,
        is_paid
    from channels
    union all
    select
        tenant_id,
        'all' as acquisition_channel,
        null as is_paid
    from reporting_period
),

spend as (
    select
        tenant_id,
        coalesce(acquisition_channel, 'all') as acquisition_channel,
        sum(spend_usd) as spend_usd
    from marketing_spend
    group by grouping sets ((tenant_id, acquisition_channel), (tenant_id))  -- noqa: PRS
),

combined as (
    select
        rows_shown.tenant_id,
        rows_shown.acquisition_channel,
        rows_shown.is_paid,
        coalesce(user_totals.users, 0) as signups,
        coalesce(user_totals.converted_users, 0) as converted_users,
        coalesce(user_totals.active_customers, 0) as active_customers,
        coalesce(user_totals.mrr, 0) as mrr,
        coalesce(spend.spend_usd, 0) as spend_usd,
        coalesce(mrr_totals.new_customers, 0) as new_customers,
        coalesce(mrr_totals.mrr, 0) as customer_month_mrr,
        coalesce(mrr_totals.customer_months, 0) as customer_months,
        coalesce(mrr_totals.churned_customers, 0) as churned_customers,
        coalesce(mrr_totals.previous_customer_months, 0) as previous_customer_months
    from rows_shown
    left join user_totals
        on rows_shown.tenant_id = user_totals.tenant_id and rows_shown.acquisition_channel = user_totals.group_value
    left join spend
        on rows_shown.tenant_id = spend.tenant_id and rows_shown.acquisition_channel = spend.acquisition_channel
    left join mrr_totals
        on rows_shown.tenant_id = mrr_totals.tenant_id and rows_shown.acquisition_channel = mrr_totals.group_value
),

unit_economics as (
    select
        tenant_id,
        acquisition_channel,
        is_paid,
        signups,
        converted_users,
        active_customers,
        mrr,
        spend_usd,
        new_customers,
        churned_customers,
        {{ jobmetrics.safe_divide('converted_users', 'signups') }} as conversion_rate,
        {{ jobmetrics.safe_divide('spend_usd', 'new_customers') }} as cac,
        {{ jobmetrics.safe_divide('customer_month_mrr', 'customer_months') }} as arpu_per_customer_month,
        {{ jobmetrics.safe_divide('churned_customers', 'previous_customer_months') }} as customer_churn_rate
    from combined
),

final as (
    select
        tenant_id,
        acquisition_channel,
        cast(is_paid as boolean) as is_paid,
        cast(signups as {{ dbt.type_bigint() }}) as signups,
        cast(converted_users as {{ dbt.type_bigint() }}) as converted_users,
        conversion_rate,
        cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
        {{ jobmetrics.round_to('mrr', 6) }} as mrr,
        {{ jobmetrics.round_to('spend_usd', 6) }} as spend_usd,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cac,
        arpu_per_customer_month,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        customer_churn_rate,
        {{ ltv('arpu_per_customer_month', 'customer_churn_rate') }} as ltv,
        {{ ltv_to_cac('arpu_per_customer_month', 'customer_churn_rate', 'cac') }} as ltv_to_cac,
        {{ cac_payback_months('cac', 'arpu_per_customer_month') }} as cac_payback_months
    from unit_economics
)

select * from final
