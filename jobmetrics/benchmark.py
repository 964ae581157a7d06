"""Benchmark: generator time and peak memory at scale, and `dbt build` wall time on the default data.

Targets (issue #2): `generate_seeds.py --users 1000000` under 60 s and 4 GB peak memory on a 2-core
machine; `dbt build` of the default data (seeds, models and every test) under 30 s. The CLI prints
the figures and exits 1 when a target is missed, so it can gate a release; it is not part of `make test`.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from jobmetrics.paths import PROJECT_ROOT

BIN = Path(sys.executable).parent
GENERATOR_SECONDS = 60.0
GENERATOR_PEAK_GB = 4.0
BUILD_SECONDS = 30.0


def time_generator(users: int, out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GB) of one generator run in a child process."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "generate_seeds.py"), "--users", str(users), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux: the largest child so far, and the generator is the first child.
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    return seconds, peak_gb


def time_dbt_build(workdir: Path) -> float:
    """Wall seconds of `dbt build` (seeds, models, data and unit tests) into an empty warehouse."""
    env = {
        **os.environ,
        "JOBMETRICS_DB": str(workdir / "benchmark.duckdb"),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "dbt"), "build", "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")],
        check=True,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def verdict(value: float, limit: float) -> str:
    return "ok" if value <= limit else "OVER TARGET"
