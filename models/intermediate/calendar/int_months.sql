with

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

month_starts as (
    {{ date_series('reporting_period', 'first_month', 'last_month', 'month') }}
),

final as (
    select
        month_starts.tenant_id,
        month_starts.period_start as month,
        {{ dbt.last_day('month_starts.period_start', 'month') }} as month_end_date,
        case
            when {{ dbt.last_day('month_starts.period_start', 'month') }} > reporting_period.as_of_date
                then reporting_period.as_of_date
            else {{ dbt.last_day('month_starts.period_start', 'month') }}
        end as snapshot_date,
        {{ dbt.last_day('month_starts.period_start', 'month') }} <= reporting_period.as_of_date as is_complete_month
    from month_starts
    inner join reporting_period
        on month_starts.tenant_id = reporting_period.tenant_id
)

select * from final
