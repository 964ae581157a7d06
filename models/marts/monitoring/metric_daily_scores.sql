{%- set window_days = var('anomaly_window_days') | int -%}
{%- set weekday_weeks = var('anomaly_weekday_weeks') | int -%}

with

series as (
    select * from {{ ref('metric_daily_series') }}
),

with_weekday as (
    select
        tenant_id,
        date_day,
        metric,
        metric_value,
        is_count,
        has_weekly_rhythm,
        bad_direction,
        -- weekday as 0-6 without engine-specific date parts: days since a Monday, modulo 7
        mod({{ dbt.datediff("cast('2000-01-03' as date)", 'date_day', 'day') }}, 7) as weekday_number
    from series
),

scaled as (
    -- counts are scored after the Anscombe transform 2 * sqrt(x + 3/8), under which Poisson-like
    -- noise has a spread of about 1 whatever the level, so busy days and quiet series compare fairly
    select
        *,
        case when is_count then 2 * sqrt(metric_value + 0.375) else metric_value end as scaled_value
    from with_weekday
),

windowed as (
    -- windows end the day before, so a day is never compared with itself
    select
        tenant_id,
        date_day,
        metric,
        metric_value,
        scaled_value,
        is_count,
        has_weekly_rhythm,
        bad_direction,
        avg(metric_value) over trailing_days as expected,
        avg(scaled_value) over trailing_days as expected_scaled,
        stddev_samp(scaled_value) over trailing_days as stddev,
        count(metric_value) over trailing_days as history_days,
        avg(metric_value) over same_weekdays as expected_weekday,
        avg(scaled_value) over same_weekdays as expected_weekday_scaled,
        count(metric_value) over same_weekdays as history_weekdays
    from scaled
    window
        trailing_days as (
            partition by tenant_id, metric order by date_day
            rows between {{ window_days }} preceding and 1 preceding
        ),
        same_weekdays as (
            partition by tenant_id, metric, weekday_number
            order by date_day rows between {{ weekday_weeks }} preceding and 1 preceding
        )
),

weekday_noise as (
    -- the weekday view's noise: how far recent days fell from their own weekday's expectation
    select
        *,
        stddev_samp(scaled_value - expected_weekday_scaled) over (
            partition by tenant_id, metric order by date_day rows between {{ window_days }} preceding and 1 preceding
        ) as stddev_weekday
    from windowed
),

noise_floored as (
    -- a transformed count's stddev is at least 1, that of pure Poisson noise: a quiet series
    -- (cancellations in the first weeks) must not alarm on a single event
    select
        *,
        case when is_count then greatest(stddev, 1) else stddev end as stddev_floored,
        case when is_count then greatest(stddev_weekday, 1) else stddev_weekday end as stddev_weekday_floored
    from weekday_noise
),

scored as (
    select
        tenant_id,
        date_day,
        metric,
        metric_value,
        has_weekly_rhythm,
        bad_direction,
        case when history_days >= {{ var('anomaly_min_history_days') }} then expected end as expected,
        case when history_days >= {{ var('anomaly_min_history_days') }} then stddev_floored end as stddev,
        case
            when history_days >= {{ var('anomaly_min_history_days') }}
                then {{ jobmetrics.safe_divide('scaled_value - expected_scaled', 'stddev_floored') }}
        end as z_score,
        case
            when history_weekdays >= {{ var('anomaly_min_weekday_history') }}
                and history_days >= {{ var('anomaly_min_history_days') }}
                then expected_weekday
        end as expected_weekday,
        case
            when history_weekdays >= {{ var('anomaly_min_weekday_history') }}
                and history_days >= {{ var('anomaly_min_history_days') }}
                then {{ jobmetrics.safe_divide('scaled_value - expected_weekday_scaled', 'stddev_weekday_floored') }}
        end as z_score_weekday
    from noise_floored
),

final as (
    select
        tenant_id,
        date_day,
        metric,
        metric_value as value,
        bad_direction,
        expected,
        stddev,
        z_score,
        expected_weekday,
        z_score_weekday,
        -- metrics with a weekly rhythm are judged against their weekday, the rest against the window
        case when has_weekly_rhythm then z_score_weekday else z_score end as anomaly_score
    from scored
)

select * from final
