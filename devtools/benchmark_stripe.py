"""The benchmark's Stripe section: one company billed in the project's own format and the same company billed
through Stripe (`jobmetrics sample --stripe`), `make build` end to end (goal: at most 1.5x the time)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from devtools.benchmark import JOBMETRICS, Stage, run_stage

STRIPE_USERS = 1_000_000


def measure(workdir: Path, users: int = STRIPE_USERS) -> dict[str, tuple[Stage, dict[str, int]]]:
    """`make build` of one company in the project's own billing format and of the same company billed through
    Stripe (`jobmetrics sample --stripe`), with the Stripe files' row counts (goal: at most 1.5x the time)."""
    builds = {}
    for form in ("own", "stripe"):
        folder = workdir / form
        where = ["--out", str(folder)] if form == "own" else ["--stripe", str(folder)]
        run_stage([*JOBMETRICS, "sample", "--users", str(users), *where])
        with duckdb.connect() as con:
            rows = {
                path.stem: con.read_csv(str(path), header=True, all_varchar=True).shape[0]
                for path in sorted((folder / "stripe").glob("*.csv"))
            }
        print(f"  {users:,} users, {form} billing: make build ...", flush=True)
        published = workdir / f"{form}-warehouse" / "jobmetrics.duckdb"
        command = [*JOBMETRICS, "build", "--raw-dir", str(folder), "--db", str(published)]
        builds[form] = (run_stage(command, {"DBT_TARGET_PATH": str(workdir / f"{form}-target")}), rows)
        for done in (folder, published.parent, workdir / f"{form}-target"):
            shutil.rmtree(done, ignore_errors=True)
    return builds


def table(results: dict[str, tuple[Stage, dict[str, int]]], users: int = STRIPE_USERS) -> str:
    lines = [
        f"One company of {users:,} users in the project's own billing format and billed through Stripe "
        "(`make build` end to end: gate, load, every model and test, publish):",
        "",
        "| billing | `make build` | CPU-seconds | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for form, (stage, _) in results.items():
        lines.append(f"| {form} | {stage.seconds:.1f} s | {stage.cpu_seconds:.0f} | {stage.peak_gb:.2f} GB |")
    own, stripe = results.get("own"), results.get("stripe")
    if own and stripe:
        rows = ", ".join(f"{name} {count:,}" for name, count in stripe[1].items())
        lines += [
            "",
            f"Stripe's files: {rows}. Billed through Stripe the build takes {stripe[0].seconds / own[0].seconds:.2f}x "
            "the time of the own format (goal: at most 1.5x).",
        ]
    return "\n".join(lines)
