"""`make build`: gate, load, dbt build with every test, publish atomically (see `scripts/build.py --help`)."""

import sys

from jobmetrics.cli.build import main

if __name__ == "__main__":
    sys.exit(main())
