with

users as (
    select * from {{ ref('dim_users') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

conversions as (
    select
        tenant_id,
        signup_month,
        count(*) as users,
        sum(case when first_subscription_at <= {{ dbt.dateadd('day', 7, 'signup_at') }} then 1 else 0 end)
            as converted_7d,
        sum(case when first_subscription_at <= {{ dbt.dateadd('day', 30, 'signup_at') }} then 1 else 0 end)
            as converted_30d,
        sum(case when first_subscription_at <= {{ dbt.dateadd('day', 90, 'signup_at') }} then 1 else 0 end)
            as converted_90d
    from users
    group by tenant_id, signup_month
),

final as (
    select
        conversions.tenant_id,
        conversions.signup_month,
        cast(conversions.users as {{ dbt.type_bigint() }}) as users,
        cast(conversions.converted_7d as {{ dbt.type_bigint() }}) as converted_7d,
        cast(conversions.converted_30d as {{ dbt.type_bigint() }}) as converted_30d,
        cast(conversions.converted_90d as {{ dbt.type_bigint() }}) as converted_90d,
        {{ jobmetrics.safe_divide('conversions.converted_7d', 'conversions.users') }} as conversion_rate_7d,
        {{ jobmetrics.safe_divide('conversions.converted_30d', 'conversions.users') }} as conversion_rate_30d,
        {{ jobmetrics.safe_divide('conversions.converted_90d', 'conversions.users') }} as conversion_rate_90d,
        {{ dbt.dateadd('day', 90, dbt.last_day('conversions.signup_month', 'month')) }}
        <= reporting_period.as_of_date as has_full_90_day_window
    from conversions
    inner join reporting_period
        on conversions.tenant_id = reporting_period.tenant_id
)

select * from final
