"""`jobmetrics watch`: rebuild whenever the raw files change, then email the digests when email is set up.

Exit codes: 0 stopped by SIGTERM or SIGINT (between cycles); 2 bad arguments. A failed build is logged (and
emailed once) and the watcher goes on; the last good warehouse stays published.
"""

from __future__ import annotations

import argparse

from jobmetrics import paths
from jobmetrics.alerts.watch import Watcher
from jobmetrics.cli import options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics watch",
        description="Poll the raw folder and run `jobmetrics build` when a file is new, changed or gone; after "
        "a good build, email the digests when JOBMETRICS_SMTP_HOST is set (see `jobmetrics alerts --help`). "
        "One log line per cycle. Arguments after -- go to each build's dbt build (e.g. -- --vars "
        "'{as_of_date: 2025-06-30}').",
        epilog=(__doc__ or "").split("\n\n", 1)[1],
    )
    options.raw_dir(parser)
    options.warehouse(parser)
    parser.add_argument(
        "--every",
        type=options.positive("seconds"),
        default=60.0,
        help="seconds between looks at the folder (default 60)",
    )
    parser.add_argument("dbt_args", nargs="*", help="passed to each build's dbt build")
    args = parser.parse_args(argv)
    raw_dir = (args.raw_dir or paths.raw_dir()).resolve()
    Watcher(raw_dir, (args.db or paths.warehouse_path()).resolve(), args.every, args.dbt_args).run()
    return 0
