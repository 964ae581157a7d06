{#- One row per day for MetricFlow's time spine (day, week and month grains of metric_time). -#}
with

days as (
    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2041-01-01' as date)") }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
