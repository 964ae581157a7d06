with

users as (
    select * from {{ ref('int_users') }}
),

final as (
    select
        tenant_id,
        user_id,
        signup_at,
        signup_date,
        signup_month,
        acquisition_channel,
        is_paid_channel,
        segment,
        country,
        first_subscription_at,
        first_paid_month,
        is_converted,
        current_mrr,
        is_active_customer
    from users
)

select * from final
