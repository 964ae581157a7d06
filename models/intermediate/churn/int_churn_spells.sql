{#- a table: the survival mart reads it once per grouping, the log-rank model once more -#}
{{ config(materialized='table') }}

with

spans as (
    select * from {{ ref('int_paid_spans') }}
    -- a span that starts and ends on one day never paid for a day
    where end_date is null or end_date > start_date
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
    where mrr > 0
),

users as (
    select * from {{ ref('int_users') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

opening_plans as (
    -- the plan of the subscription that opened each span (the earliest; the lowest plan_id on a tie)
    select
        spans.tenant_id,
        spans.user_id,
        spans.span_number,
        subscriptions.plan_id,
        row_number() over (
            partition by spans.user_id, spans.span_number, spans.tenant_id
            order by subscriptions.started_at, subscriptions.plan_id
        ) as opening_order
    from spans
    inner join subscriptions
        on
            spans.tenant_id = subscriptions.tenant_id
            and spans.user_id = subscriptions.user_id
            and spans.start_date = subscriptions.start_date
),

observed as (
    -- an open span is watched through as_of_date: it stops being observed the day after
    select
        spans.tenant_id,
        spans.user_id,
        spans.span_number,
        spans.start_date,
        coalesce(
            spans.end_date, cast({{ dbt.dateadd('day', 1, 'reporting_period.as_of_date') }} as date)
        ) as observed_until,
        spans.end_date is not null as is_churned
    from spans
    inner join reporting_period
        on spans.tenant_id = reporting_period.tenant_id
),

calendar_months as (
    select
        tenant_id,
        user_id,
        span_number,
        start_date,
        observed_until,
        is_churned,
        {{ dbt.datediff('start_date', 'observed_until', 'month') }} as calendar_months  -- noqa: LT05
    from observed
),

final as (
    select
        calendar_months.tenant_id,
        calendar_months.user_id,
        calendar_months.span_number,
        calendar_months.start_date,
        calendar_months.observed_until,
        -- whole months paid: the most months that can be added to the start without passing the end
        calendar_months.calendar_months
        - case
            when
                {{ dbt.dateadd('month', 'calendar_months.calendar_months', 'calendar_months.start_date') }}
                > calendar_months.observed_until
                then 1
            else 0
        end as months_paid,
        calendar_months.is_churned,
        users.segment,
        users.acquisition_channel,
        opening_plans.plan_id
    from calendar_months
    inner join users
        on calendar_months.tenant_id = users.tenant_id and calendar_months.user_id = users.user_id
    inner join opening_plans
        on
            calendar_months.tenant_id = opening_plans.tenant_id
            and calendar_months.user_id = opening_plans.user_id
            and calendar_months.span_number = opening_plans.span_number
            and opening_plans.opening_order = 1
)

select * from final
