{#-
  Users, conversion, customers, MRR on as_of_date and scans, written once per acquisition channel,
  per segment and for all users together (channel_performance, segment_performance, the `all` row).
-#}
with

users as (
    select * from {{ ref('int_users') }}
),

scans as (
    select * from {{ ref('int_scans') }}
),

user_scans as (
    select
        user_id,
        count(*) as scans,
        sum(match_rate) as match_rate_sum
    from scans
    group by user_id
),

per_user as (
    select
        users.acquisition_channel,
        users.segment,
        users.is_converted,
        users.is_active_customer,
        users.current_mrr,
        coalesce(user_scans.scans, 0) as scans,
        user_scans.match_rate_sum
    from users
    left join user_scans
        on users.user_id = user_scans.user_id
),

final as (
    select
        case
            when grouping(acquisition_channel) = 0 then 'acquisition_channel'
            when grouping(segment) = 0 then 'segment'
            else 'all'
        end as grouped_by,
        case
            when grouping(acquisition_channel) = 0 then acquisition_channel
            when grouping(segment) = 0 then segment
            else 'all'
        end as group_value,
        count(*) as users,
        sum(case when is_converted then 1 else 0 end) as converted_users,
        sum(case when is_active_customer then 1 else 0 end) as active_customers,
        sum(current_mrr) as mrr,
        sum(scans) as scans,
        sum(match_rate_sum) as match_rate_sum
    from per_user
    group by grouping sets ((acquisition_channel), (segment), ())  -- noqa: PRS
)

select * from final
