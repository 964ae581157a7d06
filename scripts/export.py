"""`make export`: every mart as Parquet and CSV with a manifest (see `scripts/export.py --help`)."""

import sys

from jobmetrics.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
