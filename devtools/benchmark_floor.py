"""The benchmark's floor for the sample: what `make build` of the committed sample cannot go below while it runs
Great Expectations and dbt with the project's number of nodes, measured beside the sample's own build.

The floor is importing Great Expectations plus `dbt build` of a generated project with as many nodes of each
kind as the sample's build, each doing nothing (`select 1` models, tests that read one row, unit tests of one
row), on DuckDB with the project's two threads: dbt's start, its partial parse and its fixed cost per node.
Each is measured after a first run that compiled and parsed, as a user's second build is.
"""

from __future__ import annotations

import collections
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from devtools.benchmark import BIN, JOBMETRICS, Stage, run_stage

REPEATS = 3
WITHOUT_QUERY = ("exposure", "saved_query", "operation")  # dbt lists them and runs nothing for them
PROFILE = """floor:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{path}"
      threads: 2
"""


@dataclass
class Floor:
    sample_build: Stage
    nodes: dict[str, int]
    gx_import: Stage
    empty_dbt: Stage

    @property
    def seconds(self) -> float:
        return self.gx_import.seconds + self.empty_dbt.seconds


def median_stage(stages: list[Stage]) -> Stage:
    chosen = sorted(stages, key=lambda stage: stage.seconds)[len(stages) // 2]
    return Stage(statistics.median(s.seconds for s in stages), chosen.peak_gb, chosen.cpu_seconds)


def node_kinds(target: Path) -> dict[str, int]:
    """The last run's nodes by kind (a model by its materialization), from run_results.json and the manifest."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    kinds: collections.Counter[str] = collections.Counter()
    for result in results:
        node = manifest.get(result["unique_id"], {})
        kind = node.get("resource_type", result["unique_id"].split(".")[0])
        if kind == "model":
            kind = f"{node['config']['materialized']} model"
        if kind not in WITHOUT_QUERY:
            kinds[kind] += 1
    return dict(kinds)


def write_empty_project(folder: Path, nodes: dict[str, int]) -> None:
    """A dbt project with `nodes` of each kind that do nothing: tables, views and incremental models of one row,
    seeds of one row, tests of one row and unit tests of one row."""
    models, tests = folder / "models", folder / "tests"
    for where in (models, tests, folder / "seeds"):
        where.mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: floor\nversion: '1.0'\nprofile: floor\n")
    (folder / "profiles.yml").write_text(PROFILE.format(path=folder / "floor.duckdb"))
    names = []
    for kind in ("table", "view", "incremental"):
        for index in range(nodes.get(f"{kind} model", 0)):
            names.append(f"{kind}_{index}")
            (models / f"{kind}_{index}.sql").write_text(f"{{{{ config(materialized='{kind}') }}}}\nselect 1 as id\n")
    for index in range(nodes.get("seed", 0)):
        (folder / "seeds" / f"seed_{index}.csv").write_text("id\n1\n")
    for index in range(nodes.get("test", 0)):
        tested = names[index % len(names)]
        (tests / f"test_{index}.sql").write_text(f"select * from {{{{ ref('{tested}') }}}} where id <> 1\n")
    if nodes.get("unit_test", 0):
        # a unit test needs a model that reads another: the first view reads the first table
        (models / "view_0.sql").write_text("{{ config(materialized='view') }}\nselect id from {{ ref('table_0') }}\n")
        (models / "unit_tests.yml").write_text(
            "unit_tests:\n"
            + "".join(
                f"  - name: unit_{index}\n    model: view_0\n    given:\n      - input: ref('table_0')\n"
                "        rows: [{id: 1}]\n    expect:\n      rows: [{id: 1}]\n"
                for index in range(nodes["unit_test"])
            )
        )


def measure(workdir: Path) -> Floor:
    """The sample's `make build` and its floor, each the median of REPEATS runs after one that parsed."""
    published, target = workdir / "sample-warehouse" / "jobmetrics.duckdb", workdir / "sample-target"
    sample_build = [*JOBMETRICS, "build", "--db", str(published)]
    env = {"DBT_TARGET_PATH": str(target)}
    print("  the sample's make build ...", flush=True)
    run_stage(sample_build, env)
    builds = [run_stage(sample_build, env) for _ in range(REPEATS)]
    nodes = node_kinds(target)
    print("  the floor: Great Expectations' import and dbt's empty nodes ...", flush=True)
    gx_import = [run_stage([str(BIN / "python"), "-c", "import great_expectations"]) for _ in range(REPEATS)]
    project = workdir / "empty-project"
    write_empty_project(project, nodes)
    empty_build = [str(BIN / "dbt"), "build", "--project-dir", str(project), "--profiles-dir", str(project)]
    empty_env = {"DBT_TARGET_PATH": str(project / "target"), "DBT_LOG_PATH": str(project / "logs")}
    run_stage(empty_build, empty_env)
    empty = [run_stage(empty_build, empty_env) for _ in range(REPEATS)]
    return Floor(median_stage(builds), nodes, median_stage(gx_import), median_stage(empty))


def table(floor: Floor) -> str:
    counted = ", ".join(f"{count} {kind.replace('_', ' ')}s" for kind, count in sorted(floor.nodes.items()))
    ratio = floor.sample_build.seconds / floor.seconds
    return "\n".join(
        [
            "The committed sample (`make build` of data/sample) against the least a build can take that imports "
            "Great Expectations and runs dbt with as many nodes of each kind, each doing nothing "
            f"({counted}; `select 1` models, one-row tests and unit tests, on DuckDB with 2 threads). "
            f"Medians of {REPEATS} runs after one that parsed:",
            "",
            "| | wall time | CPU-seconds | peak memory |",
            "|---|---:|---:|---:|",
            f"| the sample's `make build` | {floor.sample_build.seconds:.1f} s | "
            f"{floor.sample_build.cpu_seconds:.0f} | {floor.sample_build.peak_gb:.2f} GB |",
            f"| importing Great Expectations | {floor.gx_import.seconds:.1f} s | "
            f"{floor.gx_import.cpu_seconds:.0f} | {floor.gx_import.peak_gb:.2f} GB |",
            f"| dbt build of the empty nodes (start, parse, nodes) | {floor.empty_dbt.seconds:.1f} s | "
            f"{floor.empty_dbt.cpu_seconds:.0f} | {floor.empty_dbt.peak_gb:.2f} GB |",
            f"| the floor (the two together) | {floor.seconds:.1f} s | | |",
            "",
            f"The sample takes {ratio:.2f}x its floor (goal: at most 15 s, or within 1.25x of the floor).",
        ]
    )
