-- Nothing is dropped or duplicated between staging and the marts: each pair of counts must agree.
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

checks as (
    select
        'dim_users rows = staged users signed up by as_of_date' as check_name,
        (select count(*) from {{ ref('dim_users') }}) as mart_count,
        (
            select count(*) from {{ ref('stg_users') }}
            where signup_date <= (select as_of_date from period)
        ) as staging_count
    union all
    select
        'mrr_daily new_subscriptions = staged subscriptions started by as_of_date',
        (select sum(new_subscriptions) from {{ ref('mrr_daily') }}),
        (
            select count(*) from {{ ref('stg_subscriptions') }}
            where start_date <= (select as_of_date from period)
        )
    union all
    select
        'mrr_daily ended_subscriptions = staged subscriptions ended by as_of_date',
        (select sum(ended_subscriptions) from {{ ref('mrr_daily') }}),
        (
            select count(*) from {{ ref('stg_subscriptions') }}
            where end_date <= (select as_of_date from period)
        )
    union all
    select
        'channel_performance all signups = dim_users rows',
        (select signups from {{ ref('channel_performance') }} where acquisition_channel = 'all'),
        (select count(*) from {{ ref('dim_users') }})
    union all
    select
        'channel_performance all new_customers = new movements in fct_mrr',
        (select new_customers from {{ ref('channel_performance') }} where acquisition_channel = 'all'),
        (select count(*) from {{ ref('fct_mrr') }} where movement = 'new')
    union all
    select
        'channel_monthly signups = dim_users rows',
        (select sum(signups) from {{ ref('channel_monthly') }}),
        (select count(*) from {{ ref('dim_users') }})
    union all
    select
        'channel_monthly spend (cents) = staged spend by as_of_date (cents)',
        (select round(sum(spend_usd) * 100) from {{ ref('channel_monthly') }}),
        (
            select round(sum(spend_usd) * 100) from {{ ref('stg_marketing_spend') }}
            where spend_date <= (select as_of_date from period)
        )
),

final as (
    select * from checks
    where mart_count is distinct from staging_count
)

select * from final
