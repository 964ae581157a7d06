"""The benchmark's guard: this version's `make build` against the previous release's on the same raw files, taken in
turn in one run (wall time, CPU-seconds, peak memory, dbt's nodes), so a change that adds cost shows it the day it
lands. The previous release runs from a git worktree of its tag with this installation's packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.benchmark import JOBMETRICS, Stage, run_stage
from jobmetrics import paths

PREVIOUS_RELEASE = "v1.3.0"
GUARD_MAX_USERS = 1_000_000  # 10M would take each version's build twice more: half an hour
# the release's own command line, imported from its worktree: PYTHONPATH goes before this installation's package,
# and -P keeps the working folder (this project) off the path
RELEASE = [sys.executable, "-P", "-c"]
RELEASE_CLI = [*RELEASE, "import sys; from jobmetrics.cli import run; sys.exit(run())"]


@dataclass
class Build:
    stage: Stage
    nodes: int


def worktree(workdir: Path) -> Path:
    """The previous release checked out beside the benchmark's files."""
    where = workdir / "previous-release"
    added = subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), PREVIOUS_RELEASE],
        cwd=paths.PROJECT_ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if added.returncode != 0:
        raise RuntimeError(
            f"cannot check out the previous release {PREVIOUS_RELEASE} ({added.stderr.strip()}); "
            "fetch the tags (git fetch --tags) or set PREVIOUS_RELEASE in devtools/benchmark_guard.py"
        )
    imported = subprocess.run(
        [*RELEASE, "import jobmetrics; print(jobmetrics.__file__)"],
        cwd=paths.PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(where)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(imported).is_relative_to(where):
        raise RuntimeError(f"the previous release would run this version's package ({imported}), not {where}'s")
    return where


def build(version: str, raw_dir: Path, workdir: Path, release: Path) -> Build:
    published, target = workdir / f"{version}-warehouse" / "jobmetrics.duckdb", workdir / f"{version}-target"
    env = {"DBT_TARGET_PATH": str(target)}
    command = [*JOBMETRICS, "build"]
    if version == "previous":
        command, env = [*RELEASE_CLI, "build"], env | {"PYTHONPATH": str(release)}
    stage = run_stage([*command, "--raw-dir", str(raw_dir), "--db", str(published)], env)
    nodes = len(json.loads((target / "run_results.json").read_text())["results"])
    shutil.rmtree(published.parent, ignore_errors=True)
    return Build(stage, nodes)


def measure(sizes: list[int], workdir: Path) -> dict[int, dict[str, Build]]:
    """Per size: one build of each version to parse, then one of each measured (the previous release first)."""
    release = worktree(workdir)
    results: dict[int, dict[str, Build]] = {}
    try:
        for users in sizes:
            raw_dir = workdir / f"raw-{users}"
            run_stage([*JOBMETRICS, "sample", "--users", str(users), "--out", str(raw_dir)])
            for version in ("previous", "this"):  # a first build parses the whole project: not measured
                build(version, raw_dir, workdir, release)
            print(f"  {users:,} users: the previous release and this version ...", flush=True)
            results[users] = {version: build(version, raw_dir, workdir, release) for version in ("previous", "this")}
            shutil.rmtree(raw_dir, ignore_errors=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(release)], cwd=paths.PROJECT_ROOT, check=False)
    return results


def table(results: dict[int, dict[str, Build]]) -> str:
    lines = [
        f"`make build` of the same raw files by the previous release ({PREVIOUS_RELEASE}) and by this version, one "
        "after the other, each after a build that parsed the project:",
        "",
        "| users | version | `make build` | CPU-seconds | peak memory | dbt nodes | time against the release |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for users, builds in results.items():
        before = builds["previous"].stage.seconds
        for version, done in builds.items():
            name = PREVIOUS_RELEASE if version == "previous" else "this version"
            lines.append(
                f"| {users:,} | {name} | {done.stage.seconds:.1f} s | {done.stage.cpu_seconds:.0f} | "
                f"{done.stage.peak_gb:.2f} GB | {done.nodes} | {done.stage.seconds / before:.2f}x |"
            )
    return "\n".join(lines)
