with

scans as (
    select * from {{ ref('fct_scans') }}
),

per_job as (
    select
        user_id,
        job_id,
        count(*) as iterations,
        max(match_rate) as best_match_rate,
        min(scanned_at) as first_scanned_at,
        max(scanned_at) as last_scanned_at,
        max(iteration) as last_iteration
    from scans
    group by user_id, job_id
),

first_and_last as (
    select
        scans.user_id,
        scans.job_id,
        max(case when scans.iteration = 1 then scans.match_rate end) as first_match_rate,
        max(case when scans.iteration = per_job.last_iteration then scans.match_rate end) as last_match_rate
    from scans
    inner join per_job
        on scans.user_id = per_job.user_id and scans.job_id = per_job.job_id
    group by scans.user_id, scans.job_id
),

final as (
    select
        per_job.user_id,
        per_job.job_id,
        cast(per_job.iterations as {{ dbt.type_bigint() }}) as iterations,
        per_job.first_scanned_at,
        per_job.last_scanned_at,
        first_and_last.first_match_rate,
        per_job.best_match_rate,
        first_and_last.last_match_rate,
        per_job.best_match_rate - first_and_last.first_match_rate as lift,
        per_job.best_match_rate >= {{ var('match_rate_target') }} as reached_target_match_rate
    from per_job
    inner join first_and_last
        on per_job.user_id = first_and_last.user_id and per_job.job_id = first_and_last.job_id
)

select * from final
