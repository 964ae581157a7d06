with

days as (
    select * from {{ ref('int_days') }}
),

scans as (
    select * from {{ ref('int_scans') }}
),

user_days as (
    -- one row per user and day with a scan, so the rolling windows count people, not scans
    select distinct
        user_id,
        scan_date
    from scans
),

windows as (
    select
        days.date_day,
        count(distinct case when user_days.scan_date = days.date_day then user_days.user_id end) as dau,
        count(
            distinct case
                when user_days.scan_date > {{ dbt.dateadd('day', -7, 'days.date_day') }} then user_days.user_id
            end
        ) as wau,
        count(distinct user_days.user_id) as mau
    from days
    left join user_days
        on
            days.date_day >= user_days.scan_date
            and days.date_day < {{ dbt.dateadd('day', 30, 'user_days.scan_date') }}
    group by days.date_day
),

final as (
    select
        date_day,
        cast(dau as {{ dbt.type_bigint() }}) as dau,
        cast(wau as {{ dbt.type_bigint() }}) as wau,
        cast(mau as {{ dbt.type_bigint() }}) as mau,
        {{ safe_divide('dau', 'mau') }} as stickiness
    from windows
)

select * from final
