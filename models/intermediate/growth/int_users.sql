with

users as (
    select * from {{ ref('stg_users') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

user_months as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

reference_channels as (
    select * from {{ ref('stg_acquisition_channels') }}
),

first_subscriptions as (
    select
        tenant_id,
        user_id,
        min(started_at) as first_subscription_at
    from subscriptions
    group by tenant_id, user_id
),

first_paid_months as (
    select
        tenant_id,
        user_id,
        min(month) as first_paid_month
    from user_months
    where movement = 'new'
    group by tenant_id, user_id
),

current_mrr as (
    -- the last month's snapshot is as_of_date itself
    select
        user_months.tenant_id,
        user_months.user_id,
        user_months.mrr
    from user_months
    inner join reporting_period
        on
            user_months.tenant_id = reporting_period.tenant_id
            and user_months.month = reporting_period.last_month
),

signed_up as (
    select users.*
    from users
    inner join reporting_period
        on users.tenant_id = reporting_period.tenant_id
    where users.signup_date <= reporting_period.as_of_date
),

final as (
    select
        signed_up.tenant_id,
        signed_up.user_id,
        signed_up.signup_at,
        signed_up.signup_date,
        cast({{ dbt.date_trunc('month', 'signed_up.signup_date') }} as date) as signup_month,
        signed_up.acquisition_channel,
        reference_channels.is_paid as is_paid_channel,
        signed_up.segment,
        signed_up.country,
        first_subscriptions.first_subscription_at,
        first_paid_months.first_paid_month,
        first_subscriptions.user_id is not null as is_converted,
        coalesce(current_mrr.mrr, 0) as current_mrr,
        coalesce(current_mrr.mrr, 0) > 0 as is_active_customer
    from signed_up
    left join reference_channels
        on
            signed_up.tenant_id = reference_channels.tenant_id
            and signed_up.acquisition_channel = reference_channels.acquisition_channel
    left join first_subscriptions
        on signed_up.tenant_id = first_subscriptions.tenant_id and signed_up.user_id = first_subscriptions.user_id
    left join first_paid_months
        on signed_up.tenant_id = first_paid_months.tenant_id and signed_up.user_id = first_paid_months.user_id
    left join current_mrr
        on signed_up.tenant_id = current_mrr.tenant_id and signed_up.user_id = current_mrr.user_id
)

select * from final
