{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ jobmetrics.clear_event_mart('scan_date') }}",
    post_hook="{{ jobmetrics.remember_event_mart('scan_date') }}",
) }}
{#- Incremental: only scans after the last day built (see macros/event_marts.sql for when it rebuilds). -#}
-- depends_on: {{ ref('int_reporting_period') }}
{%- set cutoff = jobmetrics.event_mart_cutoff('scan_date') %}

with

scans as (
    select * from {{ ref('int_scans') }}
    {{ jobmetrics.from_cutoff('scan_date', cutoff) }}
),

users as (
    select * from {{ ref('int_users') }}
),

paid_spans as (
    select * from {{ ref('int_paid_spans') }}
),

earlier_scans as (
    -- how many times each user already scanned each job, in the rows kept from earlier builds
    {%- if cutoff is not none %}
        select
            built.tenant_id,
            built.user_id,
            built.job_id,
            count(*) as scans
        from {{ this }} as built
        where exists (
            select 1 from scans
            where scans.tenant_id = built.tenant_id and scans.user_id = built.user_id
        )
        group by built.tenant_id, built.user_id, built.job_id
    {%- else %}
        select
            tenant_id,
            user_id,
            job_id,
            0 as scans
        from scans
        where false
    {%- endif %}
),

numbered as (
    -- numbered before the joins, so the window sorts the seven columns of a scan, not the twelve of the mart;
    -- partitioned by user and job before tenant, so the sort compares numbers before a name every row shares
    select
        scans.tenant_id,
        scans.scan_id,
        scans.user_id,
        scans.scanned_at,
        scans.scan_date,
        scans.job_id,
        scans.match_rate,
        coalesce(earlier_scans.scans, 0)
        + row_number() over (
            partition by scans.user_id, scans.job_id, scans.tenant_id order by scans.scanned_at, scans.scan_id
        ) as iteration
    from scans
    left join earlier_scans
        on
            scans.tenant_id = earlier_scans.tenant_id
            and scans.user_id = earlier_scans.user_id
            and scans.job_id = earlier_scans.job_id
),

final as (
    select
        numbered.tenant_id,
        numbered.scan_id,
        numbered.user_id,
        numbered.scanned_at,
        numbered.scan_date,
        numbered.job_id,
        numbered.match_rate,
        cast(numbered.iteration as {{ dbt.type_bigint() }}) as iteration,
        paid_spans.user_id is not null as is_paying_at_scan,
        cast(
            {{ dbt.datediff('users.signup_date', 'numbered.scan_date', 'day') }} as {{ dbt.type_bigint() }}  -- noqa: LT05
        ) as days_since_signup,
        users.acquisition_channel,
        users.segment
    from numbered
    left join users
        on numbered.tenant_id = users.tenant_id and numbered.user_id = users.user_id
    left join paid_spans
        on
            numbered.tenant_id = paid_spans.tenant_id
            and numbered.user_id = paid_spans.user_id
            and {{ is_active_on('numbered.scan_date', 'paid_spans') }}
)

select * from final
