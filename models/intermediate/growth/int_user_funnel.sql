with

users as (
    select * from {{ ref('int_users') }}
),

scans as (
    select * from {{ ref('int_scans') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

user_mrr as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

scan_counts as (
    select
        scans.tenant_id,
        scans.user_id,
        count(*) as scans,
        sum(
            case
                when
                    scans.scanned_at >= users.signup_at
                    and scans.scanned_at < {{ dbt.dateadd('day', var('engaged_window_days'), 'users.signup_at') }}
                    then 1
                else 0
            end
        ) as scans_in_engagement_window
    from scans
    inner join users
        on scans.tenant_id = users.tenant_id and scans.user_id = users.user_id
    group by scans.tenant_id, scans.user_id
),

subscribers as (
    select distinct
        tenant_id,
        user_id
    from subscriptions
),

new_months as (
    select
        tenant_id,
        user_id,
        month as new_month
    from user_mrr
    where movement = 'new'
),

retained as (
    -- still paying at the snapshot one month after the `new` month
    select
        new_months.tenant_id,
        new_months.user_id
    from new_months
    inner join user_mrr
        on
            new_months.tenant_id = user_mrr.tenant_id
            and new_months.user_id = user_mrr.user_id
            and user_mrr.month = cast({{ dbt.dateadd('month', 1, 'new_months.new_month') }} as date)
    where user_mrr.mrr > 0
),

flags as (
    select
        users.tenant_id,
        users.user_id,
        users.acquisition_channel,
        users.segment,
        coalesce(scan_counts.scans, 0) > 0 as has_scanned,
        coalesce(scan_counts.scans_in_engagement_window, 0) >= {{ var('engaged_min_scans') }} as is_engaged,
        subscribers.user_id is not null as is_converted,
        retained.user_id is not null as is_retained
    from users
    left join scan_counts
        on users.tenant_id = scan_counts.tenant_id and users.user_id = scan_counts.user_id
    left join subscribers
        on users.tenant_id = subscribers.tenant_id and users.user_id = subscribers.user_id
    left join retained
        on users.tenant_id = retained.tenant_id and users.user_id = retained.user_id
),

final as (
    select
        tenant_id,
        user_id,
        acquisition_channel,
        segment,
        has_scanned,
        is_engaged,
        is_converted,
        is_retained,
        -- steps are nested: a user stops at the first step they did not reach
        case
            when not has_scanned then 1
            when not is_engaged then 2
            when not is_converted then 3
            when not is_retained then 4
            else 5
        end as furthest_step
    from flags
)

select * from final
