"""`jobmetrics benchmark` (`make benchmark`): the pipeline's stages at 10k, 100k and 1M users (10M with
--with-10m), with peak memory, each dashboard tab's server time, the build on each engine (DuckDB,
PostgreSQL, Spark) at 10k and 100k, the churn-risk models alone, ten tenants against one company, an
experiment on every user, one company billed through Stripe against the same in the project's own format, and
this version's build against the previous release's on the same files (at 10k, 100k and 1M users), and the
sample's build against its floor (the fixed costs of Great Expectations and of dbt's nodes).

Writes the tables to docs/benchmarks.md with the machine described, keeping the sections written there by hand.
Not part of `make test`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar

from devtools import benchmark, benchmark_floor, benchmark_guard, benchmark_stripe
from jobmetrics import paths

Measured = TypeVar("Measured")


def in_scratch(name: str, measure: Callable[[Path], Measured]) -> Measured:
    """A measurement in a temporary folder of its own, removed after it whatever happens."""
    workdir = Path(tempfile.mkdtemp(prefix=f"jobmetrics-benchmark-{name}-"))
    try:
        return measure(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def with_hand_sections(generated: str, previous: str) -> str:
    """The generated text, then every section of the previous file (from its `## ` heading to the next) that the
    generated text has no heading for: the ones measured by hand stay until someone removes them."""
    headings = {line for line in generated.splitlines() if line.startswith("## ")}
    sections = re.split(r"^(?=## )", previous, flags=re.MULTILINE)[1:]
    kept = [section.rstrip() + "\n" for section in sections if section.splitlines()[0] not in headings]
    return "\n".join([generated.rstrip() + "\n", *kept])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobmetrics benchmark", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated user counts")
    parser.add_argument(
        "--with-10m",
        action="store_true",
        help="add 10,000,000 users, without the pandas peer (about 30 minutes more)",
    )
    parser.add_argument(
        "--only-stripe",
        action="store_true",
        help="measure only the Stripe section (own format against Stripe billing at 1M users) and print it",
    )
    parser.add_argument(
        "--only-guard",
        action="store_true",
        help="measure only the guard (this version against the previous release at --sizes) and print it",
    )
    parser.add_argument(
        "--only-floor",
        action="store_true",
        help="measure only the sample's build against its floor (dbt's and GX's fixed costs) and print it",
    )
    parser.add_argument(
        "--write",
        type=Path,
        default=paths.PROJECT_ROOT / "docs" / "benchmarks.md",
        help="where to write the results (default docs/benchmarks.md); '-' to only print",
    )
    args = parser.parse_args(argv)
    if args.only_stripe:
        print(benchmark_stripe.table(in_scratch("stripe", benchmark_stripe.measure)))
        return 0
    if args.only_floor:
        print(benchmark_floor.table(in_scratch("floor", benchmark_floor.measure)))
        return 0
    sizes = [int(n) for n in args.sizes.split(",")] + ([10_000_000] if args.with_10m else [])
    if args.only_guard:
        print(benchmark_guard.table(in_scratch("guard", partial(benchmark_guard.measure, sizes))))
        return 0
    results = [in_scratch(str(users), partial(benchmark.measure, users)) for users in sizes]
    engines = {
        users: in_scratch(f"engines-{users}", partial(benchmark.measure_engines, users))
        for users in benchmark.ENGINE_SIZES
    }
    tenants = in_scratch("tenants", benchmark.measure_tenants)
    experiments = in_scratch("experiments", benchmark.measure_experiments)
    stripe = in_scratch("stripe", benchmark_stripe.measure)
    guarded = [size for size in sizes if size <= benchmark_guard.GUARD_MAX_USERS]
    guard = in_scratch("guard", partial(benchmark_guard.measure, guarded))
    floor = in_scratch("floor", benchmark_floor.measure)
    text = (
        f"# Benchmarks\n\n`make benchmark` on {date.today():%Y-%m-%d}: {benchmark.machine()}.\n\n"
        "Each stage runs in its own process; peak memory is that process's maximum resident set.\n\n"
        "## Sizes\n\n"
        + benchmark.sizes_table(results)
        + "\n\n## Every stage\n\n"
        + benchmark.table(results)
        + "\n\n"
        + benchmark.engines_table(engines)
        + "\n\n## Churn risk\n\n"
        + benchmark.churn_risk_table(results)
        + "\n\n## Tenants\n\n"
        + benchmark.tenants_table(tenants)
        + "\n\n## Experiments\n\n"
        + benchmark.experiments_table(experiments)
        + "\n\n## Billing from Stripe\n\n"
        + benchmark_stripe.table(stripe)
        + "\n\n## Against the previous release\n\n"
        + benchmark_guard.table(guard)
        + "\n\n## The sample against its floor\n\n"
        + benchmark_floor.table(floor)
        + "\n"
    )
    print(text)
    if str(args.write) != "-":
        previous = args.write.read_text() if args.write.exists() else ""
        args.write.write_text(with_hand_sections(text, previous))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
