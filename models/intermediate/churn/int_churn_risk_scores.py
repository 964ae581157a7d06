"""Each customer paying on as_of_date with their 30-day churn probability and its three strongest drivers
(jobmetrics.stats.churn_risk): a model per tenant, trained on every labelled observation date.

A Python model: scikit-learn fits and explains the model inside dbt's process, so the score is built, tested
and published with everything else. DuckDB only, like its input (tag statistics).
"""


def model(dbt, session):
    dbt.config(materialized="table", tags=["statistics"])
    from jobmetrics.stats import churn_risk

    return churn_risk.scores(dbt.ref("int_churn_observations").df())
