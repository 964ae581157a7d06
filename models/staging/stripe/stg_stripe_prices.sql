{{ assert_raw_columns('stripe', 'price') }}

with

source as (
    select * from {{ source('stripe', 'price') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'price')) }} as tenant_id,
        trim(id) as price_id,
        upper(trim(currency)) as currency,
        cast(unit_amount as {{ dbt.type_bigint() }}) as unit_amount,
        lower(trim(recurring_interval)) as recurring_interval,
        cast(recurring_interval_count as {{ dbt.type_bigint() }}) as recurring_interval_count,
        coalesce(lower(trim(recurring_usage_type)), 'licensed') as recurring_usage_type
    from source
)

select * from final
