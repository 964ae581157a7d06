"""What dbt's Python models import inside dbt's process: the churn-risk model, the experiment readouts and the
survival tests. Nothing here imports the rest of the package, the dashboard, mail or the CLI; numpy, pandas,
scipy and scikit-learn are all it needs."""
