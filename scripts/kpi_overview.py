"""`make build`'s last words: the headline KPIs and their statuses, read from the marts."""

import sys

from jobmetrics.cli.kpi_overview import main

if __name__ == "__main__":
    sys.exit(main())
