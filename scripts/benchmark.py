"""Benchmark: generator time and peak memory at scale, and `dbt build` wall time on the default data.

Targets (issue #2): `generate_seeds.py --users 1000000` under 60 s and 4 GB peak memory on a 2-core
machine; `dbt build` of the default data (seeds, models and every test) under 30 s. Prints the
figures; exits 1 when a target is missed so it can gate a release, but it is not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GENERATOR_SECONDS = 60.0
GENERATOR_PEAK_GB = 4.0
BUILD_SECONDS = 30.0


def time_generator(users: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GB) of one generator run in a child process."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "generate_seeds.py"), "--users", str(users), "--out", str(out)],
        check=True, stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: the largest child so far, and the generator is the first child.
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    return seconds, peak_gb


def time_dbt_build(workdir: Path) -> float:
    """Wall seconds of `dbt build` (seeds, models, data and unit tests) into an empty warehouse."""
    env = {**os.environ, "JOBMETRICS_DB": str(workdir / "benchmark.duckdb"), "DBT_PROFILES_DIR": str(PROJECT_ROOT),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "dbt"), "build", "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")],
        check=True, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "OVER TARGET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000, help="users to generate (default 1000000)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="jobmetrics-benchmark-"))
    try:
        gen_seconds, gen_peak = time_generator(args.users, workdir / "seeds")
        rows = {p.stem: sum(1 for _ in p.open()) - 1 for p in sorted((workdir / "seeds").glob("*.csv"))}
        build_seconds = time_dbt_build(workdir)
    except subprocess.CalledProcessError as error:
        print(f"benchmark: {' '.join(map(str, error.cmd[:2]))} failed with exit code {error.returncode}",
              file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"generate_seeds.py --users {args.users:,} on {os.cpu_count()} cores")
    print("  rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items()))
    print(f"  wall time   {gen_seconds:6.1f} s   (target < {GENERATOR_SECONDS:.0f} s)  {verdict(gen_seconds, GENERATOR_SECONDS)}")
    print(f"  peak memory {gen_peak:6.2f} GB  (target < {GENERATOR_PEAK_GB:.0f} GB)  {verdict(gen_peak, GENERATOR_PEAK_GB)}")
    print("dbt build on the default seeds (seeds, models, data and unit tests)")
    print(f"  wall time   {build_seconds:6.1f} s   (target < {BUILD_SECONDS:.0f} s)  {verdict(build_seconds, BUILD_SECONDS)}")
    missed = gen_seconds > GENERATOR_SECONDS or gen_peak > GENERATOR_PEAK_GB or build_seconds > BUILD_SECONDS
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
