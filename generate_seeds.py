"""Write the five raw CSVs of a synthetic Jobscan-style business (see `generate_seeds.py --help`)."""

import sys

from jobmetrics.cli.generate_seeds import main

if __name__ == "__main__":
    sys.exit(main())
