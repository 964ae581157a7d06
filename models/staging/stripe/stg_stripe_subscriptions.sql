{{ assert_raw_columns('stripe', 'subscription') }}

with

source as (
    select * from {{ source('stripe', 'subscription') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('stripe', 'subscription')) }} as tenant_id,
        trim(id) as subscription_id,
        trim(customer_id) as customer_id,
        lower(trim(status)) as status,
        cast(start_date as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(trial_start as {{ dbt.type_timestamp() }}) as trial_start,
        cast(trial_end as {{ dbt.type_timestamp() }}) as trial_end,
        coalesce(cast(cancel_at_period_end as boolean), false) as cancel_at_period_end
    from source
)

select * from final
