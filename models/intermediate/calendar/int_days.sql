with

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

days as (
    {{ date_series('reporting_period', 'first_month', 'as_of_date', 'day') }}
),

final as (
    select
        days.tenant_id,
        days.period_start as date_day,
        cast({{ dbt.date_trunc('month', 'days.period_start') }} as date) as month
    from days
)

select * from final
