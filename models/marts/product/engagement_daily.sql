{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ jobmetrics.clear_event_mart('date_day') }}",
    post_hook="{{ jobmetrics.remember_event_mart('date_day') }}",
) }}
{#-
  Distinct active users over trailing windows, in linear time (macros/active_users.sql). Incremental:
  only the days after the last day built, from the scans of the 30 days before them on (see
  macros/event_marts.sql for when it rebuilds).
-#}
-- depends_on: {{ ref('int_reporting_period') }}
{%- set cutoff = jobmetrics.event_mart_cutoff('date_day') %}
with

days as (
    select * from {{ ref('int_days') }}
    {{ jobmetrics.from_cutoff('date_day', cutoff) }}
),

scans as (
    -- a day's monthly actives scanned within the 30 days up to it
    select * from {{ ref('int_scans') }}
    {{ jobmetrics.from_cutoff('scan_date', cutoff, days_before=30) }}
),

user_days as (
    -- one row per user and day with a scan, so the windows count people, not scans
    select distinct
        tenant_id,
        user_id,
        scan_date
    from scans
),

daily_users as (
    select
        tenant_id,
        scan_date as date_day,
        count(*) as dau
    from user_days
    group by tenant_id, scan_date
),

with_previous as (
    select
        tenant_id,
        user_id,
        scan_date,
        lag(scan_date) over (partition by user_id, tenant_id order by scan_date) as previous_scan_date
    from user_days
),

weekly_active as (
    {{ running_active_users('with_previous', 'days', 7) }}
),

monthly_active as (
    {{ running_active_users('with_previous', 'days', 30) }}
),

final as (
    select
        days.tenant_id,
        days.date_day,
        cast(coalesce(daily_users.dau, 0) as {{ dbt.type_bigint() }}) as dau,
        cast(weekly_active.users as {{ dbt.type_bigint() }}) as wau,
        cast(monthly_active.users as {{ dbt.type_bigint() }}) as mau,
        {{ jobmetrics.safe_divide('coalesce(daily_users.dau, 0)', 'monthly_active.users') }} as stickiness
    from days
    left join daily_users
        on days.tenant_id = daily_users.tenant_id and days.date_day = daily_users.date_day
    inner join weekly_active
        on days.tenant_id = weekly_active.tenant_id and days.date_day = weekly_active.date_day
    inner join monthly_active
        on days.tenant_id = monthly_active.tenant_id and days.date_day = monthly_active.date_day
)

select * from final
