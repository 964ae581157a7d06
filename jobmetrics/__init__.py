"""JobMetrics: the Python around the dbt warehouse (access, monitoring, the ask engine, the raw-data gate)."""
