"""`jobmetrics sample`: write the raw CSVs of a synthetic resume-scanning SaaS (same arguments, same bytes), in the
project's own billing format or, with --stripe, billed through Stripe."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path

from jobmetrics import paths
from jobmetrics.pipeline import generator, stripe_sample


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from error


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="jobmetrics sample",
        description="Write the raw CSVs (users, plans, subscriptions, scans, marketing spend, experiments) of a "
        "synthetic resume-scanning SaaS. Same arguments give byte-identical files.",
    )
    parser.add_argument("--users", type=positive_int, default=10_000, help="number of signups (default 10000)")
    parser.add_argument(
        "--start", type=iso_date, default=date(2025, 1, 1), help="first signup date (default 2025-01-01)"
    )
    parser.add_argument(
        "--end", type=iso_date, default=date(2025, 12, 31), help="last day simulated (default 2025-12-31)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--out", type=Path, default=paths.SAMPLE_DIR, help=f"output folder (default {paths.SAMPLE_DIR})"
    )
    parser.add_argument(
        "--stripe",
        type=Path,
        metavar="DIR",
        help="write the same company billed through Stripe instead: Fivetran's Stripe tables in DIR/stripe/, "
        "exchange rates in DIR/fx_rates.csv and the other raw files beside them (--out is then ignored)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.stripe is None:
            counts, out = generator.generate(args.users, args.start, args.end, args.seed, args.out), args.out
        else:
            with tempfile.TemporaryDirectory(prefix="jobmetrics-sample-") as own:
                generator.generate(args.users, args.start, args.end, args.seed, Path(own))
                counts, out = stripe_sample.write_stripe(Path(own), args.stripe), args.stripe
    except (ValueError, OSError) as error:
        print(f"jobmetrics sample: {error}", file=sys.stderr)
        return 2
    for name, rows in counts.items():
        print(f"{out / (name + '.csv')}: {rows:,} rows")
    return 0
