"""Ask the JobMetrics warehouse a question in plain English (see `ai_ask.py --help`)."""

import sys

from jobmetrics.cli.ask import main

if __name__ == "__main__":
    sys.exit(main())
