-- The `all` rows of channel_performance and segment_performance, against counts taken straight from
-- staging: users signed up by as_of_date, those with a subscription started by then, and the
-- customers and MRR active on as_of_date (price / interval of subscriptions active that day).
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

users as (
    select staged.user_id
    from {{ ref('stg_users') }} as staged
    cross join period
    where staged.signup_date <= period.as_of_date
),

subscriptions as (
    select staged.*
    from {{ ref('stg_subscriptions') }} as staged
    inner join users on staged.user_id = users.user_id
    cross join period
    where staged.start_date <= period.as_of_date
),

plans as (
    select * from {{ ref('stg_plans') }}
),

active_on_as_of as (
    select
        subscriptions.user_id,
        sum(plans.price_usd / plans.billing_interval_months) as user_mrr
    from subscriptions
    cross join period
    inner join plans on subscriptions.plan_id = plans.plan_id
    where subscriptions.end_date is null or subscriptions.end_date > period.as_of_date
    group by subscriptions.user_id
),

user_count as (
    select count(*) as users from users
),

converted_count as (
    select count(distinct user_id) as converted_users from subscriptions
),

customer_totals as (
    select
        sum(case when user_mrr > 0.0000005 then 1 else 0 end) as active_customers,
        coalesce(sum(user_mrr), 0) as mrr
    from active_on_as_of
),

expected as (
    select
        user_count.users,
        converted_count.converted_users,
        coalesce(customer_totals.active_customers, 0) as active_customers,
        customer_totals.mrr
    from user_count
    cross join converted_count
    cross join customer_totals
),

blends as (
    select
        'channel_performance' as mart,
        signups as users,
        converted_users,
        active_customers,
        mrr
    from {{ ref('channel_performance') }}
    where acquisition_channel = 'all'
    union all
    select
        'segment_performance' as mart,
        users,
        converted_users,
        active_customers,
        mrr
    from {{ ref('segment_performance') }}
    where segment = 'all'
),

final as (
    select
        blends.mart,
        blends.users,
        expected.users as expected_users,
        blends.converted_users,
        expected.converted_users as expected_converted_users,
        blends.active_customers,
        expected.active_customers as expected_active_customers,
        blends.mrr,
        expected.mrr as expected_mrr
    from blends
    cross join expected
    where
        blends.users != expected.users
        or blends.converted_users != expected.converted_users
        or blends.active_customers != expected.active_customers
        or {{ jobmetrics.money_differs('blends.mrr', 'expected.mrr') }}
)

select * from final
