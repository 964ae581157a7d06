"""`make validate`: check the raw files against the data contract with Great Expectations before building."""

import sys

from jobmetrics.cli.validate_raw import main

if __name__ == "__main__":
    sys.exit(main())
