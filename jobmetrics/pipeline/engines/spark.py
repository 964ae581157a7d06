"""Spark: the session dbt's `spark` target uses, loading the raw files into it, and reading the marts.

The session's settings are written once, in profiles.yml (target `spark`); this module renders them
from there. Everything that touches the local metastore runs in one process (one JVM), because the
embedded metastore admits one process at a time: load, `dbt build` through dbt's Python API, then reads.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

from jobmetrics import paths
from jobmetrics.pipeline import raw

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The raw contract is written in DuckDB's type names; these are Spark's for the same types.
TYPES = {"varchar": "string"}
# dbt's unit tests cannot run on Spark (dbt-adapters issue 481); the data tests all run.
DBT_ARGS = ["--exclude", "test_type:unit"]
NOT_RUN = ["dbt unit tests are not run on Spark (dbt-adapters issue 481); DuckDB and PostgreSQL run them"]


def env_var(name: str, default: str | None = None) -> str:
    """dbt's env_var for rendering profiles.yml; the Spark folder is taken from the project root, as make does."""
    value = os.environ.get(name, default)
    if value is None:
        raise KeyError(f"profiles.yml needs the environment variable {name}")
    return str(paths.from_root(value)) if name == "JOBMETRICS_SPARK_DIR" else value


@cache
def settings() -> dict[str, str]:
    """The spark target's server_side_parameters from profiles.yml, rendered as dbt renders them."""
    profile = yaml.safe_load((paths.PROJECT_ROOT / "profiles.yml").read_text())
    parameters = profile["jobmetrics"]["outputs"]["spark"]["server_side_parameters"]
    return {key: jinja2.Template(str(value)).render(env_var=env_var) for key, value in parameters.items()}


def start() -> None:
    """Start the session before dbt does, so its folders are the project's whatever the current folder."""
    session()


def session() -> SparkSession:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings().items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def load(
    tenants: dict[str, dict[str, raw.RawFile]], schema: str = "raw", stripe_schema: str = "stripe"
) -> dict[str, int]:
    """Replace schema.<table> (Stripe's tables: stripe_schema.<table>) with every tenant's file of it: tenant_id,
    then the contract's columns cast to their declared types; row counts.

    Spark reads the files itself: a CSV as text (cast here, as the DuckDB load casts it), a Parquet
    file with its own types.
    """
    spark = session()
    schemas = {"raw": schema, "stripe": stripe_schema}
    for name in schemas.values():
        spark.sql(f"create database if not exists {name}")
    counts = {}
    for table, columns in raw.contract().items():
        target = f"{schemas[raw.TABLES[table].source]}.{table}"
        typed = None
        for tenant, files in tenants.items():
            if table not in files:
                continue  # an optional table this tenant does not bring
            raw_file = files[table]
            reader = spark.read.format(raw_file.format)
            if raw_file.format == "csv":
                # a quote inside a field is doubled (RFC 4180), as DuckDB and spreadsheets write it
                reader = reader.option("header", "true").option("escape", '"')
            frame = reader.load(str(raw_file.path))
            present = {name.lower() for name in frame.columns}
            tenant_rows = frame.selectExpr(
                f"'{tenant}' as tenant_id",
                *(
                    raw.column_or_default(
                        table, c, TYPES.get(kind, kind), present, f"cast({c} as {TYPES.get(kind, kind)})"
                    )
                    + f" as {c}"
                    for c, kind in columns.items()
                ),
            )
            typed = tenant_rows if typed is None else typed.unionByName(tenant_rows)
        if typed is None:  # no tenant brings this optional table: empty, with its columns typed
            typed_columns = ", ".join(f"{column} {TYPES.get(kind, kind)}" for column, kind in columns.items())
            spark.sql(f"drop table if exists {target}")
            spark.sql(f"create table {target} (tenant_id string, {typed_columns}) using parquet")
            counts[table] = 0
            continue
        typed.write.mode("overwrite").format("parquet").saveAsTable(target)
        counts[table] = spark.table(target).count()
    for name, columns in raw.REFERENCE_LISTS.items():
        typed_columns = ", ".join(f"{column} {TYPES.get(kind, kind)}" for column, kind in columns.items())
        spark.sql(f"drop table if exists {schema}.tenant_{name}")
        spark.sql(f"create table {schema}.tenant_{name} (tenant_id string, {typed_columns}) using parquet")
        for tenant, files in tenants.items():
            path = raw.own_list(files, name)
            if path is not None:
                frame = spark.read.format("csv").option("header", "true").load(str(path))
                casts = [f"cast({c} as {TYPES.get(kind, kind)}) as {c}" for c, kind in columns.items()]
                frame.selectExpr(f"'{tenant}' as tenant_id", *casts).write.insertInto(f"{schema}.tenant_{name}")
    return counts


class Connection:
    """The Spark session shaped like a DuckDB connection: execute() returns what fetchall() and description read."""

    def __init__(self) -> None:
        self.spark = session()
        self.rows: list[Any] = []
        self.description: list[tuple[str]] = []

    def execute(self, query: str, parameters: Any = None, /) -> Connection:
        if parameters:
            raise ValueError("the Spark connection takes no query parameters")
        frame = self.spark.sql(query)
        self.description = [(name,) for name in frame.columns]
        self.rows = [tuple(row) for row in frame.collect()]
        return self

    def fetchall(self) -> list[Any]:
        return self.rows

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        pass
