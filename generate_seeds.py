"""Write the five raw CSVs of a synthetic Jobscan-style business: `jobmetrics sample` (see `--help`)."""

import sys

from jobmetrics.cli import main

if __name__ == "__main__":
    sys.exit(main(["sample", *sys.argv[1:]]))
