{#-
  Day by day in linear time: each billing line adds its MRR on its start date and takes it away on its end
  date (per currency), each subscription adds one active subscription, each paying span one customer; running
  sums give the state on every day (the active rule: start_date <= D < end_date). MRR is summed as a
  fixed-point number so the running total is exact, then converted at the day's rate.
-#}
with

days as (
    select * from {{ ref('int_days') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

paid_spans as (
    select * from {{ ref('int_paid_spans') }}
),

lines as (
    select * from {{ ref('int_billing_lines') }}
    where counts_as_mrr
),

rates as (
    select * from {{ ref('int_fx_rate_spans') }}
),

line_changes as (
    select
        tenant_id,
        currency,
        start_date as date_day,
        cast(monthly_amount as {{ dbt.type_numeric() }}) as mrr_change
    from lines
    union all
    select
        tenant_id,
        currency,
        end_date as date_day,
        -cast(monthly_amount as {{ dbt.type_numeric() }}) as mrr_change
    from lines
    where end_date is not null
),

currencies as (
    select distinct
        tenant_id,
        currency
    from lines
),

currency_days as (
    select
        days.tenant_id,
        currencies.currency,
        days.date_day,
        0 as mrr_change
    from days
    inner join currencies
        on days.tenant_id = currencies.tenant_id
    union all
    select
        tenant_id,
        currency,
        date_day,
        mrr_change
    from line_changes
),

running_by_currency as (
    select
        tenant_id,
        currency,
        date_day,
        sum(sum(mrr_change)) over (
            partition by tenant_id, currency order by date_day rows between unbounded preceding and current row
        ) as mrr_in_currency
    from currency_days
    group by tenant_id, currency, date_day
),

converted as (
    select
        running_by_currency.tenant_id,
        running_by_currency.date_day,
        sum(
            cast(running_by_currency.mrr_in_currency as {{ jobmetrics.type_double() }})
            * {{ jobmetrics.fx_rate('rates', 'running_by_currency.currency') }}
        ) as mrr
    from running_by_currency
    left join rates
        on {{ jobmetrics.rate_applies(
            'rates', 'running_by_currency.tenant_id', 'running_by_currency.currency', 'running_by_currency.date_day'
        ) }}
    group by running_by_currency.tenant_id, running_by_currency.date_day
),

changes as (
    select
        tenant_id,
        start_date as date_day,
        1 as subscription_change,
        0 as customer_change
    from subscriptions
    union all
    select
        tenant_id,
        end_date as date_day,
        -1 as subscription_change,
        0 as customer_change
    from subscriptions
    where end_date is not null
    union all
    select
        tenant_id,
        start_date as date_day,
        0 as subscription_change,
        1 as customer_change
    from paid_spans
    union all
    select
        tenant_id,
        end_date as date_day,
        0 as subscription_change,
        -1 as customer_change
    from paid_spans
    where end_date is not null
    union all
    select
        tenant_id,
        date_day,
        0 as subscription_change,
        0 as customer_change
    from days
),

running as (
    select
        tenant_id,
        date_day,
        sum(sum(subscription_change)) over cumulative as active_subscriptions,
        sum(sum(customer_change)) over cumulative as active_customers
    from changes
    group by tenant_id, date_day
    window cumulative as (partition by tenant_id order by date_day rows between unbounded preceding and current row)
),

starts as (
    select
        tenant_id,
        start_date as date_day,
        count(*) as new_subscriptions
    from subscriptions
    group by tenant_id, start_date
),

ends as (
    select
        tenant_id,
        end_date as date_day,
        count(*) as ended_subscriptions
    from subscriptions
    where end_date is not null
    group by tenant_id, end_date
),

final as (
    select
        days.tenant_id,
        days.date_day,
        cast(coalesce(converted.mrr, 0) as {{ jobmetrics.type_double() }}) as mrr,
        cast(running.active_customers as {{ dbt.type_bigint() }}) as active_customers,
        cast(running.active_subscriptions as {{ dbt.type_bigint() }}) as active_subscriptions,
        cast(coalesce(starts.new_subscriptions, 0) as {{ dbt.type_bigint() }}) as new_subscriptions,
        cast(coalesce(ends.ended_subscriptions, 0) as {{ dbt.type_bigint() }}) as ended_subscriptions
    from days
    inner join running
        on days.tenant_id = running.tenant_id and days.date_day = running.date_day
    left join converted
        on days.tenant_id = converted.tenant_id and days.date_day = converted.date_day
    left join starts
        on days.tenant_id = starts.tenant_id and days.date_day = starts.date_day
    left join ends
        on days.tenant_id = ends.tenant_id and days.date_day = ends.date_day
)

select * from final
