with

user_mrr as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

users as (
    select * from {{ ref('stg_users') }}
),

final as (
    select
        user_mrr.tenant_id,
        user_mrr.month,
        user_mrr.user_id,
        user_mrr.mrr,
        user_mrr.previous_mrr,
        user_mrr.mrr_change,
        user_mrr.movement,
        user_mrr.currency,
        user_mrr.mrr_in_currency,
        user_mrr.fx_rate,
        user_mrr.fx_mrr,
        users.acquisition_channel,
        users.segment
    from user_mrr
    left join users
        on user_mrr.tenant_id = users.tenant_id and user_mrr.user_id = users.user_id
)

select * from final
