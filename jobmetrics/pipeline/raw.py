"""The raw data: where the five raw files are, what the contract says they hold, and loading them.

A raw folder holds either the five files (one tenant, `default`) or one folder per tenant, named by its
tenant id, each with the five files. Files are read by DuckDB itself (read_csv, read_parquet), so no row
ever passes through Python.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from jobmetrics import paths
from jobmetrics.tenants import DEFAULT_TENANT, TENANT_NAME

SOURCES_YML = paths.PROJECT_ROOT / "models" / "staging" / "_sources.yml"
# The dbt sources that make the raw contract: the project's own tables, and Stripe's as Fivetran syncs them
# (files in the folder stripe/ beside the raw files, loaded into the schema of that name).
CONTRACT_SOURCES = ("raw", "stripe")
# A company's billing comes in one of two forms: the project's own (raw_plans and raw_subscriptions) or Stripe's.
BILLING_GROUPS = ("own_billing", "stripe")


@dataclass(frozen=True)
class ContractTable:
    """A table of the raw contract: its source, and the group of optional tables it is brought with (if any)."""

    name: str
    source: str
    group: str | None
    declared: dict[str, Any] = field(compare=False, repr=False)

    @property
    def stem(self) -> str:
        """Its file's path in a raw folder, without the extension."""
        return self.name if self.source == "raw" else f"{self.source}/{self.name}"


def contract_tables() -> list[ContractTable]:
    sources = yaml.safe_load(SOURCES_YML.read_text())["sources"]
    found = []
    for source in sources:
        if source["name"] not in CONTRACT_SOURCES:
            continue
        source_group = source.get("config", {}).get("meta", {}).get("optional")
        for table in source["tables"]:
            group = table.get("config", {}).get("meta", {}).get("optional", source_group)
            found.append(ContractTable(table["name"], source["name"], group, table))
    return found


TABLES = {table.name: table for table in contract_tables()}
# The tables every company brings, and those brought in groups or left out (experiments, billing, rates).
RAW_TABLES = [name for name, table in TABLES.items() if table.group is None]
OPTIONAL_TABLES = [name for name, table in TABLES.items() if table.group is not None]
GROUPS = {
    table.group: [t for t in TABLES if TABLES[t].group == table.group] for table in TABLES.values() if table.group
}
FORMATS = ("csv", "parquet")
# A tenant's folder may hold its own channel and segment lists, in the form of the project's seeds; a tenant
# without one uses seeds/. Loaded as <schema>.tenant_<list> (tenant_id first) for staging to choose from.
REFERENCE_LISTS = {
    "acquisition_channels": {"acquisition_channel": "varchar", "is_paid": "boolean"},
    "segments": {"segment": "varchar"},
}


class RawFilesMissing(Exception):
    """A raw table has no file, or two; str() names them and the folder."""


@dataclass(frozen=True)
class RawFile:
    table: str
    path: Path

    @property
    def format(self) -> str:
        return self.path.suffix.lstrip(".").lower()

    @property
    def name(self) -> str:
        """The file as a report names it: stripe/invoice.csv for Stripe's tables."""
        return f"{TABLES[self.table].source}/{self.path.name}" if TABLES[self.table].source != "raw" else self.path.name

    def reader(self) -> str:
        """A DuckDB table function reading the file; its path is the query's first parameter.

        A CSV is read exactly as written (every column text): the gate checks the text and the load
        casts it, so nothing depends on type sniffing. A Parquet file keeps its own types.
        """
        if self.format == "parquet":
            return "read_parquet(?)"
        return "read_csv(?, header = true, all_varchar = true)"


def find_raw_files(folder: Path) -> dict[str, RawFile]:
    """Each raw table's file in the folder: raw_<table>.csv or raw_<table>.parquet, exactly one of them (or
    none of an optional table)."""
    if not folder.is_dir():
        raise RawFilesMissing(f"{folder} is not a folder; set JOBMETRICS_RAW_DIR to the folder with the raw files")
    found: dict[str, RawFile] = {}
    problems = []
    for table in RAW_TABLES + OPTIONAL_TABLES:
        stem = TABLES[table].stem
        candidates = [folder / f"{stem}.{ext}" for ext in FORMATS if (folder / f"{stem}.{ext}").exists()]
        if not candidates and table in OPTIONAL_TABLES:
            continue
        if not candidates:
            problems.append(f"{stem}.csv or {stem}.parquet is missing")
        elif len(candidates) > 1:
            problems.append(f"both {stem}.{FORMATS[0]} and {stem}.{FORMATS[1]} exist; keep one")
        else:
            found[table] = RawFile(table, candidates[0])
    for tables in GROUPS.values():
        brought = [table for table in tables if table in found]
        if brought and len(brought) < len(tables):
            absent = TABLES[next(table for table in tables if table not in found)].stem
            problems.append(f"{found[brought[0]].name} needs {absent}.csv or {absent}.parquet beside it")
    billing = [group for group in BILLING_GROUPS if any(table in found for table in GROUPS[group])]
    if len(billing) == 2:
        problems.append("both raw_plans/raw_subscriptions and a stripe/ folder are here; keep one form of billing")
    elif not billing:
        problems.append(
            "no billing: raw_plans.csv and raw_subscriptions.csv (or .parquet) are missing, and there is no stripe/ "
            "folder with Stripe's tables"
        )
    if problems:
        raise RawFilesMissing(f"in {folder}: " + "; ".join(problems))
    return found


def find_tenants(folder: Path) -> dict[str, dict[str, RawFile]]:
    """Each tenant's raw files: the folder's own five files as tenant `default`, or else one tenant per
    subfolder, named by it. Hidden folders are ignored; any other name that is not a tenant id is refused."""
    if not folder.is_dir() or any((folder / f"{table}.{ext}").exists() for table in RAW_TABLES for ext in FORMATS):
        return {DEFAULT_TENANT: find_raw_files(folder)}
    subfolders = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not subfolders:
        return {DEFAULT_TENANT: find_raw_files(folder)}  # says which files are missing
    refused = [path.name for path in subfolders if not TENANT_NAME.fullmatch(path.name)]
    if refused:
        raise RawFilesMissing(
            f"in {folder}: {', '.join(repr(name) for name in refused)} cannot be a tenant: name each tenant's folder "
            "with lower-case letters, digits, _ and - (starting with a letter or digit, at most 63 characters)"
        )
    return {path.name: find_raw_files(path) for path in subfolders}


@dataclass(frozen=True)
class PlausibleDates:
    """The window every raw timestamp and date must lie in: from `earliest` to `future_days` after the build's
    day (dbt's vars earliest_plausible_date and future_tolerance_days)."""

    earliest: str
    future_days: int

    stripe_user_id_key: str = "user_id"
    reporting_currency: str = "USD"

    def as_vars(self) -> dict[str, Any]:
        """The dbt vars these come from, as a macro reads them."""
        return {
            "earliest_plausible_date": self.earliest,
            "future_tolerance_days": self.future_days,
            "stripe_user_id_key": self.stripe_user_id_key,
            "reporting_currency": self.reporting_currency,
        }

    @classmethod
    def from_vars(cls, dbt_args: list[str] | None = None) -> PlausibleDates:
        """The project's vars (dbt_project.yml), with any `--vars` among the dbt arguments over them."""
        variables = dict(yaml.safe_load((paths.PROJECT_ROOT / "dbt_project.yml").read_text())["vars"])
        # the project's own value reads this variable (dbt_project.yml); `--vars` may still set another
        variables["reporting_currency"] = os.environ.get("JOBMETRICS_REPORTING_CURRENCY", "USD")
        args = list(dbt_args or [])
        for index, arg in enumerate(args[:-1]):
            if arg == "--vars":
                variables.update(yaml.safe_load(args[index + 1]) or {})
        return cls(
            str(variables["earliest_plausible_date"]),
            int(variables["future_tolerance_days"]),
            str(variables["stripe_user_id_key"]),
            str(variables["reporting_currency"]).strip().upper(),
        )


@cache
def contract(source: str | None = None) -> dict[str, dict[str, str]]:
    """Column -> declared type for each contract table (of one source, if given), from
    models/staging/_sources.yml."""
    return {
        name: {column["name"]: column["data_type"] for column in table.declared["columns"]}
        for name, table in TABLES.items()
        if source in (None, table.source)
    }


@cache
def defaults() -> dict[str, dict[str, str]]:
    """Column -> value, for each column a file may leave out (meta `default`): it is loaded as that value."""
    return {
        name: {
            column["name"]: str(column["config"]["meta"]["default"])
            for column in table.declared["columns"]
            if "default" in column.get("config", {}).get("meta", {})
        }
        for name, table in TABLES.items()
    }


def column_or_default(table: str, column: str, kind: str, present: set[str], expression: str) -> str:
    """`expression` for a column the file has; the declared default, typed, for one it may leave out."""
    if column in present or column not in defaults()[table]:
        return expression
    value = defaults()[table][column].replace("'", "''")
    return f"cast('{value}' as {kind})"


# The contract's one test over a list of columns: each table's non-empty columns are one dbt node, whose failing
# rows each name a column (null_column) and count its empty values (null_rows).
COLUMN_LIST_TEST = "not_null_columns"


@dataclass(frozen=True)
class DeclaredTest:
    """One rule of the contract: a dbt data test declared on a raw source table or column."""

    table: str
    name: str
    column: str  # the column it is declared on, or the one its meta names (table-level tests)
    arguments: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()  # every contract column it reads

    @property
    def flag(self) -> str:
        return f"{self.column}__{self.name}"

    def per_column(self) -> list[DeclaredTest]:
        """The rules the test holds: a test over a list of columns (one node for dbt) holds one per column."""
        if self.name != COLUMN_LIST_TEST:
            return [self]
        return [DeclaredTest(self.table, self.name, name, {"columns": [name]}, (name,)) for name in self.columns]

    def narrowed_to(self, present: list[str]) -> DeclaredTest | None:
        """The test as it can run on a file with the `present` columns (a missing one is reported as missing): a
        test over a list of columns keeps those the file has; another test runs only when it has all it reads.
        None when nothing is left to run."""
        if self.name == COLUMN_LIST_TEST:
            kept = [name for name in self.columns if name in present]
            return DeclaredTest(self.table, self.name, self.column, {"columns": kept}, tuple(kept)) if kept else None
        return self if set(self.columns) <= set(present) else None


def parse_test(table: str, column: str | None, entry: str | dict[str, Any], names: list[str]) -> DeclaredTest:
    body: dict[str, Any] = {}
    if isinstance(entry, str):
        name = entry
    else:
        ((name, body),) = entry.items()
    arguments = dict(body.get("arguments", {}))
    where = column or body.get("config", {}).get("meta", {}).get("column", "")
    text = " ".join(str(value) for value in arguments.values())
    read = [n for n in names if n == column or re.search(rf"\b{n}\b", text)]
    return DeclaredTest(table, name, where, arguments, tuple(read))


@cache
def declared_tests() -> dict[str, list[DeclaredTest]]:
    """Every rule of the contract, per raw table, as declared in models/staging/_sources.yml."""
    declared: dict[str, list[DeclaredTest]] = {}
    for table in (contract_table.declared for contract_table in TABLES.values()):
        names = [column["name"] for column in table["columns"]]
        tests = [parse_test(table["name"], None, entry, names) for entry in table.get("data_tests", [])]
        for column in table["columns"]:
            tests += [parse_test(table["name"], column["name"], entry, names) for entry in column.get("data_tests", [])]
        declared[table["name"]] = tests
    return declared


def as_contract_type(column: str, kind: str, source_type: str, cast: str = "cast") -> str:
    """SQL turning a raw column into its contract type. Timestamps with a time zone become UTC explicitly, so
    no build depends on the machine's time zone (the contract's timestamps are UTC)."""
    quoted = '"' + column.replace('"', '""') + '"'
    if kind == "timestamp" and source_type.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {quoted})"
    return f"{cast}({quoted} as {kind})"


def source_types(con: duckdb.DuckDBPyConnection, raw_file: RawFile) -> dict[str, str]:
    """Column name (lower case) -> the type DuckDB reads it as."""
    described = con.execute(f"describe select * from {raw_file.reader()}", [str(raw_file.path)]).fetchall()
    return {str(row[0]).lower(): str(row[1]) for row in described}


def own_list(files: dict[str, RawFile], name: str) -> Path | None:
    """The tenant's own copy of a reference list (`<name>.csv` beside its raw files), if it has one."""
    path = next(iter(files.values())).path.parent / f"{name}.csv"
    return path if path.exists() else None


def load_reference_lists(
    con: duckdb.DuckDBPyConnection, tenants: dict[str, dict[str, RawFile]], schema: str = "raw"
) -> None:
    """Replace schema.tenant_<list> with the lists the tenants bring (empty when none does)."""
    for name, columns in REFERENCE_LISTS.items():
        typed = ", ".join(f"{column} {kind}" for column, kind in columns.items())
        con.execute(f"create or replace table {schema}.tenant_{name} (tenant_id varchar, {typed})")
        for tenant, files in tenants.items():
            path = own_list(files, name)
            if path is not None:
                select = ", ".join(f"cast({column} as {kind})" for column, kind in columns.items())
                con.execute(
                    f"insert into {schema}.tenant_{name} select ?, {select} "
                    "from read_csv(?, header = true, all_varchar = true)",
                    [tenant, str(path)],
                )


def load(
    con: duckdb.DuckDBPyConnection,
    tenants: dict[str, dict[str, RawFile]],
    schema: str = "raw",
    stripe_schema: str = "stripe",
) -> dict[str, int]:
    """Replace <schema>.<table> (Stripe's tables: <stripe_schema>.<table>) with every tenant's file of it:
    tenant_id first, then the contract's columns cast to their declared types (a column the file may leave out
    as its default); row counts over all tenants."""
    schemas = {"raw": schema, "stripe": stripe_schema}
    for name in schemas.values():
        con.execute(f"create schema if not exists {name}")
    counts = {}
    for table, columns in contract().items():
        target = f"{schemas[TABLES[table].source]}.{table}"
        parts, parameters = [], []
        for tenant, files in tenants.items():
            if table not in files:
                continue  # an optional table this tenant does not bring
            raw_file = files[table]
            types = source_types(con, raw_file)
            select = ", ".join(
                column_or_default(
                    table, column, kind, set(types), as_contract_type(column, kind, types.get(column, ""))
                )
                + f" as {column}"
                for column, kind in columns.items()
            )
            parts.append(f"select cast(? as varchar) as tenant_id, {select} from {raw_file.reader()}")
            parameters += [tenant, str(raw_file.path)]
        if not parts:  # no tenant brings this optional table: empty, with its columns typed
            nulls = ", ".join(f"cast(null as {kind}) as {column}" for column, kind in columns.items())
            parts.append(f"select cast(null as varchar) as tenant_id, {nulls} where false")
        con.execute(f"create or replace table {target} as {' union all '.join(parts)}", parameters)
        row = con.execute(f"select count(*) from {target}").fetchone()
        counts[table] = int(row[0]) if row else 0
    load_reference_lists(con, tenants, schema)
    return counts


def as_known_on(files: dict[str, RawFile], day: str, out: Path) -> None:
    """Write the raw CSVs as they stood at the end of `day` (YYYY-MM-DD): later signups, subscription
    starts, scans and spend left out, later ends not yet happened. For replaying a company day by day."""
    out.mkdir(parents=True, exist_ok=True)
    cutoff = f"cast('{day}' as date)"
    keep = {
        "raw_users": f"cast(signup_at as date) <= {cutoff}",
        "raw_plans": "true",
        "raw_subscriptions": f"cast(started_at as date) <= {cutoff}",
        "raw_scans": f"cast(scanned_at as date) <= {cutoff}",
        "raw_marketing_spend": f"cast(spend_date as date) <= {cutoff}",
        "raw_experiments": "true",
        "raw_experiment_assignments": f"cast(assigned_at as date) <= {cutoff}",
        "fx_rates": f"cast(date as date) <= {cutoff}",
    }
    if any(TABLES[table].source != "raw" for table in files):
        raise RawFilesMissing("replaying a company day by day reads the project's own billing format, not Stripe's")
    with duckdb.connect() as con:
        for table, raw_file in files.items():
            relation = con.sql(f"select * from {raw_file.reader()}", params=[str(raw_file.path)])
            if table == "raw_subscriptions":
                relation = relation.select(
                    f"* replace (case when cast(ended_at as date) <= {cutoff} then ended_at end as ended_at, "
                    f"case when cast(ended_at as date) <= {cutoff} then end_reason end as end_reason)"
                )
            relation.filter(keep[table]).write_csv(str(out / f"{table}.csv"), header=True)
