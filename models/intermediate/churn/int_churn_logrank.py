"""The log-rank test of each grouping in churn_survival (jobmetrics.stats.survival).

A Python model: the chi-square distribution is scipy's. It reads the public survival mart, which every engine
builds; dbt-postgres and a local Spark cannot run Python models, so there this model and the mart on it are
not built (the build says so).
"""


def model(dbt, session):
    dbt.config(materialized="table", tags=["statistics"])
    from jobmetrics.stats import survival

    return survival.logrank_tests(dbt.ref("churn_survival").df())
