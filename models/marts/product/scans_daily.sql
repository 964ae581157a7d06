{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ jobmetrics.clear_event_mart('date_day') }}",
    post_hook="{{ jobmetrics.remember_event_mart('date_day') }}",
) }}
{#- Incremental: only the days after the last day built (see macros/event_marts.sql for when it rebuilds). -#}
-- depends_on: {{ ref('int_reporting_period') }} {{ ref('int_scans') }} {{ ref('int_paid_spans') }}
{%- set cutoff = jobmetrics.event_mart_cutoff('date_day') %}

with

days as (
    select * from {{ ref('int_days') }}
    {{ jobmetrics.from_cutoff('date_day', cutoff) }}
),

all_scans as (
    select * from {{ ref('fct_scans') }}
),

scans as (
    select * from all_scans
    {{ jobmetrics.from_cutoff('scan_date', cutoff) }}
),

users as (
    select * from {{ ref('int_users') }}
    {{ jobmetrics.from_cutoff('signup_date', cutoff) }}
),

first_scans as (
    -- each scanning user's first scan ever (only users who scanned in the days computed)
    select
        tenant_id,
        user_id,
        min(scan_date) as first_scan_date
    from all_scans
    where exists (
            select 1
            from scans
            where scans.tenant_id = all_scans.tenant_id and scans.user_id = all_scans.user_id
        )
    group by tenant_id, user_id
),

daily_scans as (
    select
        tenant_id,
        scan_date as date_day,
        count(*) as scans,
        count(distinct user_id) as scanning_users,
        sum(case when is_paying_at_scan then 1 else 0 end) as scans_by_paying_users,
        avg(match_rate) as avg_match_rate
    from scans
    group by tenant_id, scan_date
),

daily_new_scanners as (
    select
        tenant_id,
        first_scan_date as date_day,
        count(*) as new_scanning_users
    from first_scans
    group by tenant_id, first_scan_date
),

daily_signups as (
    select
        tenant_id,
        signup_date as date_day,
        count(*) as signups
    from users
    group by tenant_id, signup_date
),

final as (
    select
        days.tenant_id,
        days.date_day,
        cast(coalesce(daily_scans.scans, 0) as {{ dbt.type_bigint() }}) as scans,
        cast(coalesce(daily_scans.scanning_users, 0) as {{ dbt.type_bigint() }}) as scanning_users,
        cast(coalesce(daily_new_scanners.new_scanning_users, 0) as {{ dbt.type_bigint() }}) as new_scanning_users,
        cast(coalesce(daily_scans.scans_by_paying_users, 0) as {{ dbt.type_bigint() }}) as scans_by_paying_users,
        daily_scans.avg_match_rate,
        cast(coalesce(daily_signups.signups, 0) as {{ dbt.type_bigint() }}) as signups
    from days
    left join daily_scans
        on days.tenant_id = daily_scans.tenant_id and days.date_day = daily_scans.date_day
    left join daily_new_scanners
        on days.tenant_id = daily_new_scanners.tenant_id and days.date_day = daily_new_scanners.date_day
    left join daily_signups
        on days.tenant_id = daily_signups.tenant_id and days.date_day = daily_signups.date_day
)

select * from final
