with

scans as (
    select * from {{ ref('fct_scans') }}
),

jobs as (
    select * from {{ ref('match_rate_lift') }}
),

by_iteration as (
    select
        tenant_id,
        iteration,
        count(*) as scans,
        avg(match_rate) as avg_match_rate
    from scans
    group by tenant_id, iteration
),

all_jobs as (
    select
        tenant_id,
        count(*) as jobs,
        avg(lift) as avg_lift,
        sum(case when reached_target_match_rate then 1 else 0 end) as jobs_reaching_target
    from jobs
    group by tenant_id
),

final as (
    select
        by_iteration.tenant_id,
        by_iteration.iteration,
        cast(by_iteration.scans as {{ dbt.type_bigint() }}) as scans,
        by_iteration.avg_match_rate,
        cast(all_jobs.jobs as {{ dbt.type_bigint() }}) as jobs,
        all_jobs.avg_lift,
        {{ jobmetrics.safe_divide('all_jobs.jobs_reaching_target', 'all_jobs.jobs') }} as share_of_jobs_reaching_target
    from by_iteration
    inner join all_jobs
        on by_iteration.tenant_id = all_jobs.tenant_id
)

select * from final
