{{ assert_raw_columns('raw', 'raw_experiment_assignments') }}

with

source as (
    select * from {{ source('raw', 'raw_experiment_assignments') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_experiment_assignments')) }} as tenant_id,
        trim(experiment_id) as experiment_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        lower(trim(variant)) as variant,
        cast(assigned_at as {{ dbt.type_timestamp() }}) as assigned_at
    from source
)

select * from final
