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

user_counts as (
    select count(*) as users from staged_users
),

subscription_counts as (
    select
        count(distinct staged_subscriptions.user_id) as converted_users,
        count(*) as started,
        sum(case when staged_subscriptions.is_ended then 1 else 0 end) as ended
    from staged_subscriptions
    inner join staged_users on staged_subscriptions.user_id = staged_users.user_id
),

customer_totals as (
    -- models round each subscription's MRR to 6 decimals: a customer pays more than half a millionth
    select
        sum(case when user_mrr > 0.0000005 then 1 else 0 end) as active_customers,
        coalesce(sum(user_mrr), 0) as mrr
    from user_mrr_on_as_of
),

new_movements as (
    select count(*) as new_customers from fct_mrr
    where movement = 'new'
),

dim_user_counts as (
    select count(*) as users from dim_users
),

daily_totals as (
    select
        sum(new_subscriptions) as started,
        sum(ended_subscriptions) as ended
    from mrr_daily
),

channel_month_totals as (
    select
        sum(signups) as signups,
        round(sum(spend_usd) * 100) as spend_cents
    from channel_monthly
),

funnel_signups as (
    select sum(users) as users from conversion_funnel
    where step = 'signed_up'
),

cohort_sizes as (
    select sum(cohort_customers) as customers from cohort_retention
    where months_since_start = 0
),

daily_scans as (
    select sum(scans) as scans from scans_daily
),

fact_scans as (
    select count(*) as scans from fct_scans
),

blends as (
    select
        'channel_performance all' as mart,
        signups as users,
        converted_users,
        active_customers,
        mrr,
        new_customers
    from channel_performance
    where acquisition_channel = 'all'
    union all
    select
        'segment_performance all' as mart,
        users,
        converted_users,
        active_customers,
        mrr,
        null as new_customers
    from segment_performance
    where segment = 'all'
),

checks as (
    {%- set blend_checks = [
        ('users', 'user_counts.users', 'staged users signed up by as_of_date', false),
        ('converted_users', 'subscription_counts.converted_users',
            'staged users with a subscription started by as_of_date', false),
        ('active_customers', 'customer_totals.active_customers', 'staged customers paying on as_of_date', false),
        ('mrr', 'customer_totals.mrr', 'price / interval of staged subscriptions active on as_of_date', true),
    ] %}
    {%- for column, expected, words, is_money in blend_checks %}
        select
            blends.mart || ' {{ column }} vs {{ words }}' as check_name,
            cast(blends.{{ column }} as {{ jobmetrics.type_double() }}) as mart_value,
            cast({{ expected }} as {{ jobmetrics.type_double() }}) as expected_value,
            {{ is_money }} as is_money
        from blends
        cross join user_counts
        cross join subscription_counts
        cross join customer_totals
        union all
    {%- endfor %}
    {%- set total_checks = [
        ('dim_users rows vs staged users signed up by as_of_date', 'dim_user_counts.users', 'user_counts.users'),
        ('mrr_daily new_subscriptions vs staged subscriptions started by as_of_date',
            'daily_totals.started', 'subscription_counts.started'),
        ('mrr_daily ended_subscriptions vs staged subscriptions ended by as_of_date',
            'daily_totals.ended', 'subscription_counts.ended'),
        ('channel_monthly signups vs staged users', 'channel_month_totals.signups', 'user_counts.users'),
        ('channel_monthly spend cents vs staged spend cents',
            'channel_month_totals.spend_cents', 'staged_spend.spend_cents'),
        ('conversion_funnel signed_up vs staged users', 'funnel_signups.users', 'user_counts.users'),
        ('cohort_retention cohort sizes vs new movements in fct_mrr',
            'cohort_sizes.customers', 'new_movements.new_customers'),
        ('scans_daily scans vs staged scans by as_of_date', 'daily_scans.scans', 'staged_scans.n_scans'),
        ('fct_scans rows vs staged scans by as_of_date', 'fact_scans.scans', 'staged_scans.n_scans'),
    ] %}
    {%- for words, mart_value, expected in total_checks %}
        select
            '{{ words }}' as check_name,
            cast({{ mart_value }} as {{ jobmetrics.type_double() }}) as mart_value,
            cast({{ expected }} as {{ jobmetrics.type_double() }}) as expected_value,
            false as is_money
        from dim_user_counts
        cross join user_counts
        cross join subscription_counts
        cross join daily_totals
        cross join channel_month_totals
        cross join staged_spend
        cross join funnel_signups
        cross join cohort_sizes
        cross join new_movements
        cross join daily_scans
        cross join fact_scans
        cross join staged_scans
        union all
    {%- endfor %}
    select
        'channel_performance all new_customers vs new movements in fct_mrr' as check_name,
        cast(blends.new_customers as {{ jobmetrics.type_double() }}) as mart_value,
        cast(new_movements.new_customers as {{ jobmetrics.type_double() }}) as expected_value,
        false as is_money
    from blends
    cross join new_movements
    where blends.mart = 'channel_performance all'
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
