with

scans as (
    select * from {{ ref('int_scans') }}
),

users as (
    select * from {{ ref('int_users') }}
),

paid_spans as (
    select * from {{ ref('int_paid_spans') }}
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
        paid_spans.user_id is not null as is_paying_at_scan,
        cast(
            {{ dbt.datediff('users.signup_date', 'scans.scan_date', 'day') }} as {{ dbt.type_bigint() }}  -- noqa: LT05
        ) as days_since_signup,
        users.acquisition_channel,
        users.segment
    from scans
    left join users
        on scans.user_id = users.user_id
    left join paid_spans
        on
            scans.user_id = paid_spans.user_id
            and {{ is_active_on('scans.scan_date', 'paid_spans') }}
)

select * from final
