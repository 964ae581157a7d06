{{ assert_raw_columns('stripe', 'customer') }}

with

source as (
    select * from {{ source('stripe', 'customer') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'customer')) }} as tenant_id,
        trim(id) as customer_id,
        cast(trim({{ jobmetrics.json_text('metadata', var('stripe_user_id_key')) }}) as {{ dbt.type_bigint() }})
            as user_id
    from source
)

select * from final
