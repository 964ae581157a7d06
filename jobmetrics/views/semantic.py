"""The semantic layer for readers: MetricFlow compiles a metric query to SQL, which runs on the guarded path.

`mf query` connects through dbt's profile, which opens the warehouse read-write and so would block a
build; the dashboard's report builder must never take that lock. Here MetricFlow only plans and renders
the SQL (`explain`), through a client that can read and nothing else, and the query runs as every query on a
reader's behalf runs (jobmetrics.guarded). A filter is a dimension, an operator and values chosen from the
dimension's own values: the values are bound as parameters, never written into the SQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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

from jobmetrics import guarded

NO_BINDS = SqlBindParameterSet()
# the filter's operators: the name in a link, the words on screen, the SQL around the bound values
OPERATORS = {"in": ("is one of", "IN"), "not_in": ("is not one of", "NOT IN")}
REPORT_ROWS = 5000
VALUES_SHOWN = 500
DIMENSION_NAME = re.compile(r"[a-z][a-z0-9_]*")
# the one free-text filter form links made before filters were chosen: {{ Dimension('x') }} = 'a' (or IN ('a', 'b'))
OLD_WHERE = re.compile(
    r"""\s*\{\{\s*Dimension\(\s*'(?P<dimension>[a-z0-9_]+)'\s*\)\s*\}\}\s*"""
    r"""(?P<operator>=|!=|<>|in|not\s+in)\s*\(?(?P<values>\s*'[^']*'(?:\s*,\s*'[^']*')*)\s*\)?\s*""",
    re.IGNORECASE,
)


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


@dataclass(frozen=True)
class Filter:
    """Keep the rows whose `dimension` is (operator `in`) or is not (`not_in`) one of `values`."""

    dimension: str
    operator: str
    values: tuple[str, ...]

    def link(self) -> str:
        """The filter as a link writes it: `dimension:operator:value,value`."""
        return f"{self.dimension}:{self.operator}:{','.join(self.values)}"

    def words(self) -> str:
        return f"{self.dimension} {OPERATORS[self.operator][0]} {', '.join(self.values)}"


def parse_filter(text: str) -> Filter:
    """A filter from a link (`user__segment:in:student,career_changer`, or the older
    `{{ Dimension('user__segment') }} = 'student'`); ReportFailed when it is neither."""
    old = OLD_WHERE.fullmatch(text)
    if old:
        operator = "not_in" if old["operator"].lower().replace(" ", "") in ("!=", "<>", "notin") else "in"
        return Filter(old["dimension"], operator, tuple(re.findall(r"'([^']*)'", old["values"])))
    dimension, _, rest = text.partition(":")
    operator, _, listed = rest.partition(":")
    if not DIMENSION_NAME.fullmatch(dimension) or operator not in OPERATORS or not listed:
        raise ReportFailed(
            f"the filter {text[:80]!r} is not a dimension, an operator and values; choose one in the form"
        )
    return Filter(dimension, operator, tuple(value for value in listed.split(",") if value))


def group_by_names(semantic_manifest: Path, metrics: list[str]) -> list[str]:
    """What the chosen metrics can all be grouped by: metric_time at each grain, then their dimensions."""
    engine = open_layer(semantic_manifest).engine
    grains = [f"metric_time__{grain}" for grain in ("day", "week", "month", "quarter", "year")]
    if not metrics:
        return grains
    dimensions = engine.simple_dimensions_for_metrics(metrics)
    named = sorted({dimension.dunder_name for dimension in dimensions if not dimension.name.startswith("metric_time")})
    return grains + named


def filter_dimensions(semantic_manifest: Path, metrics: list[str]) -> list[str]:
    """The categorical dimensions the chosen metrics can all be filtered on."""
    if not metrics:
        return []
    dimensions = open_layer(semantic_manifest).engine.simple_dimensions_for_metrics(metrics)
    return sorted({dimension.dunder_name for dimension in dimensions if dimension.type.value == "categorical"})


def known_dimension(semantic_manifest: Path, metrics: list[str], dimension: str) -> None:
    if dimension not in filter_dimensions(semantic_manifest, metrics):
        raise ReportFailed(f"{dimension!r} is not a dimension these metrics can be filtered on")


def dimension_values(db: Path, semantic_manifest: Path, metrics: list[str], dimension: str) -> list[Any]:
    """The values `dimension` takes for the chosen metrics, as the warehouse holds them (the first 500)."""
    known_dimension(semantic_manifest, metrics, dimension)
    layer_ = open_layer(semantic_manifest)
    try:
        sql = layer_.engine.explain_get_dimension_values(metric_names=metrics, get_group_by_values=dimension)
    except InformativeUserError as error:
        raise ReportFailed(" ".join(str(error).split())[:300]) from error
    try:
        result = guarded.query(db, sql.sql_statement.sql, row_limit=VALUES_SHOWN, alias=layer_.database)
    except guarded.QueryRefused as error:
        raise ReportFailed(str(error)) from error
    return sorted((row[0] for row in result.rows if row[0] is not None), key=str)


def where_clauses(filters: Sequence[Filter]) -> list[str]:
    """MetricFlow's where constraints for the filters, each value a numbered parameter ($1, $2, ...)."""
    clauses, number = [], 1
    for chosen in filters:
        if not DIMENSION_NAME.fullmatch(chosen.dimension) or chosen.operator not in OPERATORS or not chosen.values:
            raise ReportFailed(f"the filter on {chosen.dimension!r} needs an operator and at least one value")
        marks = ", ".join(f"${number + index}" for index in range(len(chosen.values)))
        clauses.append(f"{{{{ Dimension('{chosen.dimension}') }}}} {OPERATORS[chosen.operator][1]} ({marks})")
        number += len(chosen.values)
    return clauses


def compile_sql(
    semantic_manifest: Path, metrics: list[str], group_by: list[str], filters: Sequence[Filter] = ()
) -> str:
    """The SQL MetricFlow writes for the query, ordered by what it is grouped by; the filters' values are
    parameters, bound when it runs."""
    for chosen in filters:
        known_dimension(semantic_manifest, metrics, chosen.dimension)
    request = MetricFlowQueryRequest.create(
        metric_names=metrics,
        group_by_names=group_by,
        where_constraints=where_clauses(filters) or None,
        order_by_names=group_by,
    )
    try:
        return open_layer(semantic_manifest).engine.explain(request).sql_statement.sql
    except InformativeUserError as error:  # an unknown metric, a dimension it cannot be grouped by
        raise ReportFailed(" ".join(str(error).split())[:300]) from error


def bound_values(db: Path, semantic_manifest: Path, metrics: list[str], chosen: Filter) -> list[Any]:
    """The filter's values as the warehouse holds them (a link carries text; a dimension may be a boolean)."""
    held = {str(value): value for value in dimension_values(db, semantic_manifest, metrics, chosen.dimension)}
    return [held.get(value, value) for value in chosen.values]


def report(
    db: Path, semantic_manifest: Path, metrics: list[str], group_by: list[str], filters: Sequence[Filter] = ()
) -> pd.DataFrame:
    """The metrics grouped and filtered as asked, computed from the published warehouse on the guarded path."""
    if not metrics:
        raise ReportFailed("choose at least one metric")
    sql = compile_sql(semantic_manifest, metrics, group_by, filters)
    params = [value for chosen in filters for value in bound_values(db, semantic_manifest, metrics, chosen)]
    try:
        frame, truncated = guarded.frame(
            db, sql, params, row_limit=REPORT_ROWS, alias=open_layer(semantic_manifest).database
        )
    except guarded.QueryRefused as error:
        raise ReportFailed(str(error)) from error
    if truncated:
        raise ReportFailed(f"the report has more than {REPORT_ROWS:,} rows; group by a coarser grain or filter it")
    for column in frame.columns:
        if str(column).startswith("metric_time"):  # a day, week, month, quarter or year: a date, not a time
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame
