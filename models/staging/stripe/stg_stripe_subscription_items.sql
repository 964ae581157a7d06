{{ assert_raw_columns('stripe', 'subscription_item') }}

with

source as (
    select * from {{ source('stripe', 'subscription_item') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'subscription_item')) }} as tenant_id,
        trim(id) as subscription_item_id,
        trim(subscription_id) as subscription_id,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity
    from source
)

select * from final
