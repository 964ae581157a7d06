{{ assert_raw_columns('raw', 'raw_subscriptions') }}

with

source as (
    select * from {{ source('raw', 'raw_subscriptions') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_subscriptions')) }} as tenant_id,
        cast(subscription_id as {{ dbt.type_bigint() }}) as subscription_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        trim(plan_id) as plan_id,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(started_at as date) as start_date,
        cast(ended_at as date) as end_date,
        nullif(lower(trim(end_reason)), '') as end_reason,
        cast({{ jobmetrics.raw_column_or_default('raw', 'raw_subscriptions', 'quantity') }} as {{ dbt.type_bigint() }})
            as quantity
    from source
)

select * from final
