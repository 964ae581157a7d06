{{ assert_raw_columns('raw', 'raw_marketing_spend') }}

with

source as (
    select * from {{ source('raw', 'raw_marketing_spend') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_marketing_spend')) }} as tenant_id,
        cast(spend_date as date) as spend_date,
        lower(trim(channel)) as acquisition_channel,
        cast(spend_usd as {{ jobmetrics.type_double() }}) as spend_usd,
        upper(trim({{ jobmetrics.raw_column_or_default('raw', 'raw_marketing_spend', 'currency') }})) as currency
    from source
)

select * from final
