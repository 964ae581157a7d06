with

scores as (
    select * from {{ ref('int_churn_risk_scores') }}
),

observations as (
    select * from {{ ref('int_churn_observations') }}
    where weeks_before_as_of = 0
),

users as (
    select * from {{ ref('int_users') }}
),

deciles as (
    select
        tenant_id,
        user_id,
        ntile(10) over (partition by tenant_id order by churn_probability_30d, user_id) as risk_decile
    from scores
    where churn_probability_30d is not null
),

final as (
    select
        observations.tenant_id,
        observations.observation_date as as_of_date,
        observations.user_id,
        observations.plan_id,
        observations.plan_name,
        observations.segment,
        observations.acquisition_channel,
        users.current_mrr as mrr,
        scores.churn_probability_30d,
        deciles.risk_decile,
        scores.churn_probability_30d * users.current_mrr as expected_mrr_at_risk,
        scores.driver_1,
        scores.driver_1_contribution,
        scores.driver_2,
        scores.driver_2_contribution,
        scores.driver_3,
        scores.driver_3_contribution,
        observations.tenure_days,
        observations.days_to_renewal,
        observations.is_first_period,
        observations.days_since_last_scan,
        observations.scans_last_28_days,
        observations.scans_previous_28_days,
        observations.match_rate_change,
        observations.earlier_payment_failures,
        observations.earlier_plan_changes,
        observations.earlier_cancellations
    from observations
    inner join users
        on observations.tenant_id = users.tenant_id and observations.user_id = users.user_id
    left join scores
        on observations.tenant_id = scores.tenant_id and observations.user_id = scores.user_id
    left join deciles
        on observations.tenant_id = deciles.tenant_id and observations.user_id = deciles.user_id
)

select * from final
