{#-
  Each user's MRR at each month's snapshot, decided in their own currency and reported in the reporting currency
  (docs/metrics.md, "MRR movements"): the movement compares own-currency MRR; new and reactivation are valued at
  this snapshot's rate, churn at the previous one's, expansion and contraction as the own-currency change at this
  rate, and fx_mrr is what the change of rate alone did to a customer paying at both snapshots. So, per row,
  mrr - previous_mrr = new + reactivation + expansion - contraction - churned + fx.
-#}
with

months as (
    select * from {{ ref('int_months') }}
),

lines as (
    select * from {{ ref('int_billing_lines') }}
),

rates as (
    select * from {{ ref('int_fx_rate_spans') }}
),

snapshot_lines as (
    select
        months.tenant_id,
        months.month,
        months.snapshot_date,
        lines.user_id,
        lines.currency,
        sum(case when lines.counts_as_mrr then lines.monthly_amount else 0 end) as own_mrr,
        sum(case when lines.counts_as_mrr then lines.monthly_discount else 0 end) as own_discount,
        max(case when lines.is_uncollectible then 1 else 0 end) as has_failed_payment
    from months
    inner join lines
        on
            months.tenant_id = lines.tenant_id
            and {{ is_active_on('months.snapshot_date', 'lines') }}
    group by months.tenant_id, months.month, months.snapshot_date, lines.user_id, lines.currency
),

snapshot_mrr as (
    -- rounded so floating-point noise never makes a movement; a customer's MRR is never below 0
    select
        snapshot_lines.tenant_id,
        snapshot_lines.month,
        snapshot_lines.user_id,
        snapshot_lines.currency,
        {{ jobmetrics.round_to('snapshot_lines.own_mrr', 6) }} as own_mrr,
        snapshot_lines.own_discount,
        {{ jobmetrics.fx_rate('rates', 'snapshot_lines.currency') }} as fx_rate
    from snapshot_lines
    left join rates
        on {{ jobmetrics.rate_applies(
            'rates', 'snapshot_lines.tenant_id', 'snapshot_lines.currency', 'snapshot_lines.snapshot_date'
        ) }}
    where {{ jobmetrics.round_to('snapshot_lines.own_mrr', 6) }} > 0
),

failed_payments as (
    select
        tenant_id,
        month,
        user_id
    from snapshot_lines
    where has_failed_payment = 1
),

next_month_view as (
    select
        tenant_id,
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month,
        user_id,
        currency,
        own_mrr as previous_own_mrr,
        fx_rate as previous_fx_rate
    from snapshot_mrr
),

paired as (
    select
        coalesce(snapshot_mrr.tenant_id, next_month_view.tenant_id) as tenant_id,
        coalesce(snapshot_mrr.month, next_month_view.month) as month,
        coalesce(snapshot_mrr.user_id, next_month_view.user_id) as user_id,
        coalesce(snapshot_mrr.currency, next_month_view.currency) as currency,
        coalesce(snapshot_mrr.own_mrr, 0) as own_mrr,
        coalesce(next_month_view.previous_own_mrr, 0) as previous_own_mrr,
        snapshot_mrr.fx_rate,
        next_month_view.previous_fx_rate,
        coalesce(snapshot_mrr.own_discount, 0) as own_discount
    from snapshot_mrr
    full outer join next_month_view
        on
            snapshot_mrr.tenant_id = next_month_view.tenant_id
            and snapshot_mrr.month = next_month_view.month
            and snapshot_mrr.user_id = next_month_view.user_id
),

in_period as (
    select
        paired.*,
        months.snapshot_date,
        min(case when paired.own_mrr > 0 then paired.month end) over (
            partition by paired.user_id, paired.tenant_id
        ) as first_paid_month
    from paired
    inner join months
        on paired.tenant_id = months.tenant_id and paired.month = months.month
),

classified as (
    select
        in_period.*,
        case
            when in_period.previous_own_mrr = 0 and in_period.month = in_period.first_paid_month then 'new'
            when in_period.previous_own_mrr = 0 then 'reactivation'
            when in_period.own_mrr = 0 then 'churn'
            when in_period.own_mrr > in_period.previous_own_mrr then 'expansion'
            when in_period.own_mrr < in_period.previous_own_mrr then 'contraction'
            else 'retained'
        end as movement,
        {{ jobmetrics.round_to('in_period.own_mrr * coalesce(in_period.fx_rate, 0)', 6) }} as mrr,
        {{ jobmetrics.round_to('in_period.previous_own_mrr * coalesce(in_period.previous_fx_rate, 0)', 6) }}
            as previous_mrr
    from in_period
),

valued as (
    select
        classified.*,
        case
            when classified.movement = 'expansion'
                then {{ jobmetrics.round_to(
                    '(classified.own_mrr - classified.previous_own_mrr) * classified.fx_rate', 6) }}
            else 0
        end as expansion_mrr,
        case
            when classified.movement = 'contraction'
                then {{ jobmetrics.round_to(
                    '(classified.previous_own_mrr - classified.own_mrr) * classified.fx_rate', 6) }}
            else 0
        end as contraction_mrr
    from classified
),

final as (
    select
        valued.tenant_id,
        valued.month,
        valued.user_id,
        valued.currency,
        valued.own_mrr as mrr_in_currency,
        valued.previous_own_mrr as previous_mrr_in_currency,
        valued.fx_rate,
        valued.previous_fx_rate,
        valued.snapshot_date,
        valued.mrr,
        valued.previous_mrr,
        {{ jobmetrics.round_to('valued.mrr - valued.previous_mrr', 6) }} as mrr_change,
        valued.movement,
        case when valued.movement in ('new', 'reactivation') then valued.mrr else 0 end as starting_mrr,
        valued.expansion_mrr,
        valued.contraction_mrr,
        case when valued.movement = 'churn' then valued.previous_mrr else 0 end as churned_mrr,
        case
            when valued.movement = 'churn' and failed_payments.user_id is not null then valued.previous_mrr
            else 0
        end as churned_mrr_involuntary,
        -- previous_mrr_in_currency x (fx_rate - previous_fx_rate), taken as what the rounded terms leave so the
        -- bridge adds up exactly (the two differ by a millionth at most)
        case
            when valued.own_mrr > 0 and valued.previous_own_mrr > 0
                then {{ jobmetrics.round_to(
                    'valued.mrr - valued.previous_mrr - valued.expansion_mrr + valued.contraction_mrr', 6) }}
            else 0
        end as fx_mrr,
        {{ jobmetrics.round_to('valued.own_discount * coalesce(valued.fx_rate, 0)', 6) }} as discount_mrr
    from valued
    left join failed_payments
        on
            valued.tenant_id = failed_payments.tenant_id
            and valued.month = failed_payments.month
            and valued.user_id = failed_payments.user_id
)

select * from final
