"""`make alerts`: KPI statuses and recent anomalies, for people, machines and Slack."""

import sys

from jobmetrics.cli.alerts import main

if __name__ == "__main__":
    sys.exit(main())
