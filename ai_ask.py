"""Ask the JobMetrics warehouse a question in plain English: `jobmetrics ask` (see `ai_ask.py --help`)."""

import sys

from jobmetrics.cli import main

if __name__ == "__main__":
    sys.exit(main(["ask", *sys.argv[1:]]))
