{{ assert_raw_columns('stripe', 'invoice') }}

with

source as (
    select * from {{ source('stripe', 'invoice') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'invoice')) }} as tenant_id,
        trim(id) as invoice_id,
        trim(customer_id) as customer_id,
        lower(trim(status)) as status,
        upper(trim(currency)) as currency,
        cast(subtotal as {{ dbt.type_bigint() }}) as subtotal,
        cast(coalesce(tax, 0) as {{ dbt.type_bigint() }}) as tax,
        cast(total as {{ dbt.type_bigint() }}) as total,
        cast(created as {{ dbt.type_timestamp() }}) as created_at,
        cast(created as date) as created_date
    from source
)

select * from final
