with

users as (
    select * from {{ ref('int_users') }}
),

marketing_spend as (
    select * from {{ ref('int_marketing_spend') }}
),

final as (
    select acquisition_channel from users
    union
    select acquisition_channel from marketing_spend
)

select * from final
