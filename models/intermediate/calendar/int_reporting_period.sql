with

users as (
    select * from {{ ref('stg_users') }}
),

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

scans as (
    select * from {{ ref('stg_scans') }}
),

marketing_spend as (
    select * from {{ ref('stg_marketing_spend') }}
),

latest_dates as (
    select max(signup_date) as latest_date from users
    union all
    select max(start_date) from subscriptions
    union all
    select max(end_date) from subscriptions
    union all
    select max(scan_date) from scans
    union all
    select max(spend_date) from marketing_spend
),

as_of as (
    {% if as_of_date_literal() is not none -%}
        select {{ as_of_date_literal() }} as as_of_date
    {%- else -%}
        select max(latest_date) as as_of_date from latest_dates
    {%- endif %}
),

activity_starts as (
    select signup_date as activity_date from users
    union all
    select start_date from subscriptions
),

first_activity as (
    select min(activity_starts.activity_date) as first_activity_date
    from activity_starts
    inner join as_of
        on activity_starts.activity_date <= as_of.as_of_date
),

final as (
    select
        as_of.as_of_date,
        cast({{ dbt.date_trunc('month', 'first_activity.first_activity_date') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as date) as last_month
    from as_of
    cross join first_activity
)

select * from final
