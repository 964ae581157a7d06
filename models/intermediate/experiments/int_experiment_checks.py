"""Each experiment's sample-ratio check and its verdict in words (jobmetrics.stats.experiments)."""


def model(dbt, session):
    dbt.config(materialized="table", tags=["statistics"])
    from jobmetrics.stats import experiments

    return experiments.checks(dbt.ref("experiment_sufficient_statistics").df(), dbt.ref("int_experiment_lifts").df())
