"""The out-of-time backtest's predictions (jobmetrics.stats.churn_risk): for each of the last 12 labelled weekly
dates, every paying customer's 30-day churn probability by the model and by the two baselines, all trained
only on dates whose 30 days had passed before the first held-out date, beside what happened.

A Python model for the same reason as int_churn_risk_scores; churn_model_evaluation sums it up in SQL.
"""


def model(dbt, session):
    dbt.config(materialized="table", tags=["statistics"])
    from jobmetrics.stats import churn_risk

    return churn_risk.backtest(dbt.ref("int_churn_observations").df())
