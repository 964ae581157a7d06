{{ assert_raw_columns('stripe', 'invoice_line_item') }}

with

source as (
    select * from {{ source('stripe', 'invoice_line_item') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'invoice_line_item')) }} as tenant_id,
        trim(id) as line_id,
        trim(invoice_id) as invoice_id,
        cast(amount as {{ dbt.type_bigint() }}) as amount,
        upper(trim(currency)) as currency,
        cast(coalesce(quantity, 1) as {{ dbt.type_bigint() }}) as quantity,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start,
        cast(period_end as {{ dbt.type_timestamp() }}) as period_end,
        cast(period_start as date) as period_start_date,
        cast(period_end as date) as period_end_date,
        coalesce(cast(proration as boolean), false) as is_proration,
        trim(coalesce(price_id, plan_id)) as price_id,
        trim(subscription_id) as subscription_id,
        trim(subscription_item_id) as subscription_item_id,
        lower(trim(type)) as line_type
    from source
)

select * from final
