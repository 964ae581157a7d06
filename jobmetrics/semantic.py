"""The semantic layer for readers: MetricFlow compiles a metric query to SQL, which runs read-only.

`mf query` connects through dbt's profile, which opens the warehouse read-write and so would block a
build; the dashboard's report builder must never take that lock. Here MetricFlow only plans and renders
the SQL (`explain`), through a client that can read and nothing else, and the query runs on the same
read-only connection as every other reader (jobmetrics.warehouse.connect_read_only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlClient, SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer
from metricflow_semantics.errors.error_classes import InformativeUserError
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet

from jobmetrics.warehouse import connect_read_only

NO_BINDS = SqlBindParameterSet()


class ReportFailed(Exception):
    """The report cannot be made; str() says why in one sentence (an unknown metric, a bad filter)."""


class ReadOnlyClient(SqlClient):
    """Enough of a MetricFlow SQL client to plan DuckDB queries; it refuses to run anything."""

    @property
    def sql_engine_type(self) -> SqlEngine:
        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> SqlPlanRenderer:
        return DuckDbSqlPlanRenderer()

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_BINDS) -> MetricFlowDataTable:
        raise ReportFailed("MetricFlow only plans here; the query runs on the read-only connection")

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_BINDS) -> None:
        raise ReportFailed("the report builder never writes")

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = NO_BINDS) -> None:
        raise ReportFailed("the report builder never writes")

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@dataclass(frozen=True)
class Layer:
    """The semantic manifest dbt wrote, and the database name its relations use."""

    engine: MetricFlowEngine
    database: str


@cache
def layer(semantic_manifest: Path, modified: float) -> Layer:
    """MetricFlow over the semantic manifest (cached until the file changes: `modified` is its mtime)."""
    del modified
    text = semantic_manifest.read_text()
    raw = json.loads(text)
    manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=text)
    database = raw["semantic_models"][0]["node_relation"]["database"] if raw["semantic_models"] else "warehouse"
    return Layer(MetricFlowEngine(SemanticManifestLookup(manifest), ReadOnlyClient()), database)


def open_layer(semantic_manifest: Path) -> Layer:
    if not semantic_manifest.exists():
        raise ReportFailed(f"{semantic_manifest} not found; run `make build` first")
    return layer(semantic_manifest, semantic_manifest.stat().st_mtime)


def metric_names(semantic_manifest: Path) -> list[str]:
    return sorted(metric.name for metric in open_layer(semantic_manifest).engine.list_metrics(include_dimensions=False))


def group_by_names(semantic_manifest: Path, metrics: list[str]) -> list[str]:
    """What the chosen metrics can all be grouped by: metric_time at each grain, then their dimensions."""
    engine = open_layer(semantic_manifest).engine
    grains = [f"metric_time__{grain}" for grain in ("day", "week", "month", "quarter", "year")]
    if not metrics:
        return grains
    dimensions = engine.simple_dimensions_for_metrics(metrics)
    named = sorted({dimension.dunder_name for dimension in dimensions if not dimension.name.startswith("metric_time")})
    return grains + named


def compile_sql(semantic_manifest: Path, metrics: list[str], group_by: list[str], where: str = "") -> str:
    """The SQL MetricFlow writes for the query, ordered by what it is grouped by."""
    request = MetricFlowQueryRequest.create(
        metric_names=metrics,
        group_by_names=group_by,
        where_constraints=[where] if where.strip() else None,
        order_by_names=group_by,
    )
    try:
        return open_layer(semantic_manifest).engine.explain(request).sql_statement.sql
    except InformativeUserError as error:  # an unknown metric, a dimension it cannot be grouped by, a bad filter
        raise ReportFailed(" ".join(str(error).split())[:300]) from error


def report(db: Path, semantic_manifest: Path, metrics: list[str], group_by: list[str], where: str = "") -> pd.DataFrame:
    """The metrics grouped as asked, computed from the published warehouse on a read-only connection."""
    if not metrics:
        raise ReportFailed("choose at least one metric")
    sql = compile_sql(semantic_manifest, metrics, group_by, where)
    database = open_layer(semantic_manifest).database
    with connect_read_only(db, alias=database) as con:
        try:
            frame = con.execute(sql).df()
        except duckdb.Error as error:
            raise ReportFailed(str(error).splitlines()[0]) from error
    for column in frame.columns:
        if str(column).startswith("metric_time"):  # a day, week, month, quarter or year: a date, not a time
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame
