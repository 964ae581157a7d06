with

scores as (
    select * from {{ ref('metric_daily_scores') }}
),

flagged as (
    select
        scores.*,
        case when scores.anomaly_score > 0 then 'spike' else 'drop' end as direction
    from scores
    where abs(scores.anomaly_score) >= {{ var('anomaly_warning_z') }}
),

final as (
    select
        flagged.tenant_id,
        flagged.date_day,
        flagged.metric,
        flagged.value,
        flagged.expected,
        flagged.expected_weekday,
        flagged.z_score,
        flagged.z_score_weekday,
        flagged.anomaly_score,
        flagged.direction,
        case
            when abs(flagged.anomaly_score) >= {{ var('anomaly_critical_z') }} then 'critical'
            else 'warning'
        end as severity,
        flagged.direction = flagged.bad_direction as is_bad
    from flagged
)

select * from final
