{#-
  Users, conversion, customers, MRR on as_of_date and scans, written once per tenant and acquisition
  channel, per tenant and segment and for each tenant's users together (channel_performance, segment_performance, the `all` row).
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
        tenant_id,
        user_id,
        count(*) as scans,
        sum(match_rate) as match_rate_sum
    from scans
    group by tenant_id, user_id
),

per_user as (
    select
        users.tenant_id,
        users.acquisition_channel,
        users.segment,
        users.is_converted,
        users.is_active_customer,
        users.current_mrr,
        coalesce(user_scans.scans, 0) as scans,
        user_scans.match_rate_sum
    from users
    left join user_scans
        on users.tenant_id = user_scans.tenant_id and users.user_id = user_scans.user_id
),

final as (
    select
        tenant_id,
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
    group by grouping sets ((tenant_id, acquisition_channel), (tenant_id, segment), (tenant_id))  -- noqa: PRS
)

select * from final
