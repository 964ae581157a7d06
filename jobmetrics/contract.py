"""The raw-data gate: the five raw files checked against the data contract with Great Expectations, before dbt.

Column names and types come from seeds/_seeds.yml (the declared seed types); the rules below are the
contract of models/staging/_sources.yml. Files are read with DuckDB and checked through GX's pandas
datasource (its SQL datasource has no DuckDB dialect). Writes GX Data Docs and returns, for each
failing expectation, the file, the column and a few offending values.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
import yaml
from great_expectations import expectations as gxe
from great_expectations.data_context.types.base import ProgressBarsConfig

from jobmetrics import paths

RAW_TABLES = ["raw_users", "raw_plans", "raw_subscriptions", "raw_scans", "raw_marketing_spend"]
CHANNELS = ["organic_search", "paid_search", "paid_social", "referral", "content", "partnerships"]
SEGMENTS = ["active_job_seeker", "career_changer", "recent_graduate", "passive_candidate"]
TEXT_SUFFIX = "__text"  # the column as written in the file, beside its typed version
KNOWN_SUFFIX = "__resolves"  # foreign key found in the referenced file

PRIMARY_KEYS = {
    "raw_users": "user_id",
    "raw_plans": "plan_id",
    "raw_subscriptions": "subscription_id",
    "raw_scans": "scan_id",
}
OPTIONAL = {("raw_subscriptions", "ended_at"), ("raw_subscriptions", "end_reason"), ("raw_plans", "plan_name")}
ALLOWED = {
    ("raw_users", "acquisition_channel"): CHANNELS,
    ("raw_users", "segment"): SEGMENTS,
    ("raw_plans", "billing_interval_months"): [1, 3, 12],
    ("raw_subscriptions", "end_reason"): ["cancelled", "payment_failed", "plan_change"],
    ("raw_marketing_spend", "channel"): CHANNELS,
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
TEXT_FORMATS = {
    "bigint": ("regex", r"^-?[0-9]+$", "whole numbers"),
    "integer": ("regex", r"^-?[0-9]+$", "whole numbers"),
    "double": ("regex", r"^-?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$", "numbers"),
    "timestamp": ("strftime", "%Y-%m-%d %H:%M:%S", "timestamps as YYYY-MM-DD HH:MM:SS"),
    "date": ("strftime", "%Y-%m-%d", "dates as YYYY-MM-DD"),
}


class RawFileMissing(Exception):
    pass


@dataclass
class Failure:
    file: str
    column: str
    problem: str
    examples: list[str]
    count: int | None

    def __str__(self) -> str:
        shown = ", ".join(self.examples[:5]) + (" ..." if self.count and self.count > 5 else "")
        counted = f" ({self.count} row{'' if self.count == 1 else 's'})" if self.count is not None else ""
        return f"{self.file}: {self.column}: {self.problem}" + (f": {shown}" if shown else "") + counted


def contract_columns(seeds_yml: Path) -> dict[str, dict[str, str]]:
    """Column -> declared type for each raw table, from the seeds' column_types."""
    seeds = yaml.safe_load(seeds_yml.read_text())["seeds"]
    return {s["name"]: s["config"]["column_types"] for s in seeds if s["name"] in RAW_TABLES}


def read_raw(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """The file as text (exactly what was written), plus a typed, tidied copy of each contract column."""
    if not path.exists():
        raise RawFileMissing(f"{path} not found")
    with duckdb.connect() as con:
        text = con.execute("select * from read_csv(?, header = true, all_varchar = true)", [str(path)]).df()
    text.columns = [c.strip().lower() for c in text.columns]
    frame = pd.DataFrame(index=text.index)
    for column, kind in columns.items():
        if column not in text.columns:
            continue
        raw = text[column].astype(object).where(text[column].notna(), None)
        frame[column + TEXT_SUFFIX] = raw
        if kind in ("bigint", "integer", "double"):
            frame[column] = pd.to_numeric(raw, errors="coerce")
        elif kind in ("timestamp", "date"):
            fmt = TEXT_FORMATS[kind][1]
            frame[column] = pd.to_datetime(raw, format=fmt, errors="coerce")
        else:
            frame[column] = raw.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    return frame


def add_cross_file_columns(frames: dict[str, pd.DataFrame]) -> None:
    """Foreign keys and the end_reason rule span files or columns: precompute them as boolean columns."""
    for (table, column), (parent, parent_column) in FOREIGN_KEYS.items():
        child, reference = frames[table], frames[parent]
        if column in child.columns and parent_column in reference.columns:
            child[column + KNOWN_SUFFIX] = child[column].isin(reference[parent_column].dropna()) | child[column].isna()
    subs = frames["raw_subscriptions"]
    if {"ended_at", "end_reason"} <= set(subs.columns):
        subs["end_reason_set_when_ended"] = subs["ended_at__text"].isna() == subs["end_reason"].isna()


def suite_for(table: str, columns: dict[str, str], frame: pd.DataFrame) -> list[Any]:
    present = [c for c in columns if c in frame.columns]
    suite = [gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False)]
    for column in present:
        kind = columns[column]
        if (table, column) not in OPTIONAL:
            suite.append(gxe.ExpectColumnValuesToNotBeNull(column=column + TEXT_SUFFIX))
        how, pattern, _ = TEXT_FORMATS.get(kind, (None, None, None))
        if how == "regex":
            suite.append(gxe.ExpectColumnValuesToMatchRegex(column=column + TEXT_SUFFIX, regex=pattern))
        elif how == "strftime":
            suite.append(
                gxe.ExpectColumnValuesToMatchStrftimeFormat(column=column + TEXT_SUFFIX, strftime_format=pattern)
            )
        if PRIMARY_KEYS.get(table) == column:
            suite.append(gxe.ExpectColumnValuesToBeUnique(column=column))
        if (table, column) in ALLOWED:
            suite.append(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=ALLOWED[(table, column)]))
        if (table, column) in RANGES:
            low, high, strict = RANGES[(table, column)]
            suite.append(
                gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, strict_min=strict)
            )
        if column + KNOWN_SUFFIX in frame.columns:
            suite.append(gxe.ExpectColumnValuesToBeInSet(column=column + KNOWN_SUFFIX, value_set=[True]))
    if table == "raw_users" and "country" in frame.columns:
        suite.append(gxe.ExpectColumnValuesToMatchRegex(column="country", regex=r"^[a-z]{2}$"))
    if table == "raw_subscriptions" and {"started_at", "ended_at"} <= set(frame.columns):
        suite.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="ended_at", column_B="started_at", or_equal=True, ignore_row_if="either_value_is_missing"
            )
        )
    if "end_reason_set_when_ended" in frame.columns:
        suite.append(gxe.ExpectColumnValuesToBeInSet(column="end_reason_set_when_ended", value_set=[True]))
    if table == "raw_marketing_spend" and {"spend_date", "channel"} <= set(frame.columns):
        suite.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=["spend_date", "channel"]))
    return suite


def describe(table: str, columns: dict[str, str], frame: pd.DataFrame, result: Any) -> Failure:
    """Turn one failed GX expectation result into the file, column, problem and offending values."""
    config, details = result.expectation_config, result.result
    kwargs, kind = config.kwargs, config.type
    column = kwargs.get("column") or ""
    file = f"{table}.csv"
    examples = [repr(v) if isinstance(v, str) else str(v) for v in details.get("partial_unexpected_list") or []]
    examples = list(dict.fromkeys(examples))
    count = details.get("unexpected_count")
    if kind == "expect_table_columns_to_match_set":
        missing = [c for c in columns if c not in frame.columns]
        return Failure(
            file,
            ", ".join(missing),
            "missing column(s); the header has "
            + ", ".join(c.removesuffix(TEXT_SUFFIX) for c in frame.columns if c.endswith(TEXT_SUFFIX)),
            [],
            None,
        )
    if column.endswith(KNOWN_SUFFIX):
        key = column.removesuffix(KNOWN_SUFFIX)
        parent, parent_column = FOREIGN_KEYS[(table, key)]
        bad = frame.loc[~frame[column], key].drop_duplicates().head(5)
        return Failure(
            file,
            key,
            f"values not found in {parent}.csv {parent_column}",
            [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in bad],
            count,
        )
    if column.endswith(TEXT_SUFFIX):
        base = column.removesuffix(TEXT_SUFFIX)
        problem = (
            "empty values"
            if kind == "expect_column_values_to_not_be_null"
            else f"values that are not {TEXT_FORMATS[columns[base]][2]}"
        )
        return Failure(file, base, problem, examples, count)
    if column == "end_reason_set_when_ended":
        bad = frame.loc[~frame[column], ["subscription_id__text", "ended_at__text", "end_reason"]].head(5)
        rows = [f"subscription_id={r[0]} ended_at={r[1]} end_reason={r[2]}" for r in bad.itertuples(index=False)]
        return Failure(file, "end_reason", "must be set exactly when ended_at is set", rows, count)
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        bad = frame.loc[
            frame["ended_at"] < frame["started_at"], ["subscription_id__text", "started_at__text", "ended_at__text"]
        ].head(5)
        rows = [f"subscription_id={r[0]} started_at={r[1]} ended_at={r[2]}" for r in bad.itertuples(index=False)]
        return Failure(file, "ended_at", "before started_at", rows, count)
    if kind == "expect_compound_columns_to_be_unique":
        return Failure(file, ", ".join(kwargs["column_list"]), "duplicate combinations", examples, count)
    problems = {
        "expect_column_values_to_be_unique": "duplicate values",
        "expect_column_values_to_be_in_set": f"values outside {kwargs.get('value_set')}",
        "expect_column_values_to_be_between": "values outside "
        + f"{'(' if kwargs.get('strict_min') else '['}{kwargs.get('min_value')}, {kwargs.get('max_value') or 'inf'}]",
        "expect_column_values_to_match_regex": "values not matching the contract's format",
    }
    return Failure(file, column, problems.get(kind, kind), examples, count)


def validate(seeds_dir: Path, docs_dir: Path | None) -> list[Failure]:
    """Run every table's expectations; return the failures (empty when the files meet the contract)."""
    contract = contract_columns(paths.SEEDS_DIR / "_seeds.yml")
    frames = {table: read_raw(seeds_dir / f"{table}.csv", columns) for table, columns in contract.items()}
    add_cross_file_columns(frames)
    if docs_dir is not None:
        shutil.rmtree(docs_dir / "gx", ignore_errors=True)  # GX's own folder only: last run's docs
        context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    else:
        context = gx.get_context(mode="ephemeral")
    # per-expectation progress bars would drown the report
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("raw_files")
    failures: list[Failure] = []
    for table, columns in contract.items():
        batch = source.add_dataframe_asset(table).add_batch_definition_whole_dataframe("whole_file")
        suite = context.suites.add(
            gx.ExpectationSuite(name=table, expectations=suite_for(table, columns, frames[table]))
        )
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
        actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs")] if docs_dir is not None else []
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=table, validation_definitions=[definition], actions=actions, result_format="SUMMARY")
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frames[table]})
        for validation in outcome.run_results.values():
            failures += [describe(table, columns, frames[table], r) for r in validation.results if not r.success]
    return failures
