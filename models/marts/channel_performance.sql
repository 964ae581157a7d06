with

channels as (
    select * from {{ ref('int_acquisition_channels') }}
),

users as (
    select * from {{ ref('dim_users') }}
),

user_mrr as (
    select * from {{ ref('fct_mrr') }}
),

marketing_spend as (
    select * from {{ ref('int_marketing_spend') }}
),

signups as (
    select
        acquisition_channel,
        count(*) as signups,
        sum(case when is_converted then 1 else 0 end) as converted_users,
        sum(case when is_active_customer then 1 else 0 end) as active_customers,
        sum(current_mrr) as mrr
    from users
    group by acquisition_channel
),

spend as (
    select
        acquisition_channel,
        sum(spend_usd) as spend_usd
    from marketing_spend
    group by acquisition_channel
),

revenue as (
    select
        acquisition_channel,
        sum(case when movement = 'new' then 1 else 0 end) as new_customers,
        sum(mrr) as customer_month_mrr,
        sum(case when mrr > 0 then 1 else 0 end) as customer_months,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers,
        sum(case when previous_mrr > 0 then 1 else 0 end) as previous_customer_months
    from user_mrr
    group by acquisition_channel
),

per_channel as (
    select
        channels.acquisition_channel,
        coalesce(signups.signups, 0) as signups,
        coalesce(signups.converted_users, 0) as converted_users,
        coalesce(signups.active_customers, 0) as active_customers,
        coalesce(signups.mrr, 0) as mrr,
        coalesce(spend.spend_usd, 0) as spend_usd,
        coalesce(revenue.new_customers, 0) as new_customers,
        coalesce(revenue.customer_month_mrr, 0) as customer_month_mrr,
        coalesce(revenue.customer_months, 0) as customer_months,
        coalesce(revenue.churned_customers, 0) as churned_customers,
        coalesce(revenue.previous_customer_months, 0) as previous_customer_months
    from channels
    left join signups
        on channels.acquisition_channel = signups.acquisition_channel
    left join spend
        on channels.acquisition_channel = spend.acquisition_channel
    left join revenue
        on channels.acquisition_channel = revenue.acquisition_channel
),

blended as (
    select
        'all' as acquisition_channel,
        sum(signups) as signups,
        sum(converted_users) as converted_users,
        sum(active_customers) as active_customers,
        sum(mrr) as mrr,
        sum(spend_usd) as spend_usd,
        sum(new_customers) as new_customers,
        sum(customer_month_mrr) as customer_month_mrr,
        sum(customer_months) as customer_months,
        sum(churned_customers) as churned_customers,
        sum(previous_customer_months) as previous_customer_months
    from per_channel
),

combined as (
    select * from per_channel
    union all
    select * from blended
),

unit_economics as (
    select
        acquisition_channel,
        signups,
        converted_users,
        active_customers,
        mrr,
        spend_usd,
        new_customers,
        churned_customers,
        {{ safe_divide('converted_users', 'signups') }} as conversion_rate,
        {{ safe_divide('spend_usd', 'new_customers') }} as cac,
        {{ safe_divide('customer_month_mrr', 'customer_months') }} as arpu,
        {{ safe_divide('churned_customers', 'previous_customer_months') }} as customer_churn_rate
    from combined
),

final as (
    select
        acquisition_channel,
        cast(signups as {{ dbt.type_bigint() }}) as signups,
        cast(converted_users as {{ dbt.type_bigint() }}) as converted_users,
        conversion_rate,
        cast(active_customers as {{ dbt.type_bigint() }}) as active_customers,
        round(mrr, 6) as mrr,
        round(spend_usd, 6) as spend_usd,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cac,
        arpu,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        customer_churn_rate,
        {{ ltv('arpu', 'customer_churn_rate') }} as ltv,
        {{ ltv_to_cac('arpu', 'customer_churn_rate', 'cac') }} as ltv_to_cac,
        {{ cac_payback_months('cac', 'arpu') }} as cac_payback_months
    from unit_economics
)

select * from final
