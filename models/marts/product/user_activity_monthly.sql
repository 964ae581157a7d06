with

scans as (
    select * from {{ ref('int_scans') }}
),

user_mrr as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

activity as (
    select
        tenant_id,
        user_id,
        cast({{ dbt.date_trunc('month', 'scan_date') }} as date) as month,
        count(*) as scans,
        count(distinct job_id) as jobs_scanned,
        avg(match_rate) as avg_match_rate
    from scans
    group by tenant_id, user_id, cast({{ dbt.date_trunc('month', 'scan_date') }} as date)
),

final as (
    select
        activity.tenant_id,
        activity.month,
        activity.user_id,
        cast(activity.scans as {{ dbt.type_bigint() }}) as scans,
        cast(activity.jobs_scanned as {{ dbt.type_bigint() }}) as jobs_scanned,
        activity.avg_match_rate,
        coalesce(user_mrr.mrr, 0) > 0 as is_paying
    from activity
    left join user_mrr
        on
            activity.tenant_id = user_mrr.tenant_id
            and activity.user_id = user_mrr.user_id
            and activity.month = user_mrr.month
)

select * from final
