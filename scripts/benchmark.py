"""`make benchmark`: generator time and memory at scale and the default build's time."""

import sys

from jobmetrics.cli.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
