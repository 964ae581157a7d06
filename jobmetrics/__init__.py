"""JobMetrics: the Python around the dbt warehouse. The top level is the small core every runtime shares (where
things are, read-only warehouse access and the guarded query path, tenants' files, KPI reading and formatting);
each subpackage is what one runtime runs: stats (inside dbt), pipeline (the build), alerts, access, ask, views
(the dashboard and the board pack) and cli."""
