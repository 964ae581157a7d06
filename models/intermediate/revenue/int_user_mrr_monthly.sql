with

months as (
    select * from {{ ref('int_months') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

snapshot_mrr as (
    -- each user's MRR at each month's snapshot, rounded so floating-point noise never makes a movement
    select
        months.tenant_id,
        months.month,
        subscriptions.user_id,
        {{ jobmetrics.round_to('sum(subscriptions.mrr)', 6) }} as mrr
    from months
    inner join subscriptions
        on
            months.tenant_id = subscriptions.tenant_id
            and {{ is_active_on('months.snapshot_date', 'subscriptions') }}
    group by months.tenant_id, months.month, subscriptions.user_id
    having {{ jobmetrics.round_to('sum(subscriptions.mrr)', 6) }} > 0
),

next_month_view as (
    select
        tenant_id,
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month,
        user_id,
        mrr as previous_mrr
    from snapshot_mrr
),

paired as (
    select
        coalesce(snapshot_mrr.tenant_id, next_month_view.tenant_id) as tenant_id,
        coalesce(snapshot_mrr.month, next_month_view.month) as month,
        coalesce(snapshot_mrr.user_id, next_month_view.user_id) as user_id,
        coalesce(snapshot_mrr.mrr, 0) as mrr,
        coalesce(next_month_view.previous_mrr, 0) as previous_mrr
    from snapshot_mrr
    full outer join next_month_view
        on
            snapshot_mrr.tenant_id = next_month_view.tenant_id
            and snapshot_mrr.month = next_month_view.month
            and snapshot_mrr.user_id = next_month_view.user_id
),

in_period as (
    select
        paired.tenant_id,
        paired.month,
        paired.user_id,
        paired.mrr,
        paired.previous_mrr,
        min(case when paired.mrr > 0 then paired.month end) over (
            partition by paired.tenant_id, paired.user_id
        ) as first_paid_month
    from paired
    inner join months
        on paired.tenant_id = months.tenant_id and paired.month = months.month
),

final as (
    select
        tenant_id,
        month,
        user_id,
        mrr,
        previous_mrr,
        {{ jobmetrics.round_to('mrr - previous_mrr', 6) }} as mrr_change,
        case
            when previous_mrr = 0 and month = first_paid_month then 'new'
            when previous_mrr = 0 then 'reactivation'
            when mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'retained'
        end as movement
    from in_period
)

select * from final
