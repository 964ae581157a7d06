{#- a table: its tests and the models after it read it, where a view would redo its joins each time -#}
{{ config(materialized='table') }}

with

assignments as (
    select * from {{ ref('stg_experiment_assignments') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

per_user as (
    -- identical repeated rows and later assignments add nothing: the earliest one is the exposure; one
    -- variant when the lowest and highest names agree
    select
        tenant_id,
        experiment_id,
        user_id,
        min(assigned_at) as exposed_at,
        min(variant) as lowest_variant,
        max(variant) as highest_variant
    from assignments
    group by tenant_id, experiment_id, user_id
),

final as (
    select
        per_user.tenant_id,
        per_user.experiment_id,
        per_user.user_id,
        case when per_user.lowest_variant = per_user.highest_variant then per_user.lowest_variant end as variant,
        per_user.exposed_at,
        {{ dbt.dateadd('day', var('experiment_window_days'), 'per_user.exposed_at') }} as window_ends_at,
        per_user.lowest_variant != per_user.highest_variant as is_multiple_exposure,
        {{ dbt.dateadd('day', var('experiment_window_days'), 'per_user.exposed_at') }}
        <= {{ dbt.dateadd('day', 1, 'cast(reporting_period.as_of_date as ' ~ dbt.type_timestamp() ~ ')') }}
            as is_window_complete
    from per_user
    inner join reporting_period
        on per_user.tenant_id = reporting_period.tenant_id
)

select * from final
