{#-
  Distinct active users over trailing windows in linear time: each scan day keeps its user active for
  the window's length, a user's overlapping stretches merge into disjoint spans, and a running sum of
  span starts (+1) and ends (-1) counts the users active on each day.
-#}
{%- set windows = {'wau': 7, 'mau': 30} -%}

with

days as (
    select * from {{ ref('int_days') }}
),

scans as (
    select * from {{ ref('int_scans') }}
),

user_days as (
    -- one row per user and day with a scan, so the windows count people, not scans
    select distinct
        user_id,
        scan_date
    from scans
),

daily_users as (
    select
        scan_date as date_day,
        count(*) as dau
    from user_days
    group by scan_date
),

with_previous as (
    select
        user_id,
        scan_date,
        lag(scan_date) over (partition by user_id order by scan_date) as previous_scan_date
    from user_days
),
{% for name, length in windows.items() %}
{{ name }}_stretches as (
    -- a new stretch starts when the previous scan's window ended before this scan
    select
        user_id,
        scan_date,
        sum(
            case
                when
                    previous_scan_date is null
                    or scan_date > cast({{ dbt.dateadd('day', length, 'previous_scan_date') }} as date)
                    then 1
                else 0
            end
        ) over (partition by user_id order by scan_date rows between unbounded preceding and current row)
            as stretch
    from with_previous
),

{{ name }}_changes as (
    select
        min(scan_date) as date_day,
        1 as change
    from {{ name }}_stretches
    group by user_id, stretch
    union all
    select
        cast({{ dbt.dateadd('day', length, 'max(scan_date)') }} as date) as date_day,
        -1 as change
    from {{ name }}_stretches
    group by user_id, stretch
    union all
    select
        date_day,
        0 as change
    from days
),

{{ name }}_running as (
    select
        date_day,
        sum(sum(change)) over (order by date_day rows between unbounded preceding and current row) as users
    from {{ name }}_changes
    group by date_day
),
{% endfor %}
final as (
    select
        days.date_day,
        cast(coalesce(daily_users.dau, 0) as {{ dbt.type_bigint() }}) as dau,
        cast(wau_running.users as {{ dbt.type_bigint() }}) as wau,
        cast(mau_running.users as {{ dbt.type_bigint() }}) as mau,
        {{ safe_divide('coalesce(daily_users.dau, 0)', 'mau_running.users') }} as stickiness
    from days
    left join daily_users
        on days.date_day = daily_users.date_day
    inner join wau_running
        on days.date_day = wau_running.date_day
    inner join mau_running
        on days.date_day = mau_running.date_day
)

select * from final
