{#-
  One row per customer paying on an observation date: as_of_date, and every 7th day before it from the first
  whose next 30 days have passed (35 days before) back to 56 weeks. Each row holds only what was known that day
  (subscriptions started and ended by then, scans up to it) and, for the earlier dates, whether the customer
  was still paying 30 days later. The churn-risk model trains on the labelled rows and scores the rows of
  as_of_date (docs/metrics.md, Churn risk). Beyond churn_labelled_rows_max labelled rows (100,000) a tenant's
  labelled rows are sampled by a hash of customer and date: a model of a few dozen weights learns as well
  from them, and the build's time stays flat with the company's size. Tagged statistics with the model it feeds: built
  on DuckDB only.
-#}
{{ config(materialized='table', tags=['statistics']) }}

{%- set weeks_observed = 56 %}
{%- set horizon_days = 30 %}
{%- set scan_window_days = 28 %}
{%- set labelled_rows_max = var('churn_labelled_rows_max', 100000) %}
{%- set sampled_by = ['paying_everyone.tenant_id', 'paying_everyone.user_id', 'paying_everyone.observation_date'] %}

with

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

days as (
    select * from {{ ref('int_days') }}
),

spans as (
    select * from {{ ref('int_paid_spans') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
    where mrr > 0
),

scans as (
    select * from {{ ref('int_scans') }}
),

users as (
    select * from {{ ref('int_users') }}
),

plans as (
    select * from {{ ref('int_plans') }}
),

days_before as (
    select
        days.tenant_id,
        days.date_day,
        {{ dbt.datediff('days.date_day', 'reporting_period.as_of_date', 'day') }} as days_before_as_of  -- noqa: LT05
    from days
    inner join reporting_period
        on days.tenant_id = reporting_period.tenant_id
),

observation_dates as (
    select
        tenant_id,
        date_day as observation_date,
        days_before_as_of
    from days_before
    where
        mod(days_before_as_of, 7) = 0
        and days_before_as_of <= {{ 7 * weeks_observed }}
        and (days_before_as_of = 0 or days_before_as_of >= {{ horizon_days }})
),

paying_everyone as (
    -- the paying spell each customer is in on each date: only its start is known then, not its end
    select
        observation_dates.tenant_id,
        observation_dates.observation_date,
        observation_dates.days_before_as_of,
        spans.user_id,
        spans.start_date as spell_start_date,
        users.segment,
        users.acquisition_channel
    from observation_dates
    inner join spans
        on
            observation_dates.tenant_id = spans.tenant_id
            and {{ jobmetrics.is_active_on('observation_dates.observation_date', 'spans') }}
    inner join users
        on spans.tenant_id = users.tenant_id and spans.user_id = users.user_id
),

labelled_counts as (
    select
        tenant_id,
        count(*) as labelled_rows
    from paying_everyone
    where days_before_as_of > 0
    group by tenant_id
),

paying as (
    -- every customer of as_of_date; of the labelled dates, the observations whose hash falls in the share kept
    select paying_everyone.*
    from paying_everyone
    left join labelled_counts
        on paying_everyone.tenant_id = labelled_counts.tenant_id
    where
        paying_everyone.days_before_as_of = 0
        or labelled_counts.labelled_rows <= {{ labelled_rows_max }}
        or mod({{ jobmetrics.row_hash(sampled_by) }}, 1000000)
        < 1000000.0 * {{ labelled_rows_max }} / labelled_counts.labelled_rows
),

current_subscriptions as (
    -- the subscription paying on the date (the latest started; the highest plan_id on a tie)
    select
        paying.tenant_id,
        paying.observation_date,
        paying.user_id,
        subscriptions.plan_id,
        plans.plan_name,
        subscriptions.billing_interval_months,
        subscriptions.start_date,
        subscriptions.mrr,
        row_number() over (
            partition by paying.user_id, paying.observation_date, paying.tenant_id
            order by subscriptions.started_at desc, subscriptions.plan_id desc
        ) as recency
    from paying
    inner join subscriptions
        on
            paying.tenant_id = subscriptions.tenant_id
            and paying.user_id = subscriptions.user_id
            and {{ jobmetrics.is_active_on('paying.observation_date', 'subscriptions') }}
    inner join plans
        on subscriptions.tenant_id = plans.tenant_id and subscriptions.plan_id = plans.plan_id
),

billing_months as (
    select
        tenant_id,
        observation_date,
        user_id,
        plan_id,
        plan_name,
        billing_interval_months,
        start_date,
        mrr,
        {{ dbt.datediff('start_date', 'observation_date', 'month') }} as calendar_months  -- noqa: LT05
    from current_subscriptions
    where recency = 1
),

renewals as (
    -- periods renew on the start's day of month, every billing interval: the next is the first after the date
    select
        tenant_id,
        observation_date,
        user_id,
        plan_id,
        plan_name,
        billing_interval_months,
        start_date,
        mrr,
        calendar_months
        - case
            when {{ dbt.dateadd('month', 'calendar_months', 'start_date') }} > observation_date then 1 else 0
        end as months_paid
    from billing_months
),

next_renewals as (
    select
        tenant_id,
        observation_date,
        user_id,
        plan_id,
        plan_name,
        billing_interval_months,
        mrr,
        months_paid < billing_interval_months as is_first_period,
        cast({{ dbt.dateadd(
            'month',
            '(cast(floor(months_paid / billing_interval_months) as integer) + 1) * billing_interval_months',
            'start_date'
        ) }} as date) as next_renewal_date
    from renewals
),

history as (
    -- how the customer's earlier subscriptions ended, counting only ends on or before the date
    select
        paying.tenant_id,
        paying.days_before_as_of,
        paying.user_id,
        sum(case when subscriptions.end_reason = 'payment_failed' then 1 else 0 end) as earlier_payment_failures,
        sum(case when subscriptions.end_reason = 'plan_change' then 1 else 0 end) as earlier_plan_changes,
        sum(case when subscriptions.end_reason = 'cancelled' then 1 else 0 end) as earlier_cancellations
    from paying
    inner join subscriptions
        on
            paying.tenant_id = subscriptions.tenant_id
            and paying.user_id = subscriptions.user_id
            and paying.observation_date >= subscriptions.end_date
    group by paying.tenant_id, paying.days_before_as_of, paying.user_id
),

paid_users as (
    -- only customers are observed: the scans of users who never paid are left out before the heavy part
    select distinct
        tenant_id,
        user_id
    from spans
),

scan_days as (
    select
        scans.tenant_id,
        scans.user_id,
        scans.scan_date,
        scans.match_rate,
        {{ dbt.datediff('scans.scan_date', 'reporting_period.as_of_date', 'day') }} as days_before_as_of  -- noqa: LT05
    from scans
    inner join paid_users
        on scans.tenant_id = paid_users.tenant_id and scans.user_id = paid_users.user_id
    inner join reporting_period
        on scans.tenant_id = reporting_period.tenant_id
),

scan_weeks as (
    -- scans by week before as_of_date: week w holds the days w * 7 to w * 7 + 6 before it
    select
        tenant_id,
        user_id,
        cast(floor(days_before_as_of / 7) as integer) as weeks_before_as_of,
        count(*) as scans,
        sum(match_rate) as match_rate_sum,
        max(scan_date) as last_scan_date
    from scan_days
    where days_before_as_of < {{ 7 * weeks_observed + 2 * scan_window_days }}
    group by tenant_id, user_id, cast(floor(days_before_as_of / 7) as integer)
),

week_offsets as (
    {%- for offset in range(2 * scan_window_days // 7) %}
        select {{ offset }} as weeks_before_observation
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

scan_windows as (
    -- each observation's eight weeks of scans: the four up to its date are recent, the four before them earlier
    select
        paying.tenant_id,
        paying.user_id,
        paying.days_before_as_of,
        sum(case when week_offsets.weeks_before_observation < 4 then scan_weeks.scans else 0 end) as recent_scans,
        sum(case when week_offsets.weeks_before_observation >= 4 then scan_weeks.scans else 0 end) as earlier_scans,
        sum(
            case when week_offsets.weeks_before_observation < 4 then scan_weeks.match_rate_sum else 0 end
        ) as recent_match_rate_sum,
        sum(
            case when week_offsets.weeks_before_observation >= 4 then scan_weeks.match_rate_sum else 0 end
        ) as earlier_match_rate_sum,
        max(scan_weeks.last_scan_date) as last_scan_date
    from paying
    cross join week_offsets
    inner join scan_weeks
        on
            paying.tenant_id = scan_weeks.tenant_id
            and paying.user_id = scan_weeks.user_id
            and cast(floor(paying.days_before_as_of / 7) as integer) + week_offsets.weeks_before_observation
            = scan_weeks.weeks_before_as_of
    group by paying.tenant_id, paying.user_id, paying.days_before_as_of
),

labels as (
    -- still paying 30 days on: known once as_of_date has reached that day
    select
        paying.tenant_id,
        paying.days_before_as_of,
        paying.user_id,
        1 - max(case when later_spans.user_id is not null then 1 else 0 end) as churned
    from paying
    left join spans as later_spans
        on
            paying.tenant_id = later_spans.tenant_id
            and paying.user_id = later_spans.user_id
            and later_spans.start_date <= {{ dbt.dateadd('day', horizon_days, 'paying.observation_date') }}
            and (
                later_spans.end_date is null
                or later_spans.end_date > {{ dbt.dateadd('day', horizon_days, 'paying.observation_date') }}
            )
    where paying.days_before_as_of >= {{ horizon_days }}
    group by paying.tenant_id, paying.days_before_as_of, paying.user_id
),

facts as (
    -- what history, scans and labels say of each observation, gathered so the last step is one join, not three
    select
        tenant_id,
        days_before_as_of,
        user_id,
        earlier_payment_failures,
        earlier_plan_changes,
        earlier_cancellations,
        null as recent_scans,
        null as earlier_scans,
        null as recent_match_rate_sum,
        null as earlier_match_rate_sum,
        cast(null as date) as last_scan_date,
        null as churned
    from history
    union all
    select
        tenant_id,
        days_before_as_of,
        user_id,
        null as earlier_payment_failures,
        null as earlier_plan_changes,
        null as earlier_cancellations,
        recent_scans,
        earlier_scans,
        recent_match_rate_sum,
        earlier_match_rate_sum,
        last_scan_date,
        null as churned
    from scan_windows
    union all
    select
        tenant_id,
        days_before_as_of,
        user_id,
        null as earlier_payment_failures,
        null as earlier_plan_changes,
        null as earlier_cancellations,
        null as recent_scans,
        null as earlier_scans,
        null as recent_match_rate_sum,
        null as earlier_match_rate_sum,
        cast(null as date) as last_scan_date,
        churned
    from labels
),

observed as (
    select
        tenant_id,
        days_before_as_of,
        user_id,
        max(earlier_payment_failures) as earlier_payment_failures,
        max(earlier_plan_changes) as earlier_plan_changes,
        max(earlier_cancellations) as earlier_cancellations,
        max(recent_scans) as recent_scans,
        max(earlier_scans) as earlier_scans,
        max(recent_match_rate_sum) as recent_match_rate_sum,
        max(earlier_match_rate_sum) as earlier_match_rate_sum,
        max(last_scan_date) as last_scan_date,
        max(churned) as churned
    from facts
    group by tenant_id, days_before_as_of, user_id
),

final as (
    select
        paying.tenant_id,
        paying.user_id,
        paying.observation_date,
        cast(floor(paying.days_before_as_of / 7) as integer) as weeks_before_as_of,
        next_renewals.plan_id,
        next_renewals.plan_name,
        next_renewals.billing_interval_months,
        next_renewals.mrr,
        paying.segment,
        paying.acquisition_channel,
        {{ dbt.datediff('paying.spell_start_date', 'paying.observation_date', 'day') }} as tenure_days,  -- noqa: LT05
        next_renewals.is_first_period,
        {{ dbt.datediff('paying.observation_date', 'next_renewals.next_renewal_date', 'day') }}
            as days_to_renewal,
        cast(coalesce(observed.recent_scans, 0) as bigint) as scans_last_28_days,
        cast(coalesce(observed.earlier_scans, 0) as bigint) as scans_previous_28_days,
        -- 56 stands for "none in the last 56 days", the furthest the scan windows look back
        coalesce(
            {{ dbt.datediff('observed.last_scan_date', 'paying.observation_date', 'day') }},
            {{ 2 * scan_window_days }}
        ) as days_since_last_scan,
        coalesce(
            {{ jobmetrics.safe_divide('observed.recent_match_rate_sum', 'observed.recent_scans') }}
            - {{ jobmetrics.safe_divide('observed.earlier_match_rate_sum', 'observed.earlier_scans') }},
            0
        ) as match_rate_change,
        cast(coalesce(observed.earlier_payment_failures, 0) as bigint) as earlier_payment_failures,
        cast(coalesce(observed.earlier_plan_changes, 0) as bigint) as earlier_plan_changes,
        cast(coalesce(observed.earlier_cancellations, 0) as bigint) as earlier_cancellations,
        observed.churned = 1 as churned_within_30_days
    from paying
    inner join next_renewals
        on
            paying.tenant_id = next_renewals.tenant_id
            and paying.observation_date = next_renewals.observation_date
            and paying.user_id = next_renewals.user_id
    left join observed
        on
            paying.tenant_id = observed.tenant_id
            and paying.days_before_as_of = observed.days_before_as_of
            and paying.user_id = observed.user_id
)

select * from final
