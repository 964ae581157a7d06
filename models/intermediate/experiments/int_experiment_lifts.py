"""Lifts, intervals and p-values of every experiment, variant and metric (jobmetrics.stats.experiments).

A Python model: the normal and chi-square distributions are scipy's. It reads the public sufficient statistics,
which every engine builds; dbt-postgres and a local Spark cannot run Python models, so there this model and
the two experiment marts on it are not built (the build says so).
"""


def model(dbt, session):
    dbt.config(materialized="table", tags=["statistics"])
    from jobmetrics.stats import experiments

    return experiments.lifts(dbt.ref("experiment_sufficient_statistics").df())
