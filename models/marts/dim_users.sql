with

users as (
    select * from {{ ref('int_users') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

user_mrr as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

first_subscriptions as (
    select
        user_id,
        min(started_at) as first_subscription_at
    from subscriptions
    group by user_id
),

first_paid_months as (
    select
        user_id,
        min(month) as first_paid_month
    from user_mrr
    where movement = 'new'
    group by user_id
),

current_mrr as (
    -- the last month's snapshot is as_of_date itself
    select
        user_mrr.user_id,
        user_mrr.mrr
    from user_mrr
    inner join reporting_period
        on user_mrr.month = reporting_period.last_month
),

final as (
    select
        users.user_id,
        users.signup_at,
        users.signup_date,
        users.signup_month,
        users.acquisition_channel,
        users.segment,
        users.country,
        first_subscriptions.first_subscription_at,
        first_paid_months.first_paid_month,
        first_subscriptions.user_id is not null as is_converted,
        coalesce(current_mrr.mrr, 0) as current_mrr,
        coalesce(current_mrr.mrr, 0) > 0 as is_active_customer
    from users
    left join first_subscriptions
        on users.user_id = first_subscriptions.user_id
    left join first_paid_months
        on users.user_id = first_paid_months.user_id
    left join current_mrr
        on users.user_id = current_mrr.user_id
)

select * from final
