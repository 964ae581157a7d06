"""Alerting, run by `jobmetrics alerts` and `jobmetrics watch`: KPI statuses and anomalies, the email digest, the
mail server and the watcher that rebuilds when raw files change."""
