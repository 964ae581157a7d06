with

experiments as (
    select * from {{ ref('stg_experiments') }}
),

assignments as (
    select * from {{ ref('stg_experiment_assignments') }}
),

exposures as (
    select * from {{ ref('int_experiment_exposures') }}
),

checks as (
    select * from {{ ref('int_experiment_checks') }}
),

declared as (
    select
        tenant_id,
        experiment_id,
        count(*) as variants
    from experiments
    group by tenant_id, experiment_id
),

exposure_counts as (
    select
        tenant_id,
        experiment_id,
        count(case when not is_multiple_exposure and is_window_complete then 1 end) as users,
        count(case when is_multiple_exposure then 1 end) as multiple_exposure_users,
        count(case when not is_multiple_exposure and not is_window_complete then 1 end) as users_in_window
    from exposures
    group by tenant_id, experiment_id
),

assignment_span as (
    select
        tenant_id,
        experiment_id,
        min(assigned_at) as first_assigned_at,
        max(assigned_at) as last_assigned_at
    from assignments
    group by tenant_id, experiment_id
),

final as (
    select
        declared.tenant_id,
        declared.experiment_id,
        declared.variants,
        coalesce(exposure_counts.users, 0) as users,
        coalesce(exposure_counts.multiple_exposure_users, 0) as multiple_exposure_users,
        coalesce(exposure_counts.users_in_window, 0) as users_in_window,
        assignment_span.first_assigned_at,
        assignment_span.last_assigned_at,
        cast(checks.srm_p_value as {{ jobmetrics.type_double() }}) as srm_p_value,
        coalesce(cast(checks.srm_flag as boolean), false) as srm_flag,
        cast(checks.verdict as {{ dbt.type_string() }}) as verdict
    from declared
    left join exposure_counts
        on declared.tenant_id = exposure_counts.tenant_id and declared.experiment_id = exposure_counts.experiment_id
    left join assignment_span
        on declared.tenant_id = assignment_span.tenant_id and declared.experiment_id = assignment_span.experiment_id
    left join checks
        on declared.tenant_id = checks.tenant_id and declared.experiment_id = checks.experiment_id
)

select * from final
