"""The benchmark's floor builds what it says: an empty dbt project with as many nodes of each kind as asked, each
of which runs and passes; the experiments' benchmark gives each build a whole company; and `make benchmark` keeps
the sections of docs/benchmarks.md measured by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import benchmark, benchmark_floor
from devtools.benchmark_cli import with_hand_sections
from jobmetrics.pipeline import raw


@pytest.mark.build
def test_the_empty_project_has_the_nodes_asked_for_and_each_passes(tmp_path: Path) -> None:
    asked = {"table model": 2, "view model": 2, "incremental model": 1, "seed": 1, "test": 3, "unit_test": 2}
    project = tmp_path / "empty"
    benchmark_floor.write_empty_project(project, asked)
    target = project / "target"
    dbt = str(Path(sys.executable).with_name("dbt"))
    done = subprocess.run(
        [dbt, "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        env={**os.environ, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(project / "logs")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert benchmark_floor.node_kinds(target) == asked


def test_sections_written_by_hand_are_kept_after_the_generated_ones() -> None:
    previous = "# Benchmarks\n\nold\n\n## Sizes\n\nold sizes\n\n## Measured by hand\n\nkept\n"
    generated = "# Benchmarks\n\nnew\n\n## Sizes\n\nnew sizes\n"
    assert with_hand_sections(generated, previous) == (
        "# Benchmarks\n\nnew\n\n## Sizes\n\nnew sizes\n\n## Measured by hand\n\nkept\n"
    )
    assert with_hand_sections(generated, "") == generated


def test_each_experiment_build_gets_a_whole_company_with_or_without_experiment_files(tmp_path: Path) -> None:
    """The three builds `make benchmark` compares read the generated company's files; only the last has an experiment
    (its billing files were missing once billing became a choice between them and Stripe's, and the build refused)."""
    generated = tmp_path / "generated"
    jobmetrics = str(Path(sys.executable).with_name("jobmetrics"))
    done = subprocess.run(
        [jobmetrics, "sample", "--users", "300", "--out", str(generated)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    benchmark.write_experiment_folders(generated, tmp_path)
    experiments = set(raw.GROUPS["experiments"])
    for number, (with_experiment, _) in enumerate(benchmark.EXPERIMENT_BUILDS.values()):
        found = set(raw.find_raw_files(tmp_path / f"raw-{number}"))
        assert {*raw.RAW_TABLES, *raw.GROUPS["own_billing"]} <= found, number
        assert (experiments <= found) if with_experiment else not (experiments & found), (number, found)
