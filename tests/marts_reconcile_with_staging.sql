-- Nothing is dropped or duplicated between staging and the marts: every user, subscription, new customer,
-- scan and dollar of spend is accounted for exactly once, and the `all` rows of channel_performance and
-- segment_performance equal counts taken straight from staging. Counts must be equal; money within the
-- summation allowance of money_differs. One row per disagreement, named.
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

staged_users as (
    select staged.user_id
    from {{ ref('stg_users') }} as staged
    cross join period
    where staged.signup_date <= period.as_of_date
),

staged_subscriptions as (
    select
        staged.*,
        staged.end_date is not null and staged.end_date <= period.as_of_date as is_ended,
        staged.end_date is null or staged.end_date > period.as_of_date as is_active_on_as_of
    from {{ ref('stg_subscriptions') }} as staged
    cross join period
    where staged.start_date <= period.as_of_date
),

staged_scans as (
    select count(*) as n_scans
    from {{ ref('stg_scans') }} as scans
    cross join period
    where scans.scan_date <= period.as_of_date
),

staged_spend as (
    select round(sum(spend.spend_usd) * 100) as spend_cents
    from {{ ref('stg_marketing_spend') }} as spend
    cross join period
    where spend.spend_date <= period.as_of_date
),

plans as (
    select * from {{ ref('stg_plans') }}
),

dim_users as (
    select * from {{ ref('dim_users') }}
),

mrr_daily as (
    select * from {{ ref('mrr_daily') }}
),

fct_mrr as (
    select * from {{ ref('fct_mrr') }}
),

channel_performance as (
    select * from {{ ref('channel_performance') }}
),

segment_performance as (
    select * from {{ ref('segment_performance') }}
),

channel_monthly as (
    select * from {{ ref('channel_monthly') }}
),

conversion_funnel as (
    select * from {{ ref('conversion_funnel') }}
),

cohort_retention as (
    select * from {{ ref('cohort_retention') }}
),

scans_daily as (
    select * from {{ ref('scans_daily') }}
),

fct_scans as (
    select * from {{ ref('fct_scans') }}
),

user_mrr_on_as_of as (
    -- price / interval of the subscriptions active on as_of_date, per user who signed up by then
    select
        staged_subscriptions.user_id,
        sum(plans.price_usd / plans.billing_interval_months) as user_mrr
    from staged_subscriptions
    inner join staged_users on staged_subscriptions.user_id = staged_users.user_id
    inner join plans on staged_subscriptions.plan_id = plans.plan_id
    where staged_subscriptions.is_active_on_as_of
    group by staged_subscriptions.user_id
),

expected as (
    select
        (select count(*) from staged_users) as users,
        (
            select count(distinct staged_subscriptions.user_id)
            from staged_subscriptions
            inner join staged_users on staged_subscriptions.user_id = staged_users.user_id
        ) as converted_users,
        (select count(*) from staged_subscriptions) as started,
        (select sum(case when is_ended then 1 else 0 end) from staged_subscriptions) as ended,
        -- models round each subscription's MRR to 6 decimals, so a customer pays more than half a millionth
        (select count(*) from user_mrr_on_as_of where user_mrr > 0.0000005) as active_customers,
        (select coalesce(sum(user_mrr), 0) from user_mrr_on_as_of) as mrr,
        (select n_scans from staged_scans) as scans,
        (select spend_cents from staged_spend) as spend_cents,
        (select count(*) from fct_mrr where movement = 'new') as new_movements
),

blends as (
    select
        'channel_performance all' as mart,
        signups as users,
        converted_users,
        active_customers,
        mrr
    from channel_performance
    where acquisition_channel = 'all'
    union all
    select
        'segment_performance all' as mart,
        users,
        converted_users,
        active_customers,
        mrr
    from segment_performance
    where segment = 'all'
),

checks as (
    select
        blends.mart || ' users vs staged users signed up by as_of_date' as check_name,
        cast(blends.users as {{ jobmetrics.type_double() }}) as mart_value,
        cast(expected.users as {{ jobmetrics.type_double() }}) as expected_value,
        false as is_money
    from blends cross join expected
    union all
    select
        blends.mart || ' converted_users vs staged users with a subscription started by as_of_date',
        blends.converted_users,
        expected.converted_users,
        false
    from blends cross join expected
    union all
    select
        blends.mart || ' active_customers vs staged customers paying on as_of_date',
        blends.active_customers,
        expected.active_customers,
        false
    from blends cross join expected
    union all
    select
        blends.mart || ' mrr vs staged price / interval of subscriptions active on as_of_date',
        blends.mrr,
        expected.mrr,
        true
    from blends cross join expected
    union all
    select
        'dim_users rows vs staged users signed up by as_of_date',
        (select count(*) from dim_users),
        expected.users,
        false
    from expected
    union all
    select
        'mrr_daily new_subscriptions vs staged subscriptions started by as_of_date',
        (select sum(new_subscriptions) from mrr_daily),
        expected.started,
        false
    from expected
    union all
    select
        'mrr_daily ended_subscriptions vs staged subscriptions ended by as_of_date',
        (select sum(ended_subscriptions) from mrr_daily),
        expected.ended,
        false
    from expected
    union all
    select
        'channel_performance all new_customers vs new movements in fct_mrr',
        (select new_customers from channel_performance where acquisition_channel = 'all'),
        expected.new_movements,
        false
    from expected
    union all
    select
        'channel_monthly signups vs staged users',
        (select sum(signups) from channel_monthly),
        expected.users,
        false
    from expected
    union all
    select
        'channel_monthly spend cents vs staged spend cents',
        (select round(sum(spend_usd) * 100) from channel_monthly),
        expected.spend_cents,
        false
    from expected
    union all
    select
        'conversion_funnel signed_up vs staged users',
        (select sum(users) from conversion_funnel where step = 'signed_up'),
        expected.users,
        false
    from expected
    union all
    select
        'cohort_retention cohort sizes vs new movements in fct_mrr',
        (select sum(cohort_customers) from cohort_retention where months_since_start = 0),
        expected.new_movements,
        false
    from expected
    union all
    select
        'scans_daily scans vs staged scans by as_of_date',
        (select sum(scans) from scans_daily),
        expected.scans,
        false
    from expected
    union all
    select
        'fct_scans rows vs staged scans by as_of_date',
        (select count(*) from fct_scans),
        expected.scans,
        false
    from expected
),

final as (
    select * from checks
    where
        case
            when is_money then {{ jobmetrics.money_differs('mart_value', 'expected_value') }}
            else mart_value is distinct from expected_value
        end
)

select * from final
