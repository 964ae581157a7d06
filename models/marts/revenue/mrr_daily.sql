with

days as (
    select * from {{ ref('int_days') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

active as (
    select
        days.date_day,
        round(sum(subscriptions.mrr), 6) as mrr,
        count(distinct case when subscriptions.mrr > 0 then subscriptions.user_id end) as active_customers,
        count(*) as active_subscriptions
    from days
    inner join subscriptions
        on {{ is_active_on('days.date_day', 'subscriptions') }}
    group by days.date_day
),

starts as (
    select
        start_date as date_day,
        count(*) as new_subscriptions
    from subscriptions
    group by start_date
),

ends as (
    select
        end_date as date_day,
        count(*) as ended_subscriptions
    from subscriptions
    where end_date is not null
    group by end_date
),

final as (
    select
        days.date_day,
        coalesce(active.mrr, 0) as mrr,
        cast(coalesce(active.active_customers, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(active.active_subscriptions, 0) as {{ dbt.type_bigint() }}) as active_subscriptions,
        cast(coalesce(starts.new_subscriptions, 0) as {{ dbt.type_bigint() }}) as new_subscriptions,
        cast(coalesce(ends.ended_subscriptions, 0) as {{ dbt.type_bigint() }}) as ended_subscriptions
    from days
    left join active
        on days.date_day = active.date_day
    left join starts
        on days.date_day = starts.date_day
    left join ends
        on days.date_day = ends.date_day
)

select * from final
