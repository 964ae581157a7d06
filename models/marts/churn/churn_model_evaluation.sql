with

predictions as (
    select * from {{ ref('int_churn_backtest_predictions') }}
),

ranked as (
    select
        tenant_id,
        scored_by,
        churn_probability_30d,
        churned,
        ntile(10) over (
            partition by tenant_id, scored_by
            order by churn_probability_30d, observation_date, user_id
        ) as risk_decile
    from predictions
),

ties as (
    -- predictions sharing one probability share the average of their ranks
    select
        tenant_id,
        scored_by,
        churn_probability_30d,
        count(*) as predictions,
        sum(case when churned then 1 else 0 end) as churned
    from predictions
    group by tenant_id, scored_by, churn_probability_30d
),

ranks as (
    select
        tenant_id,
        scored_by,
        predictions,
        churned,
        sum(predictions) over (
            partition by tenant_id, scored_by
            order by churn_probability_30d
            rows between unbounded preceding and current row
        ) - predictions as predictions_below
    from ties
),

scorers as (
    -- the area under the ROC curve as the Mann-Whitney statistic of the churned predictions' ranks
    select
        tenant_id,
        scored_by,
        sum(predictions) as predictions,
        sum(churned) as churned,
        sum(churned * (predictions_below + (predictions + 1) / 2.0)) as churned_rank_sum
    from ranks
    group by tenant_id, scored_by
),

brier as (
    select
        tenant_id,
        scored_by,
        cast(min(observation_date) as date) as held_out_from,
        cast(max(observation_date) as date) as held_out_until,
        avg(
            (churn_probability_30d - case when churned then 1 else 0 end)
            * (churn_probability_30d - case when churned then 1 else 0 end)
        ) as brier_score
    from predictions
    group by tenant_id, scored_by
),

deciles as (
    select
        tenant_id,
        scored_by,
        risk_decile,
        count(*) as predictions,
        avg(churn_probability_30d) as mean_predicted,
        avg(case when churned then 1.0 else 0.0 end) as observed_rate
    from ranked
    group by tenant_id, scored_by, risk_decile
),

final as (
    select
        deciles.tenant_id,
        deciles.scored_by,
        brier.held_out_from,
        brier.held_out_until,
        deciles.risk_decile,
        deciles.predictions,
        deciles.mean_predicted,
        deciles.observed_rate,
        abs(deciles.mean_predicted - deciles.observed_rate) as calibration_error,
        {{ jobmetrics.safe_divide(
            'scorers.churned_rank_sum - scorers.churned * (scorers.churned + 1) / 2.0',
            'scorers.churned * (scorers.predictions - scorers.churned)'
        ) }} as auc,
        brier.brier_score,
        {{ jobmetrics.safe_divide(
            'top_deciles.observed_rate',
            jobmetrics.safe_divide('scorers.churned', 'scorers.predictions')
        ) }} as top_decile_lift
    from deciles
    inner join scorers
        on deciles.tenant_id = scorers.tenant_id and deciles.scored_by = scorers.scored_by
    inner join brier
        on deciles.tenant_id = brier.tenant_id and deciles.scored_by = brier.scored_by
    left join deciles as top_deciles
        on
            deciles.tenant_id = top_deciles.tenant_id
            and deciles.scored_by = top_deciles.scored_by
            and top_deciles.risk_decile = 10
)

select * from final
