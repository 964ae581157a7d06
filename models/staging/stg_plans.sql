{{ assert_raw_columns('raw', 'raw_plans') }}

with

source as (
    select * from {{ source('raw', 'raw_plans') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_plans')) }} as tenant_id,
        trim(plan_id) as plan_id,
        trim(plan_name) as plan_name,
        cast(billing_interval_months as {{ dbt.type_int() }}) as billing_interval_months,
        cast(price_usd as {{ jobmetrics.type_double() }}) as price_usd,
        upper(trim({{ jobmetrics.raw_column_or_default('raw', 'raw_plans', 'currency') }})) as currency
    from source
)

select * from final
