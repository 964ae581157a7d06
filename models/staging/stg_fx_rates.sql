{{ assert_raw_columns('raw', 'fx_rates') }}

with

source as (
    select * from {{ source('raw', 'fx_rates') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'fx_rates')) }} as tenant_id,
        cast(date as date) as rate_date,
        upper(trim(currency)) as currency,
        cast(rate as {{ jobmetrics.type_double() }}) as rate
    from source
)

select * from final
