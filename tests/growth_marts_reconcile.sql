-- The growth and product marts account for every user, new customer and scan exactly once.
with

period as (
    select * from {{ ref('int_reporting_period') }}
),

staged_scans as (
    select count(*) as n_scans
    from {{ ref('stg_scans') }} as scans
    inner join period on scans.scan_date <= period.as_of_date
),

users as (
    select count(*) as n_users from {{ ref('dim_users') }}
),

new_movements as (
    select count(*) as n_new from {{ ref('fct_mrr') }}
    where movement = 'new'
),

funnel_signups as (
    select sum(users) as n_users from {{ ref('conversion_funnel') }}
    where step = 'signed_up'
),

cohort_sizes as (
    select sum(cohort_customers) as n_customers from {{ ref('cohort_retention') }}
    where months_since_start = 0
),

daily_scans as (
    select sum(scans) as n_scans from {{ ref('scans_daily') }}
),

fact_scans as (
    select count(*) as n_scans from {{ ref('fct_scans') }}
),

segment_users as (
    select users as n_users from {{ ref('segment_performance') }}
    where segment = 'all'
),

checks as (
    select
        'conversion_funnel signed_up vs dim_users' as check_name,
        funnel_signups.n_users as mart_count,
        users.n_users as expected_count
    from funnel_signups cross join users
    union all
    select
        'cohort_retention cohort sizes vs new movements' as check_name,
        cohort_sizes.n_customers as mart_count,
        new_movements.n_new as expected_count
    from cohort_sizes cross join new_movements
    union all
    select
        'scans_daily scans vs staged scans by as_of_date' as check_name,
        daily_scans.n_scans as mart_count,
        staged_scans.n_scans as expected_count
    from daily_scans cross join staged_scans
    union all
    select
        'fct_scans rows vs staged scans by as_of_date' as check_name,
        fact_scans.n_scans as mart_count,
        staged_scans.n_scans as expected_count
    from fact_scans cross join staged_scans
    union all
    select
        'segment_performance all users vs dim_users' as check_name,
        segment_users.n_users as mart_count,
        users.n_users as expected_count
    from segment_users cross join users
),

final as (
    select * from checks
    where mart_count is distinct from expected_count
)

select * from final
