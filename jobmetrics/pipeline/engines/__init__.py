"""The same models on other engines: PostgreSQL and Spark beside the default DuckDB file.

`make build TARGET=postgres` (or `spark`) does on that engine what `make build` does on DuckDB: the
gate on the raw files, the load (PostgreSQL through COPY, Spark reading the files), `dbt build` with
the tests through dbt's Python API (in this process, so Spark's local metastore has one user), and
the KPI overview read from the engine's marts. There is no scratch copy to publish: dbt replaces each
table as it builds it, as it does on any shared warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from jobmetrics import paths
from jobmetrics.pipeline import build, raw
from jobmetrics.pipeline.engines import postgres, spark
from jobmetrics.warehouse import WarehouseUnavailable

ENGINES: dict[str, ModuleType] = {"postgres": postgres, "spark": spark}
TARGETS = ("duckdb", *ENGINES)
# dbt-duckdb runs Python models in its own process; dbt-postgres has none and dbt-spark needs a cluster. The
# experiment readouts, the log-rank tests and the churn-risk score come from Python models (tag `statistics`,
# with the observations the score learns from): the other engines build what the readouts and the tests are
# computed from (experiment_sufficient_statistics, churn_survival) and leave out the models below.
NOT_ON_OTHER_ENGINES = ["--exclude", "tag:statistics+"]
DUCKDB_ONLY_MARTS = (
    "experiment_results",
    "experiment_summary",
    "churn_survival_tests",
    "churn_risk",
    "churn_model_evaluation",
    "churn_risk_kpi",
)
DUCKDB_ONLY_NOTE = (
    "the experiment readouts, the survival tests and the churn-risk score ({}) are computed by dbt Python models "
    "and built on DuckDB only; experiment_sufficient_statistics and churn_survival hold what the readouts and "
    "the tests are computed from".format(", ".join(DUCKDB_ONLY_MARTS))
)


def run(target: str, raw_dir: Path | None, dbt_args: list[str], say: Callable[[str], None] = print) -> None:
    """The whole build on `target`; raw_dir None means the raw tables are already in JOBMETRICS_RAW_SCHEMA."""
    from dbt.cli.main import dbtRunner

    engine = ENGINES[target]
    try:
        tenants = raw.find_tenants(raw_dir) if raw_dir is not None else {}
    except raw.RawFilesMissing as error:
        raise build.BuildFailed(build.EXIT_RAW_MISSING, str(error)) from error
    try:
        engine.start()
    except WarehouseUnavailable as error:
        raise build.BuildFailed(build.EXIT_ENGINE_UNREACHABLE, str(error)) from error
    if tenants:
        say(f"Checking the raw files in {raw_dir} against the contract")
        build.check_raw(tenants, paths.target_dir() / "validate_raw", dbt_args)
        counts = engine.load(tenants)
        say(f"Loaded into {target}: " + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()))
    for note in [*engine.NOT_RUN, DUCKDB_ONLY_NOTE]:
        say(f"{target}: {note}")
    root = str(paths.PROJECT_ROOT)
    arguments = ["build", "--target", target, "--project-dir", root, "--profiles-dir", root]
    result = dbtRunner().invoke([*arguments, *engine.DBT_ARGS, *NOT_ON_OTHER_ENGINES, *dbt_args])
    if not result.success:
        raise build.BuildFailed(build.EXIT_DBT_FAILED, f"dbt build on {target} failed (see above)")
