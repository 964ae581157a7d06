with

scans as (
    select * from {{ ref('int_scans') }}
),

users as (
    select * from {{ ref('int_users') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

paying_scans as (
    -- scans made on a day the user had an active subscription (price > 0, so MRR > 0)
    select distinct scans.scan_id
    from scans
    inner join subscriptions
        on
            scans.user_id = subscriptions.user_id
            and {{ is_active_on('scans.scan_date', 'subscriptions') }}
    where subscriptions.mrr > 0
),

final as (
    select
        scans.scan_id,
        scans.user_id,
        scans.scanned_at,
        scans.scan_date,
        scans.job_id,
        scans.match_rate,
        cast(
            row_number() over (partition by scans.user_id, scans.job_id order by scans.scanned_at, scans.scan_id)
            as {{ dbt.type_bigint() }}
        ) as iteration,
        paying_scans.scan_id is not null as is_paying_at_scan,
        cast(
            {{ dbt.datediff('users.signup_date', 'scans.scan_date', 'day') }} as {{ dbt.type_bigint() }}  -- noqa: LT05
        ) as days_since_signup,
        users.acquisition_channel,
        users.segment
    from scans
    left join users
        on scans.user_id = users.user_id
    left join paying_scans
        on scans.scan_id = paying_scans.scan_id
)

select * from final
