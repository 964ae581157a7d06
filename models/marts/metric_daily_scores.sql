{%- set window_days = var('anomaly_window_days') | int -%}
{%- set weekday_weeks = var('anomaly_weekday_weeks') | int -%}

with

series as (
    select * from {{ ref('int_metric_daily_series') }}
),

with_weekday as (
    select
        date_day,
        metric,
        metric_value,
        is_count,
        bad_direction,
        -- weekday as 0-6 without engine-specific date parts: days since a Monday, modulo 7
        mod({{ dbt.datediff("cast('2000-01-03' as date)", 'date_day', 'day') }}, 7) as weekday_number
    from series
),

windowed as (
    -- windows end the day before, so a day is never compared with itself
    select
        date_day,
        metric,
        metric_value,
        is_count,
        bad_direction,
        avg(metric_value) over trailing_days as expected,
        stddev_samp(metric_value) over trailing_days as stddev,
        count(metric_value) over trailing_days as history_days,
        avg(metric_value) over same_weekdays as expected_weekday,
        stddev_samp(metric_value) over same_weekdays as stddev_weekday,
        count(metric_value) over same_weekdays as history_weekdays
    from with_weekday
    window
        trailing_days as (
            partition by metric order by date_day rows between {{ window_days }} preceding and 1 preceding
        ),
        same_weekdays as (
            partition by metric, weekday_number
            order by date_day rows between {{ weekday_weeks }} preceding and 1 preceding
        )
),

noise_floored as (
    -- a count's stddev is at least that of a Poisson count, sqrt(expected + 1): a quiet series
    -- (cancellations in the first weeks) must not alarm on a single event
    select
        date_day,
        metric,
        metric_value,
        bad_direction,
        history_days,
        history_weekdays,
        expected,
        expected_weekday,
        case when is_count then greatest(stddev, sqrt(expected + 1)) else stddev end as stddev,
        case
            when is_count then greatest(stddev_weekday, sqrt(expected_weekday + 1)) else stddev_weekday
        end as stddev_weekday
    from windowed
),

scored as (
    select
        date_day,
        metric,
        metric_value,
        bad_direction,
        case when history_days >= {{ var('anomaly_min_history_days') }} then expected end as expected,
        case when history_days >= {{ var('anomaly_min_history_days') }} then stddev end as stddev,
        case
            when history_days >= {{ var('anomaly_min_history_days') }}
                then {{ safe_divide('metric_value - expected', 'stddev') }}
        end as z_score,
        case when history_weekdays >= {{ var('anomaly_min_weekday_history') }} then expected_weekday end
            as expected_weekday,
        case
            when history_weekdays >= {{ var('anomaly_min_weekday_history') }}
                then {{ safe_divide('metric_value - expected_weekday', 'stddev_weekday') }}
        end as z_score_weekday
    from noise_floored
),

final as (
    select
        date_day,
        metric,
        metric_value as value,
        bad_direction,
        expected,
        stddev,
        z_score,
        expected_weekday,
        z_score_weekday,
        -- both views must agree: the smaller deviation when they point the same way, else none
        case
            when z_score is null then z_score_weekday
            when z_score_weekday is null then z_score
            when z_score * z_score_weekday <= 0 then 0
            when abs(z_score) < abs(z_score_weekday) then z_score
            else z_score_weekday
        end as anomaly_score
    from scored
)

select * from final
