{{ assert_raw_columns('raw', 'raw_experiments') }}

with

source as (
    select * from {{ source('raw', 'raw_experiments') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_experiments')) }} as tenant_id,
        trim(experiment_id) as experiment_id,
        lower(trim(variant)) as variant,
        cast(is_control as boolean) as is_control,
        cast(weight as {{ jobmetrics.type_double() }}) as weight
    from source
)

select * from final
