-- Nothing is dropped or duplicated between staging and the marts: for each tenant, every user, subscription,
-- new customer, scan and dollar of spend is accounted for exactly once, and the `all` rows of
-- channel_performance and segment_performance equal counts taken straight from staging. Counts must be
-- equal; money within the summation allowance of money_differs. One row per disagreement, named. The checks
-- that read staged subscriptions apply to the project's own billing format (in the reporting currency);
-- Stripe's billing is checked against worked examples in tests/python/test_stripe_mrr.py.
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

staged_users as (
    select
        staged.tenant_id,
        staged.user_id
    from {{ ref('stg_users') }} as staged
    inner join period
        on staged.tenant_id = period.tenant_id
    where staged.signup_date <= period.as_of_date
),

staged_subscriptions as (
    select
        staged.*,
        staged.end_date is not null and staged.end_date <= period.as_of_date as is_ended,
        staged.end_date is null or staged.end_date > period.as_of_date as is_active_on_as_of
    from {{ ref('stg_subscriptions') }} as staged
    inner join period
        on staged.tenant_id = period.tenant_id
    where staged.start_date <= period.as_of_date
),

staged_scans as (
    select
        scans.tenant_id,
        count(*) as n_scans
    from {{ ref('stg_scans') }} as scans
    inner join period
        on scans.tenant_id = period.tenant_id
    where scans.scan_date <= period.as_of_date
    group by scans.tenant_id
),

staged_spend as (
    select
        spend.tenant_id,
        round(sum(spend.spend_usd) * 100) as spend_cents
    from {{ ref('stg_marketing_spend') }} as spend
    inner join period
        on spend.tenant_id = period.tenant_id
    where spend.spend_date <= period.as_of_date
    group by spend.tenant_id
),

plans as (
    select * from {{ ref('stg_plans') }}
),

stripe_tenants as (
    select distinct tenant_id from {{ ref('stg_stripe_invoices') }}
),

foreign_currency_tenants as (
    -- their MRR in the reporting currency is recomputed with rates by mrr_monthly_matches_subscriptions_at_snapshots
    select distinct tenant_id from {{ ref('stg_plans') }}
    where currency <> {{ jobmetrics.reporting_currency() }}
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
        staged_subscriptions.tenant_id,
        staged_subscriptions.user_id,
        sum(plans.price_usd * staged_subscriptions.quantity / plans.billing_interval_months) as user_mrr
    from staged_subscriptions
    inner join staged_users
        on
            staged_subscriptions.tenant_id = staged_users.tenant_id
            and staged_subscriptions.user_id = staged_users.user_id
    inner join plans
        on staged_subscriptions.tenant_id = plans.tenant_id and staged_subscriptions.plan_id = plans.plan_id
    where staged_subscriptions.is_active_on_as_of
    group by staged_subscriptions.tenant_id, staged_subscriptions.user_id
),

user_counts as (
    select
        tenant_id,
        count(*) as users
    from staged_users
    group by tenant_id
),

subscription_counts as (
    select
        staged_subscriptions.tenant_id,
        count(distinct staged_subscriptions.user_id) as converted_users,
        count(*) as started,
        sum(case when staged_subscriptions.is_ended then 1 else 0 end) as ended
    from staged_subscriptions
    inner join staged_users
        on
            staged_subscriptions.tenant_id = staged_users.tenant_id
            and staged_subscriptions.user_id = staged_users.user_id
    group by staged_subscriptions.tenant_id
),

customer_totals as (
    -- models round each subscription's MRR to 6 decimals: a customer pays more than half a millionth
    select
        tenant_id,
        sum(case when user_mrr > 0.0000005 then 1 else 0 end) as active_customers,
        coalesce(sum(user_mrr), 0) as mrr
    from user_mrr_on_as_of
    group by tenant_id
),

new_movements as (
    select
        tenant_id,
        count(*) as new_customers
    from fct_mrr
    where movement = 'new'
    group by tenant_id
),

dim_user_counts as (
    select
        tenant_id,
        count(*) as users
    from dim_users
    group by tenant_id
),

daily_totals as (
    select
        tenant_id,
        sum(new_subscriptions) as started,
        sum(ended_subscriptions) as ended
    from mrr_daily
    group by tenant_id
),

channel_month_totals as (
    select
        tenant_id,
        sum(signups) as signups,
        round(sum(spend_usd) * 100) as spend_cents
    from channel_monthly
    group by tenant_id
),

funnel_signups as (
    select
        tenant_id,
        sum(users) as users
    from conversion_funnel
    where step = 'signed_up'
    group by tenant_id
),

cohort_sizes as (
    select
        tenant_id,
        sum(cohort_customers) as customers
    from cohort_retention
    where months_since_start = 0
    group by tenant_id
),

daily_scans as (
    select
        tenant_id,
        sum(scans) as scans
    from scans_daily
    group by tenant_id
),

fact_scans as (
    select
        tenant_id,
        count(*) as scans
    from fct_scans
    group by tenant_id
),

blends as (
    select
        tenant_id,
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
        tenant_id,
        'segment_performance all' as mart,
        users,
        converted_users,
        active_customers,
        mrr,
        null as new_customers
    from segment_performance
    where segment = 'all'
),

totals as (
    -- one row per tenant; a tenant without any of something counts 0 of it
    select
        period.tenant_id,
        coalesce(user_counts.users, 0) as users,
        coalesce(subscription_counts.converted_users, 0) as converted_users,
        coalesce(subscription_counts.started, 0) as started,
        coalesce(subscription_counts.ended, 0) as ended,
        coalesce(customer_totals.active_customers, 0) as active_customers,
        coalesce(customer_totals.mrr, 0) as mrr,
        coalesce(new_movements.new_customers, 0) as new_customers,
        coalesce(dim_user_counts.users, 0) as dim_users,
        coalesce(daily_totals.started, 0) as daily_started,
        coalesce(daily_totals.ended, 0) as daily_ended,
        coalesce(channel_month_totals.signups, 0) as channel_month_signups,
        coalesce(channel_month_totals.spend_cents, 0) as channel_month_spend_cents,
        coalesce(staged_spend.spend_cents, 0) as staged_spend_cents,
        coalesce(funnel_signups.users, 0) as funnel_signups,
        coalesce(cohort_sizes.customers, 0) as cohort_customers,
        coalesce(daily_scans.scans, 0) as daily_scans,
        coalesce(fact_scans.scans, 0) as fact_scans,
        coalesce(staged_scans.n_scans, 0) as staged_scans
    from period
    {%- for name in [
        'user_counts', 'subscription_counts', 'customer_totals', 'new_movements', 'dim_user_counts',
        'daily_totals', 'channel_month_totals', 'staged_spend', 'funnel_signups', 'cohort_sizes',
        'daily_scans', 'fact_scans', 'staged_scans',
    ] %}
    left join {{ name }}
        on period.tenant_id = {{ name }}.tenant_id
    {%- endfor %}
),

checks as (
    {%- set blend_checks = [
        ('users', 'totals.users', 'staged users signed up by as_of_date', false),
        ('converted_users', 'totals.converted_users',
            'staged users with a subscription started by as_of_date', false),
        ('active_customers', 'totals.active_customers', 'staged customers paying on as_of_date', false),
        ('mrr', 'totals.mrr', 'price / interval of staged subscriptions active on as_of_date', true),
    ] %}
    {%- for column, expected, words, is_money in blend_checks %}
        select
            totals.tenant_id,
            blends.mart || ' {{ column }} vs {{ words }}' as check_name,
            cast(blends.{{ column }} as {{ jobmetrics.type_double() }}) as mart_value,
            cast({{ expected }} as {{ jobmetrics.type_double() }}) as expected_value,
            {{ is_money }} as is_money
        from totals
        left join blends
            on totals.tenant_id = blends.tenant_id
        union all
    {%- endfor %}
    {%- set total_checks = [
        ('dim_users rows vs staged users signed up by as_of_date', 'dim_users', 'users'),
        ('mrr_daily new_subscriptions vs staged subscriptions started by as_of_date', 'daily_started', 'started'),
        ('mrr_daily ended_subscriptions vs staged subscriptions ended by as_of_date', 'daily_ended', 'ended'),
        ('channel_monthly signups vs staged users', 'channel_month_signups', 'users'),
        ('channel_monthly spend cents vs staged spend cents', 'channel_month_spend_cents', 'staged_spend_cents'),
        ('conversion_funnel signed_up vs staged users', 'funnel_signups', 'users'),
        ('cohort_retention cohort sizes vs new movements in fct_mrr', 'cohort_customers', 'new_customers'),
        ('scans_daily scans vs staged scans by as_of_date', 'daily_scans', 'staged_scans'),
        ('fct_scans rows vs staged scans by as_of_date', 'fact_scans', 'staged_scans'),
    ] %}
    {%- for words, mart_value, expected in total_checks %}
        select
            tenant_id,
            '{{ words }}' as check_name,
            cast({{ mart_value }} as {{ jobmetrics.type_double() }}) as mart_value,
            cast({{ expected }} as {{ jobmetrics.type_double() }}) as expected_value,
            false as is_money
        from totals
        union all
    {%- endfor %}
    select
        totals.tenant_id,
        'channel_performance all new_customers vs new movements in fct_mrr' as check_name,
        cast(blends.new_customers as {{ jobmetrics.type_double() }}) as mart_value,
        cast(totals.new_customers as {{ jobmetrics.type_double() }}) as expected_value,
        false as is_money
    from totals
    left join blends
        on totals.tenant_id = blends.tenant_id and blends.mart = 'channel_performance all'
),

final as (
    select * from checks
    where
        not (
            checks.tenant_id in (select stripe_tenants.tenant_id from stripe_tenants)
            and (
                checks.check_name like '%subscriptions%'
                or checks.check_name like '% all converted_users %'
                or checks.check_name like '% all active_customers %'
                or checks.check_name like '% all mrr %'
            )
        )
        and not (
            checks.tenant_id in (select foreign_currency_tenants.tenant_id from foreign_currency_tenants)
            and checks.check_name like '% all mrr %'
        )
        and case
            when is_money then {{ jobmetrics.money_differs('mart_value', 'expected_value') }}
            else mart_value is distinct from expected_value
        end
)

select * from final
