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
    select acquisition_channel from users
    union
    select acquisition_channel from marketing_spend
),

final as (
    select
        seen.acquisition_channel,
        reference_channels.is_paid
    from seen
    left join reference_channels
        on seen.acquisition_channel = reference_channels.acquisition_channel
)

select * from final
