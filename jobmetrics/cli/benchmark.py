"""`make benchmark`: generator time and memory at scale and the default build's time, against their targets."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jobmetrics import benchmark as bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmark", description=__doc__)
    parser.add_argument("--users", type=int, default=1_000_000, help="users to generate (default 1000000)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="jobmetrics-benchmark-"))
    try:
        gen_seconds, gen_peak = bench.time_generator(args.users, workdir / "seeds")
        rows = {p.stem: sum(1 for _ in p.open()) - 1 for p in sorted((workdir / "seeds").glob("*.csv"))}
        build_seconds = bench.time_dbt_build(workdir)
    except subprocess.CalledProcessError as error:
        print(
            f"benchmark: {' '.join(map(str, error.cmd[:2]))} failed with exit code {error.returncode}", file=sys.stderr
        )
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    verdict = bench.verdict
    print(f"generate_seeds.py --users {args.users:,} on {os.cpu_count()} cores")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))
    print(
        f"  wall time   {gen_seconds:6.1f} s   (target < {bench.GENERATOR_SECONDS:.0f} s)"
        f"  {verdict(gen_seconds, bench.GENERATOR_SECONDS)}"
    )
    print(
        f"  peak memory {gen_peak:6.2f} GB  (target < {bench.GENERATOR_PEAK_GB:.0f} GB)"
        f"  {verdict(gen_peak, bench.GENERATOR_PEAK_GB)}"
    )
    print("dbt build on the default seeds (seeds, models, data and unit tests)")
    print(
        f"  wall time   {build_seconds:6.1f} s   (target < {bench.BUILD_SECONDS:.0f} s)"
        f"  {verdict(build_seconds, bench.BUILD_SECONDS)}"
    )
    missed = (
        gen_seconds > bench.GENERATOR_SECONDS
        or gen_peak > bench.GENERATOR_PEAK_GB
        or build_seconds > bench.BUILD_SECONDS
    )
    return 1 if missed else 0
