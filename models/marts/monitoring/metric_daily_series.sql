with

scans_daily as (
    select * from {{ ref('scans_daily') }}
),

mrr_daily as (
    select * from {{ ref('mrr_daily') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

cancellations as (
    -- ended subscriptions, except plan changes (the customer stays)
    select
        end_date as date_day,
        count(*) as cancellations
    from subscriptions
    where end_date is not null and end_reason != 'plan_change'
    group by end_date
),

mrr_changes as (
    select
        date_day,
        mrr - lag(mrr) over (order by date_day) as net_mrr_change
    from mrr_daily
),

series as (
    select
        date_day,
        'signups' as metric,
        cast(signups as {{ type_double() }}) as metric_value
    from scans_daily
    union all
    select
        date_day,
        'scans' as metric,
        cast(scans as {{ type_double() }}) as metric_value
    from scans_daily
    union all
    select
        date_day,
        'avg_match_rate' as metric,
        avg_match_rate as metric_value
    from scans_daily
    union all
    select
        date_day,
        'new_subscriptions' as metric,
        cast(new_subscriptions as {{ type_double() }}) as metric_value
    from mrr_daily
    union all
    select
        mrr_daily.date_day,
        'cancellations' as metric,
        cast(coalesce(cancellations.cancellations, 0) as {{ type_double() }}) as metric_value
    from mrr_daily
    left join cancellations
        on mrr_daily.date_day = cancellations.date_day
    union all
    select
        date_day,
        'net_mrr_change' as metric,
        {{ jobmetrics.round_to('net_mrr_change', 6) }} as metric_value
    from mrr_changes
),

metrics as (
        -- counts are Poisson-noisy; people sign up and scan less at weekends; bad_direction hurts the business
    {%- for metric, is_count, weekly, bad in [
        ('signups', true, true, 'drop'), ('scans', true, true, 'drop'), ('avg_match_rate', false, false, 'drop'),
        ('new_subscriptions', true, false, 'drop'), ('cancellations', true, false, 'spike'),
        ('net_mrr_change', false, false, 'drop')
    ] %}
        select
            '{{ metric }}' as metric,
            {{ is_count }} as is_count,
            {{ weekly }} as has_weekly_rhythm,
            '{{ bad }}' as bad_direction
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        series.date_day,
        series.metric,
        series.metric_value,
        metrics.is_count,
        metrics.has_weekly_rhythm,
        metrics.bad_direction
    from series
    inner join metrics
        on series.metric = metrics.metric
)

select * from final
