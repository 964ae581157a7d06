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

stripe_invoices as (
    select * from {{ ref('stg_stripe_invoices') }}
),

latest_dates as (
    select
        tenant_id,
        max(signup_date) as latest_date
    from users
    group by tenant_id
    union all
    select
        tenant_id,
        max(start_date) as latest_date
    from subscriptions
    group by tenant_id
    union all
    select
        tenant_id,
        max(end_date) as latest_date
    from subscriptions
    group by tenant_id
    union all
    select
        tenant_id,
        max(scan_date) as latest_date
    from scans
    group by tenant_id
    union all
    select
        tenant_id,
        max(spend_date) as latest_date
    from marketing_spend
    group by tenant_id
    union all
    select
        tenant_id,
        max(created_date) as latest_date
    from stripe_invoices
    group by tenant_id
),

as_of as (
    -- each tenant's own latest date, unless the var sets one date for all
    select
        tenant_id,
        {% if as_of_date_literal() is not none -%}
            {{ as_of_date_literal() }}
        {%- else -%}
            max(latest_date)
        {%- endif %} as as_of_date
    from latest_dates
    group by tenant_id
),

activity_starts as (
    select
        tenant_id,
        signup_date as activity_date
    from users
    union all
    select
        tenant_id,
        start_date
    from subscriptions
    union all
    select
        tenant_id,
        created_date
    from stripe_invoices
),

first_activity as (
    select
        as_of.tenant_id,
        min(activity_starts.activity_date) as first_activity_date
    from activity_starts
    inner join as_of
        on
            activity_starts.tenant_id = as_of.tenant_id
            and activity_starts.activity_date <= as_of.as_of_date
    group by as_of.tenant_id
),

final as (
    select
        as_of.tenant_id,
        as_of.as_of_date,
        cast({{ dbt.date_trunc('month', 'first_activity.first_activity_date') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as date) as last_month
    from as_of
    left join first_activity
        on as_of.tenant_id = first_activity.tenant_id
)

select * from final
