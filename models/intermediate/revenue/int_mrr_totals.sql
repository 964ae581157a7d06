{#-
  The movement and customer-month counts, written once: per month (mrr_monthly), and over the whole
  period per acquisition channel, per segment and for all users together (channel_performance,
  segment_performance and their shared `all` row).
-#}
with

user_months as (
    select * from {{ ref('int_user_mrr_monthly') }}
),

users as (
    select * from {{ ref('stg_users') }}
),

attributed as (
    select
        user_months.tenant_id,
        user_months.month,
        user_months.mrr,
        user_months.previous_mrr,
        user_months.movement,
        user_months.starting_mrr,
        user_months.expansion_mrr,
        user_months.contraction_mrr,
        user_months.churned_mrr,
        user_months.churned_mrr_involuntary,
        user_months.fx_mrr,
        user_months.discount_mrr,
        users.acquisition_channel,
        users.segment
    from user_months
    left join users
        on user_months.tenant_id = users.tenant_id and user_months.user_id = users.user_id
),

final as (
    select
        tenant_id,
        case
            when grouping(month) = 0 then 'month'
            when grouping(acquisition_channel) = 0 then 'acquisition_channel'
            when grouping(segment) = 0 then 'segment'
            else 'all'
        end as grouped_by,
        month,
        case
            when grouping(acquisition_channel) = 0 then acquisition_channel
            when grouping(segment) = 0 then segment
            when grouping(month) = 1 then 'all'
        end as group_value,
        sum(mrr) as mrr,
        sum(previous_mrr) as previous_mrr,
        sum(case when mrr > 0 then 1 else 0 end) as customer_months,
        sum(case when previous_mrr > 0 then 1 else 0 end) as previous_customer_months,
        sum(case when movement = 'new' then starting_mrr else 0 end) as new_mrr,
        sum(case when movement = 'reactivation' then starting_mrr else 0 end) as reactivation_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(churned_mrr_involuntary) as churned_mrr_involuntary,
        sum(fx_mrr) as fx_mrr,
        sum(discount_mrr) as discount_mrr,
        sum(case when movement = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement = 'reactivation' then 1 else 0 end) as reactivated_customers,
        sum(case when movement = 'churn' then 1 else 0 end) as churned_customers
    from attributed
    group by grouping sets (  -- noqa: PRS
        (tenant_id, month), (tenant_id, acquisition_channel), (tenant_id, segment), (tenant_id)
    )
)

select * from final
