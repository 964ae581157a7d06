with

scans as (
    select * from {{ ref('fct_scans') }}
),

per_job as (
    -- one pass: iterations are numbered 1..n per user and job, so the last is the largest
    select
        tenant_id,
        user_id,
        job_id,
        count(*) as iterations,
        min(scanned_at) as first_scanned_at,
        max(scanned_at) as last_scanned_at,
        max(case when iteration = 1 then match_rate end) as first_match_rate,
        max(match_rate) as best_match_rate,
        {{ jobmetrics.value_at_max('match_rate', 'iteration') }} as last_match_rate
    from scans
    group by tenant_id, user_id, job_id
),

final as (
    select
        tenant_id,
        user_id,
        job_id,
        cast(iterations as {{ dbt.type_bigint() }}) as iterations,
        first_scanned_at,
        last_scanned_at,
        first_match_rate,
        best_match_rate,
        last_match_rate,
        best_match_rate - first_match_rate as lift,
        best_match_rate >= {{ var('match_rate_target') }} as reached_target_match_rate
    from per_job
)

select * from final
