"""The raw-data gate: the five raw files checked against the data contract before anything is built.

DuckDB reads each file once and reduces it to its distinct check outcomes with row counts (a few
hundred rows, whatever the file's size). Great Expectations validates those small frames with the
contract's expectations and writes Data Docs; DuckDB then fetches a few offending values for each
failure. Column types come from models/staging/_sources.yml; the channel and segment lists from the
reference files in seeds/.
"""

from __future__ import annotations

import csv
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

# GX probes for pyspark (installed for the Spark target), whose import warns about pandas 3; the gate
# gives GX pandas frames only, so the warning says nothing about this run.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
import great_expectations as gx  # noqa: E402
from great_expectations import expectations as gxe  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from jobmetrics import paths  # noqa: E402
from jobmetrics.raw import RawFile, contract  # noqa: E402

PRIMARY_KEYS = {
    "raw_users": "user_id",
    "raw_plans": "plan_id",
    "raw_subscriptions": "subscription_id",
    "raw_scans": "scan_id",
}
OPTIONAL = {("raw_subscriptions", "ended_at"), ("raw_subscriptions", "end_reason"), ("raw_plans", "plan_name")}
ALLOWED = {
    ("raw_plans", "billing_interval_months"): ["1", "3", "12"],
    ("raw_subscriptions", "end_reason"): ["cancelled", "payment_failed", "plan_change"],
}
REFERENCE_LISTS = {  # (table, column): (reference file, its column)
    ("raw_users", "acquisition_channel"): ("acquisition_channels.csv", "acquisition_channel"),
    ("raw_users", "segment"): ("segments.csv", "segment"),
    ("raw_marketing_spend", "channel"): ("acquisition_channels.csv", "acquisition_channel"),
}
RANGES = {  # (min, max, strictly above min)
    ("raw_scans", "match_rate"): (0, 100, False),
    ("raw_plans", "price_usd"): (0, None, True),
    ("raw_marketing_spend", "spend_usd"): (0, None, False),
}
FOREIGN_KEYS = {
    ("raw_subscriptions", "user_id"): ("raw_users", "user_id"),
    ("raw_subscriptions", "plan_id"): ("raw_plans", "plan_id"),
    ("raw_scans", "user_id"): ("raw_users", "user_id"),
}
TEXT_FORMATS = {  # how a CSV writes each type: (SQL test of the text `v`, words for the report)
    "bigint": ("regexp_full_match(v, '-?[0-9]+')", "whole numbers"),
    "integer": ("regexp_full_match(v, '-?[0-9]+')", "whole numbers"),
    "double": ("regexp_full_match(v, '-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?')", "numbers"),
    "timestamp": ("try_strptime(v, '%Y-%m-%d %H:%M:%S') is not null", "timestamps as YYYY-MM-DD HH:MM:SS"),
    "date": ("try_strptime(v, '%Y-%m-%d') is not null", "dates as YYYY-MM-DD"),
}
PARQUET_TYPES = {  # DuckDB types a Parquet column may have for each contract type
    "bigint": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"},
    "integer": {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"},
    "double": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"},
    "timestamp": {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE"},
    "date": {"DATE"},
    "varchar": {"VARCHAR"},
}
NUMERIC = {"bigint", "integer", "double"}


class RawFileUnreadable(Exception):
    """DuckDB cannot read a raw file at all; str() names it."""


@dataclass
class Failure:
    file: str
    column: str
    problem: str
    examples: list[str]
    count: int | None

    def __str__(self) -> str:
        shown = ", ".join(self.examples[:5]) + (" ..." if self.count and self.count > 5 else "")
        counted = f" ({self.count:,} row{'' if self.count == 1 else 's'})" if self.count is not None else ""
        return f"{self.file}: {self.column}: {self.problem}" + (f": {shown}" if shown else "") + counted


@dataclass
class Rule:
    """A row-level rule: `ok` is SQL over the file's columns, true where the row keeps it."""

    flag: str
    column: str
    ok: str
    problem: str
    shown: str  # SQL for what the report shows of an offending row


@dataclass
class ValueList:
    """The tidied values of a column must come from a list; `reference` names the file to edit."""

    column: str
    value: str
    allowed: list[str]
    reference: str | None = None

    @property
    def outcome(self) -> str:
        """Its column in the reduced frame (the raw column keeps its own name beside it)."""
        return f"{self.column}__value"


@dataclass
class TableChecks:
    raw_file: RawFile
    columns: dict[str, str]
    present: list[str]
    rules: list[Rule] = field(default_factory=list)
    lists: list[ValueList] = field(default_factory=list)


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def typed(column: str, kind: str) -> str:
    return f"try_cast({quoted(column)} as {kind})"


def tidy(column: str) -> str:
    return f"lower(trim(cast({quoted(column)} as varchar)))"


def reference_values(path: Path, column: str) -> list[str]:
    with path.open(newline="") as handle:
        return [row[column].strip().lower() for row in csv.DictReader(handle)]


def shown_value(column: str, kind: str) -> str:
    """Numbers as written, text in quotes, as the report has always shown offending values."""
    text = f"cast({quoted(column)} as varchar)"
    return text if kind in NUMERIC else f"'''' || {text} || ''''"


def column_rules(table: str, column: str, kind: str, is_text: bool, file_names: dict[str, str]) -> list[Rule]:
    rules = []
    shown = shown_value(column, kind)
    if (table, column) not in OPTIONAL:
        rules.append(Rule(f"{column}__not_empty", column, f"{quoted(column)} is not null", "empty values", "'(empty)'"))
    if is_text and kind in TEXT_FORMATS:
        test, words = TEXT_FORMATS[kind]
        ok = f"{quoted(column)} is null or " + test.replace("v", quoted(column), 1)
        rules.append(Rule(f"{column}__format", column, ok, f"values that are not {words}", shown))
    if PRIMARY_KEYS.get(table) == column:
        key = typed(column, kind) if kind in NUMERIC else f"trim({quoted(column)})"
        ok = f"{quoted(column)} is null or count(*) over (partition by {key}) = 1"
        rules.append(Rule(f"{column}__unique", column, ok, "duplicate values", shown))
    if (table, column) in RANGES:
        low, high, strict = RANGES[(table, column)]
        value = typed(column, "double")
        bounds = [f"{value} {'>' if strict else '>='} {low}"] + ([f"{value} <= {high}"] if high is not None else [])
        words = f"values outside {'(' if strict else '['}{low}, {high if high is not None else 'inf'}]"
        rules.append(Rule(f"{column}__range", column, f"{value} is null or ({' and '.join(bounds)})", words, shown))
    if (table, column) in FOREIGN_KEYS:
        parent, parent_column = FOREIGN_KEYS[(table, column)]
        if kind in NUMERIC:
            child_key, parent_key = typed(column, kind), typed(parent_column, kind)
        else:
            child_key, parent_key = f"trim({quoted(column)})", f"trim({quoted(parent_column)})"
        ok = f"{child_key} is null or {child_key} in (select {parent_key} from {parent})"
        words = f"values not found in {file_names[parent]} {parent_column}"
        rules.append(Rule(f"{column}__known", column, ok, words, shown))
    return rules


def table_rules(table: str, present: list[str]) -> list[Rule]:
    """Rules that span columns."""
    rules = []
    if table == "raw_users" and "country" in present:
        ok = "country is null or regexp_full_match(lower(trim(country)), '[a-z]{2}')"
        rules.append(
            Rule(
                "country__code",
                "country",
                ok,
                "values that are not two-letter country codes",
                shown_value("country", "varchar"),
            )
        )
    if table == "raw_subscriptions" and {"subscription_id", "started_at", "ended_at"} <= set(present):
        started, ended = typed("started_at", "timestamp"), typed("ended_at", "timestamp")
        rules.append(
            Rule(
                "ended_at__after_start",
                "ended_at",
                f"{started} is null or {ended} is null or {ended} >= {started}",
                "before started_at",
                "'subscription_id=' || subscription_id || ' started_at=' || started_at || ' ended_at=' || ended_at",
            )
        )
    if table == "raw_subscriptions" and {"subscription_id", "ended_at", "end_reason"} <= set(present):
        rules.append(
            Rule(
                "end_reason__when_ended",
                "end_reason",
                "(ended_at is null) = (nullif(trim(end_reason), '') is null)",
                "must be set exactly when ended_at is set",
                "'subscription_id=' || subscription_id || ' ended_at=' || coalesce(cast(ended_at as varchar), 'None')"
                " || ' end_reason=' || coalesce(end_reason, 'None')",
            )
        )
    if table == "raw_marketing_spend" and {"spend_date", "channel"} <= set(present):
        key = f"{typed('spend_date', 'date')}, {tidy('channel')}"
        rules.append(
            Rule(
                "spend_date_channel__unique",
                "spend_date, channel",
                f"count(*) over (partition by {key}) = 1",
                "duplicate combinations",
                "cast(spend_date as varchar) || ' ' || channel",
            )
        )
    return rules


def checks_for(
    con: duckdb.DuckDBPyConnection, raw_file: RawFile, file_names: dict[str, str], reference_dir: Path
) -> TableChecks:
    table, columns = raw_file.table, contract()[raw_file.table]
    header = [name.lower() for name in con.table(table).columns]
    checks = TableChecks(raw_file, columns, [c for c in columns if c in header])
    is_text = raw_file.format == "csv"
    for column in checks.present:
        checks.rules += column_rules(table, column, columns[column], is_text, file_names)
        if (table, column) in ALLOWED:
            value = f"cast({typed(column, columns[column])} as varchar)" if columns[column] in NUMERIC else tidy(column)
            checks.lists.append(ValueList(column, value, ALLOWED[(table, column)]))
        if (table, column) in REFERENCE_LISTS:
            file_name, reference_column = REFERENCE_LISTS[(table, column)]
            allowed = reference_values(reference_dir / file_name, reference_column)
            checks.lists.append(ValueList(column, tidy(column), allowed, f"seeds/{file_name}"))
    checks.rules += table_rules(table, checks.present)
    return checks


def type_failures(con: duckdb.DuckDBPyConnection, checks: TableChecks) -> list[Failure]:
    """A Parquet column must already have its contract type (a CSV's text is checked value by value)."""
    if checks.raw_file.format != "parquet":
        return []
    found = {row[0].lower(): row[1] for row in con.execute(f"describe {checks.raw_file.table}").fetchall()}
    failures = []
    for column in checks.present:
        kind = checks.columns[column]
        actual = found[column].split("(")[0].upper()
        if actual not in PARQUET_TYPES[kind]:
            failures.append(
                Failure(
                    checks.raw_file.name,
                    column,
                    f"has Parquet type {found[column]}; the contract needs {kind.upper()}",
                    [],
                    None,
                )
            )
    return failures


def reduce(con: duckdb.DuckDBPyConnection, checks: TableChecks) -> pd.DataFrame:
    """The file as its distinct check outcomes and listed values, each with its number of rows."""
    outcomes = [f"({rule.ok}) as {quoted(rule.flag)}" for rule in checks.rules]
    outcomes += [f"{values.value} as {quoted(values.outcome)}" for values in checks.lists]
    con.execute(
        f"create or replace temp view checked_{checks.raw_file.table} as "
        f"select *, {', '.join(outcomes) or 'true as nothing_to_check'} from {checks.raw_file.table}"
    )
    names = [quoted(rule.flag) for rule in checks.rules] + [quoted(values.outcome) for values in checks.lists]
    grouped = ", ".join(names) or "nothing_to_check"
    return con.execute(
        f"select {grouped}, count(*) as n_rows from checked_{checks.raw_file.table} group by {grouped}"
    ).df()


def expectations(checks: TableChecks) -> list[Any]:
    suite: list[Any] = [gxe.ExpectColumnValuesToBeInSet(column=rule.flag, value_set=[True]) for rule in checks.rules]
    suite += [
        gxe.ExpectColumnValuesToBeInSet(column=values.outcome, value_set=values.allowed) for values in checks.lists
    ]
    return suite


def describe(con: duckdb.DuckDBPyConnection, checks: TableChecks, frame: pd.DataFrame, column: str) -> list[Failure]:
    """The failures behind one failed expectation, with row counts and offending values."""
    file, table = checks.raw_file.name, checks.raw_file.table
    rule = next((r for r in checks.rules if r.flag == column), None)
    if rule is not None:
        count = int(frame.loc[frame[column] != True, "n_rows"].sum())  # noqa: E712 (a pandas mask)
        rows = con.execute(
            f"select distinct {rule.shown} as shown from checked_{table} "
            f"where not coalesce({quoted(rule.flag)}, false) limit 5"
        ).fetchall()
        return [Failure(file, rule.column, rule.problem, [str(row[0]) for row in rows], count)]
    values = next(v for v in checks.lists if v.outcome == column)
    outside = frame[frame[column].notna() & ~frame[column].isin(values.allowed)]
    per_value = outside.groupby(column)["n_rows"].sum().sort_values(ascending=False)
    if values.reference is None:
        return [
            Failure(
                file,
                values.column,
                f"values outside {values.allowed}",
                [repr(v) for v in per_value.index],
                int(per_value.sum()),
            )
        ]
    return [
        Failure(file, values.column, f"{value!r} is not in {values.reference}; add it there to use it", [], int(rows))
        for value, rows in per_value.items()
    ]


def open_context(docs_dir: Path | None) -> Any:
    if docs_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        shutil.rmtree(docs_dir / "gx", ignore_errors=True)  # GX's own folder only: last run's docs
        context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # they would drown the report
    return context


def register(con: duckdb.DuckDBPyConnection, files: dict[str, RawFile]) -> None:
    """Each file as a view named after its table; DuckDB reads it where it lies."""
    for table, raw_file in files.items():
        try:
            if raw_file.format == "parquet":
                relation = con.read_parquet(str(raw_file.path))
            else:
                relation = con.read_csv(str(raw_file.path), header=True, all_varchar=True)
            relation.create_view(table)
        except duckdb.Error as error:
            raise RawFileUnreadable(f"cannot read {raw_file.path}: {str(error).splitlines()[0]}") from error


def validate(files: dict[str, RawFile], docs_dir: Path | None, reference_dir: Path = paths.SEEDS_DIR) -> list[Failure]:
    """Check every file against the contract; the failures (empty when the files meet it).

    reference_dir holds the channel and segment lists (the project's seeds/ unless a test says otherwise).
    """
    file_names = {table: raw_file.name for table, raw_file in files.items()}
    with duckdb.connect(config=paths.duckdb_settings()) as con:
        register(con, files)
        context = open_context(docs_dir)
        source = context.data_sources.add_pandas("raw_files")
        failures: list[Failure] = []
        for table, raw_file in files.items():
            checks = checks_for(con, raw_file, file_names, reference_dir)
            missing = [c for c in checks.columns if c not in checks.present]
            if missing:
                header = con.table(table).columns
                failures.append(
                    Failure(
                        raw_file.name,
                        ", ".join(missing),
                        "missing column(s); the header has " + ", ".join(header),
                        [],
                        None,
                    )
                )
            wrong_types = type_failures(con, checks)
            failures += wrong_types
            if wrong_types:
                continue
            try:
                frame = reduce(con, checks)
            except duckdb.Error as error:
                raise RawFileUnreadable(f"cannot read {raw_file.path}: {str(error).splitlines()[0]}") from error
            batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("check_outcomes")
            suite = context.suites.add(gx.ExpectationSuite(name=table, expectations=expectations(checks)))
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=table, data=batch, suite=suite)
            )
            actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if docs_dir is not None else []
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(name=table, validation_definitions=[definition], actions=actions, result_format="SUMMARY")
            )
            outcome = checkpoint.run(batch_parameters={"dataframe": frame})
            for validation in outcome.run_results.values():
                for result in validation.results:
                    if not result.success:
                        failures += describe(con, checks, frame, result.expectation_config.kwargs["column"])
        return failures
