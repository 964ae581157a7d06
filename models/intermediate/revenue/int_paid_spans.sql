{#-
  Each user's paying time as disjoint spans of days: billing lines with MRR > 0 that overlap or touch
  are merged, so a day falls in at most one span and "is the user paying on D" is one join, not a
  search through every subscription. Spans follow the active rule: start_date <= D < end_date.
-#}
with

subscriptions as (
    select * from {{ ref('int_billing_lines') }}
    where counts_as_mrr and monthly_amount > 0
),

ordered as (
    select
        tenant_id,
        user_id,
        start_date,
        end_date,
        -- how far the user's earlier subscriptions already reach (an open one reaches forever)
        max(coalesce(end_date, cast('9999-12-31' as date))) over (
            partition by user_id, tenant_id order by start_date, end_date
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from subscriptions
),

numbered as (
    select
        tenant_id,
        user_id,
        start_date,
        end_date,
        sum(case when covered_until is null or start_date > covered_until then 1 else 0 end) over (
            partition by user_id, tenant_id order by start_date, end_date
            rows between unbounded preceding and current row
        ) as span_number
    from ordered
),

final as (
    select
        tenant_id,
        user_id,
        span_number,
        min(start_date) as start_date,
        -- open while any of its subscriptions is open
        case when count(end_date) = count(*) then max(end_date) end as end_date
    from numbered
    group by tenant_id, user_id, span_number
)

select * from final
