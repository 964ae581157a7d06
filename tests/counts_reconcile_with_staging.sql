-- Nothing is dropped or duplicated between staging and the marts: each pair of counts must agree.
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

staged_users as (
    select count(*) as n_users
    from {{ ref('stg_users') }} as staged
    inner join period on staged.signup_date <= period.as_of_date
),

staged_subscriptions as (
    select
        count(*) as n_started,
        sum(case when subs.end_date <= period.as_of_date then 1 else 0 end) as n_ended
    from {{ ref('stg_subscriptions') }} as subs
    inner join period on subs.start_date <= period.as_of_date
),

staged_spend as (
    select round(sum(spend.spend_usd) * 100) as spend_cents
    from {{ ref('stg_marketing_spend') }} as spend
    inner join period on spend.spend_date <= period.as_of_date
),

users as (
    select count(*) as n_users from {{ ref('dim_users') }}
),

daily as (
    select
        sum(new_subscriptions) as n_started,
        sum(ended_subscriptions) as n_ended
    from {{ ref('mrr_daily') }}
),

new_movements as (
    select count(*) as n_new from {{ ref('fct_mrr') }}
    where movement = 'new'
),

blended as (
    select
        signups,
        new_customers
    from {{ ref('channel_performance') }}
    where acquisition_channel = 'all'
),

channel_months as (
    select
        sum(signups) as signups,
        round(sum(spend_usd) * 100) as spend_cents
    from {{ ref('channel_monthly') }}
),

checks as (
    select
        'dim_users rows vs staged users signed up by as_of_date' as check_name,
        users.n_users as mart_count,
        staged_users.n_users as staging_count
    from users cross join staged_users
    union all
    select
        'mrr_daily new_subscriptions vs staged subscriptions started by as_of_date' as check_name,
        daily.n_started as mart_count,
        staged_subscriptions.n_started as staging_count
    from daily cross join staged_subscriptions
    union all
    select
        'mrr_daily ended_subscriptions vs staged subscriptions ended by as_of_date' as check_name,
        daily.n_ended as mart_count,
        staged_subscriptions.n_ended as staging_count
    from daily cross join staged_subscriptions
    union all
    select
        'channel_performance all signups vs staged users' as check_name,
        blended.signups as mart_count,
        staged_users.n_users as staging_count
    from blended cross join staged_users
    union all
    select
        'channel_performance all new_customers vs new movements' as check_name,
        blended.new_customers as mart_count,
        new_movements.n_new as staging_count
    from blended cross join new_movements
    union all
    select
        'channel_monthly signups vs staged users' as check_name,
        channel_months.signups as mart_count,
        staged_users.n_users as staging_count
    from channel_months cross join staged_users
    union all
    select
        'channel_monthly spend cents vs staged spend cents' as check_name,
        channel_months.spend_cents as mart_count,
        staged_spend.spend_cents as staging_count
    from channel_months cross join staged_spend
),

final as (
    select * from checks
    where mart_count is distinct from staging_count
)

select * from final
