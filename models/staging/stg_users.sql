{{ assert_raw_columns('raw', 'raw_users') }}

with

source as (
    select * from {{ source('raw', 'raw_users') }}
),

final as (
    select
        {{ jobmetrics.tenant_of(source('raw', 'raw_users')) }} as tenant_id,
        cast(user_id as {{ dbt.type_bigint() }}) as user_id,
        cast(signup_at as {{ dbt.type_timestamp() }}) as signup_at,
        cast(signup_at as date) as signup_date,
        lower(trim(acquisition_channel)) as acquisition_channel,
        lower(trim(segment)) as segment,
        upper(trim(country)) as country
    from source
)

select * from final
