with

users as (
    select * from {{ ref('int_users') }}
),

marketing_spend as (
    select * from {{ ref('int_marketing_spend') }}
),

reference_channels as (
    select * from {{ ref('stg_acquisition_channels') }}
),

seen as (
    select
        tenant_id,
        acquisition_channel
    from users
    union
    select
        tenant_id,
        acquisition_channel
    from marketing_spend
),

final as (
    select
        seen.tenant_id,
        seen.acquisition_channel,
        reference_channels.is_paid
    from seen
    left join reference_channels
        on
            seen.tenant_id = reference_channels.tenant_id
            and seen.acquisition_channel = reference_channels.acquisition_channel
)

select * from final
