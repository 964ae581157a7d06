{#- The monitored metrics are the rows of seeds/monitored_metrics.csv; each has a CTE of the same name below
    (date_day, metric_value), and the build stops when the seed and the CTEs disagree. -#}
{%- set computed = [
    'signups', 'scans', 'avg_match_rate', 'new_subscriptions', 'cancellations', 'net_mrr_change'
] -%}
{%- set metrics = jobmetrics.seed_values('monitored_metrics', 'metric') -%}
{{ jobmetrics.assert_same_list(
    metrics, computed, 'seeds/monitored_metrics.csv', 'the series of metric_daily_series'
) }}

with

monitored_metrics as (
    select * from {{ ref('monitored_metrics') }}
),

scans_daily as (
    select * from {{ ref('scans_daily') }}
),

mrr_daily as (
    select * from {{ ref('mrr_daily') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions') }}
),

ended as (
    -- ended subscriptions, except plan changes (the customer stays)
    select
        tenant_id,
        end_date as date_day,
        count(*) as cancellations
    from subscriptions
    where end_date is not null and end_reason != 'plan_change'
    group by tenant_id, end_date
),

signups as (
    select
        tenant_id,
        date_day,
        cast(signups as {{ jobmetrics.type_double() }}) as metric_value
    from scans_daily
),

scans as (
    select
        tenant_id,
        date_day,
        cast(scans as {{ jobmetrics.type_double() }}) as metric_value
    from scans_daily
),

avg_match_rate as (
    select
        tenant_id,
        date_day,
        avg_match_rate as metric_value
    from scans_daily
),

new_subscriptions as (
    select
        tenant_id,
        date_day,
        cast(new_subscriptions as {{ jobmetrics.type_double() }}) as metric_value
    from mrr_daily
),

cancellations as (
    select
        mrr_daily.tenant_id,
        mrr_daily.date_day,
        cast(coalesce(ended.cancellations, 0) as {{ jobmetrics.type_double() }}) as metric_value
    from mrr_daily
    left join ended
        on mrr_daily.tenant_id = ended.tenant_id and mrr_daily.date_day = ended.date_day
),

net_mrr_change as (
    select
        tenant_id,
        date_day,
        {{ jobmetrics.round_to('mrr - lag(mrr) over (partition by tenant_id order by date_day)', 6) }} as metric_value
    from mrr_daily
),

series as (
    {#- a linter compiles without the seed loaded: it sees every series then -#}
    {%- for metric in metrics or computed %}
        select
            tenant_id,
            date_day,
            '{{ metric }}' as metric,
            metric_value
        from {{ metric }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

metrics as (
    select
        metric,
        cast(is_count as boolean) as is_count,
        cast(has_weekly_rhythm as boolean) as has_weekly_rhythm,
        bad_direction
    from monitored_metrics
),

final as (
    select
        series.tenant_id,
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
