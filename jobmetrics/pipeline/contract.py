"""The raw-data gate: the five raw files checked against the data contract before anything is built.

DuckDB reads each file once and reduces it to its distinct check outcomes with row counts (a few
hundred rows, whatever the file's size). Great Expectations validates those small frames with the
contract's expectations and writes Data Docs; DuckDB then fetches a few offending values for each
failure. Column types come from models/staging/_sources.yml; the channel and segment lists from the
reference files in seeds/.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import re
import shutil
import warnings
from collections.abc import Callable
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
from jobmetrics.pipeline import diagnose, raw  # noqa: E402
from jobmetrics.pipeline.raw import (  # noqa: E402
    SOURCES_YML,
    DeclaredTest,
    RawFile,
    as_contract_type,
    contract,
    declared_tests,
)
from jobmetrics.tenants import DEFAULT_TENANT  # noqa: E402

TEXT_FORMATS = {  # how a CSV writes each type: (SQL test of the text `v`, words for the report)
    "bigint": ("regexp_full_match(v, '-?[0-9]+')", "whole numbers"),
    "integer": ("regexp_full_match(v, '-?[0-9]+')", "whole numbers"),
    "double": ("regexp_full_match(v, '-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?')", "numbers"),
    "timestamp": ("try_strptime(v, '%Y-%m-%d %H:%M:%S') is not null", "timestamps as YYYY-MM-DD HH:MM:SS"),
    "date": ("try_strptime(v, '%Y-%m-%d') is not null", "dates as YYYY-MM-DD"),
    "boolean": ("lower(trim(v)) in ('true', 'false')", "true or false"),
}
PARQUET_TYPES = {  # DuckDB types a Parquet column may have for each contract type
    "bigint": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"},
    "integer": {"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT"},
    "double": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL"},
    "timestamp": {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE"},
    "date": {"DATE"},
    "varchar": {"VARCHAR"},
    "boolean": {"BOOLEAN"},
}
NUMERIC = {"bigint", "integer", "double"}


class ContractUnknown(Exception):
    """_sources.yml declares something the gate cannot apply; str() names it."""


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


def tidy(column: str) -> str:
    return f"lower(trim(cast({quoted(column)} as varchar)))"


def reference_values(path: Path, column: str) -> list[str]:
    encoding = diagnose.not_utf8(path)
    if encoding is not None:
        raise RawFileUnreadable(encoding)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and column not in rows[0]:
        raise RawFileUnreadable(f"{path}: the column {column} is missing; the header has {', '.join(rows[0])}")
    return [(row[column] or "").strip().lower() for row in rows]


def raw_name(column: str) -> str:
    """The column as the file wrote it, beside its typed value in the typed view."""
    return f"{column}__raw"


def typed_view(table: str) -> str:
    return f"typed_{table}"


def reference_name(to: str) -> str:
    """The table a test points at: "ref('segments')" -> segments, "source('raw', 'raw_users')" -> raw_users."""
    found = re.search(r"'([^']+)'\)\s*$", to)
    if not found:
        raise ContractUnknown(
            f"{SOURCES_YML.name}: cannot read the relation {to!r}; write ref('...') or source('raw', '...')"
        )
    return found.group(1)


def shown_value(column: str, kind: str) -> str:
    """An offending value as the file wrote it: numbers as they are, text in quotes."""
    text = f"cast({quoted(raw_name(column))} as varchar)"
    return text if kind in NUMERIC else f"chr(39) || {text} || chr(39)"


def column_rules(table: str, column: str, kind: str, is_text: bool) -> list[Rule]:
    """What the contract's type says of a column's text: it must read as that type."""
    if not (is_text and kind in TEXT_FORMATS):
        return []
    test, words = TEXT_FORMATS[kind]
    raw_value = quoted(raw_name(column))
    ok = f"{raw_value} is null or " + test.replace("v", raw_value, 1)
    return [Rule(f"{column}__format", column, ok, f"values that are not {words}", shown_value(column, kind))]


def declared_rule(
    test: DeclaredTest, file_names: dict[str, str], columns: dict[str, str], dates: raw.PlausibleDates
) -> Rule | None:
    """A test declared in _sources.yml as the gate applies it: the same meaning as the dbt test's SQL in
    tests/generic/ (or dbt's own), over the file's values cast to the contract's types. The gate checks one
    tenant's files at a time, so a test "within tenant" is the plain test here."""
    args, column = test.arguments, test.column
    value, kind = quoted(column), columns.get(column, "varchar")
    if test.name == "not_null":
        return Rule(test.flag, column, f"{quoted(raw_name(column))} is not null", "empty values", "'(empty)'")
    if test.name in ("unique", "unique_within_tenant"):
        ok = f"{value} is null or count(*) over (partition by {value}) = 1"
        return Rule(test.flag, column, ok, "duplicate values", shown_value(column, kind))
    if test.name == "accepted_range":
        low, high, inclusive = args.get("min_value"), args.get("max_value"), args.get("inclusive", True)
        bounds = ([f"{value} {'>=' if inclusive else '>'} {low}"] if low is not None else []) + (
            [f"{value} {'<=' if inclusive else '<'} {high}"] if high is not None else []
        )
        words = (
            f"values outside {'[' if inclusive else '('}{'-inf' if low is None else low}, "
            f"{'inf' if high is None else high}{']' if inclusive else ')'}"
        )
        return Rule(test.flag, column, f"{value} is null or ({' and '.join(bounds)})", words, shown_value(column, kind))
    if test.name == "finite":
        ok = f"{value} is null or isfinite({value})"
        return Rule(
            test.flag, column, ok, "values that are not finite numbers (NaN or infinity)", shown_value(column, kind)
        )
    if test.name == "plausible_timestamp":
        latest = f"current_date + interval {dates.future_days + 1} day"
        ok = f"{value} is null or ({value} >= date '{dates.earliest}' and {value} < {latest})"
        words = f"dates before {dates.earliest} or more than {dates.future_days} days after the build"
        return Rule(test.flag, column, ok, words, shown_value(column, kind))
    if test.name == "matches_pattern":
        ok = f"{value} is null or regexp_full_match(trim(cast({value} as varchar)), '{args['pattern']}')"
        words = f"values that are not {args.get('words') or args['pattern']}"
        return Rule(test.flag, column, ok, words, shown_value(column, kind))
    if test.name in ("relationships", "relationships_within_tenant"):
        parent, field = reference_name(args["to"]), args["field"]
        known = f"select {quoted(field)} from {typed_view(parent)} where {quoted(field)} is not null"
        ok = f"{value} is null or {value} in ({known})"
        words = f"values not found in {file_names[parent]} {field}"
        return Rule(test.flag, column, ok, words, shown_value(column, kind))
    if test.name == "expression_is_true":
        expression = args["expression"]
        key = next(iter(columns))  # the row's id, then the columns the rule reads
        mentioned = [name for name in columns if name == key or re.search(rf"\b{name}\b", expression)]
        shown = " || ' ' || ".join(
            f"'{name}=' || coalesce(cast({quoted(raw_name(name))} as varchar), 'None')" for name in mentioned
        )
        ok = f"coalesce(({expression}), false)"
        return Rule(test.flag, column, ok, f'rows breaking "{expression}"', shown or "'(row)'")
    if test.name in ("unique_combination", "unique_combination_within_tenant"):
        combination = args["combination"]
        ok = f"count(*) over (partition by {', '.join(combination)}) = 1"
        shown = " || ' ' || ".join(f"cast({part} as varchar)" for part in combination)
        return Rule(test.flag, column, ok, "duplicate combinations", shown)
    if test.name == "one_per_group_within_tenant":
        group, condition = args["group_by"], args["condition"]
        matching = f"sum(case when coalesce(({condition}), false) then 1 else 0 end) over (partition by {group})"
        shown = f"cast({group} as varchar) || ' has ' || cast({matching} as varchar)"
        return Rule(test.flag, column, f"{matching} = 1", f"not {args.get('words') or condition}", shown)
    if test.name == "relationships_combination_within_tenant":
        parent, combination = reference_name(args["to"]), args["combination"]
        joined = " || chr(31) || ".join(f"cast({part} as varchar)" for part in combination)
        ok = f"({joined}) is null or ({joined}) in (select {joined} from {typed_view(parent)})"
        shown = " || ' ' || ".join(f"cast({part} as varchar)" for part in combination)
        return Rule(test.flag, column, ok, f"combinations not found in {file_names[parent]}", shown)
    return None


def reference_file(seed: str, files: dict[str, RawFile], reference_dir: Path) -> tuple[Path, str]:
    """The list a tenant's values must come from, and its name for the report: the tenant's own copy beside
    its raw files, else the project's seed."""
    own = raw.own_list(files, seed)
    if own is not None:
        return own, f"{own.parent.name}/{own.name}"
    return reference_dir / f"{seed}.csv", f"seeds/{seed}.csv"


def declared_list(test: DeclaredTest, files: dict[str, RawFile], reference_dir: Path) -> ValueList | None:
    """one_of and in_reference_list: tidied values from a list (GX checks them as a set)."""
    if test.name == "one_of":
        return ValueList(test.column, tidy(test.column), [str(v).lower() for v in test.arguments["values"]])
    if test.name == "in_reference_list":
        seed, field = reference_name(test.arguments["to"]), test.arguments["field"]
        path, name = reference_file(seed, files, reference_dir)
        return ValueList(test.column, tidy(test.column), reference_values(path, field), name)
    return None


def checks_for(
    con: duckdb.DuckDBPyConnection,
    raw_file: RawFile,
    files: dict[str, RawFile],
    reference_dir: Path,
    dates: raw.PlausibleDates,
) -> TableChecks:
    table, columns = raw_file.table, contract()[raw_file.table]
    header = [name.lower() for name in con.table(table).columns]
    checks = TableChecks(raw_file, columns, [c for c in columns if c in header])
    is_text = raw_file.format == "csv"
    for column in checks.present:
        checks.rules += column_rules(table, column, columns[column], is_text)
    for test in declared_tests()[table]:
        if not set(test.columns) <= set(checks.present):
            continue  # reported as a missing column
        values = declared_list(test, files, reference_dir)
        if values is not None:
            checks.lists.append(values)
            continue
        rule = declared_rule(test, {name: found.name for name, found in files.items()}, columns, dates)
        if rule is None:
            raise ContractUnknown(
                f"{SOURCES_YML.name}: {table}: the gate does not know the test {test.name!r}; "
                "use one it knows (see jobmetrics/pipeline/contract.py) so both doors apply it"
            )
        checks.rules.append(rule)
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
    # a rule that cannot say (null) has not been kept: GX would pass a null
    outcomes = [f"coalesce(({rule.ok}), false) as {quoted(rule.flag)}" for rule in checks.rules]
    outcomes += [f"{values.value} as {quoted(values.outcome)}" for values in checks.lists]
    con.execute(
        f"create or replace temp view checked_{checks.raw_file.table} as "
        f"select *, {', '.join(outcomes) or 'true as nothing_to_check'} from {typed_view(checks.raw_file.table)}"
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


def header(raw_file: RawFile) -> list[str]:
    """The column names as the file writes them (DuckDB would rename a repeated one `name_1` and read the first)."""
    if raw_file.format == "parquet":
        schema = duckdb.execute("select name from parquet_schema(?)", [str(raw_file.path)]).fetchall()
        return [str(row[0]) for row in schema[1:]]  # the first element is the schema itself
    with raw_file.path.open(newline="", encoding="utf-8", errors="replace") as handle:
        return next(csv.reader(handle), [])


def refuse_repeated_columns(raw_file: RawFile) -> None:
    try:
        names = [name.strip().lower() for name in header(raw_file)]
    except (OSError, ValueError, duckdb.Error):
        return  # unreadable: DuckDB says why, with the file named, when it reads it
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        places = "; ".join(
            f"{name} in columns {', '.join(str(i + 1) for i, n in enumerate(names) if n == name)}" for name in repeated
        )
        raise RawFileUnreadable(f"{raw_file.path}: the header names a column twice ({places}); keep one of each")


def register(con: duckdb.DuckDBPyConnection, files: dict[str, RawFile]) -> None:
    """Each file as a view named after its table (DuckDB reads it where it lies), and beside it the typed
    view the rules read: each contract column cast to its type (null where the text is not of that type,
    which the format rule reports) next to the text as written."""
    for table, raw_file in files.items():
        refuse_repeated_columns(raw_file)
        try:
            if raw_file.format == "parquet":
                relation = con.read_parquet(str(raw_file.path))
            else:
                relation = con.read_csv(str(raw_file.path), header=True, all_varchar=True)
            relation.create_view(table)
        except duckdb.Error as error:
            raise RawFileUnreadable(diagnose.unreadable(raw_file.path, error, list(contract()[table]))) from error
        relation = con.table(table)
        header = {name.lower(): name for name in relation.columns}
        types = {name.lower(): str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
        columns = [
            f"{as_contract_type(header[column], kind, types[column], cast='try_cast')} as {quoted(column)}, "
            f"{quoted(header[column])} as {quoted(raw_name(column))}"
            for column, kind in contract()[table].items()
            if column in header
        ]
        con.execute(f"create view {typed_view(table)} as select {', '.join(columns) or '1 as nothing'} from {table}")


def validate(
    files: dict[str, RawFile],
    docs_dir: Path | None,
    reference_dir: Path = paths.SEEDS_DIR,
    dates: raw.PlausibleDates | None = None,
) -> list[Failure]:
    """Check one company's files against the contract; the failures (empty when the files meet it).

    reference_dir holds the channel and segment lists for a tenant that does not bring its own beside its files
    (the project's seeds/ unless a test says otherwise); dates, the window of plausible dates (the project's vars
    unless said).
    """
    return validate_tenants({DEFAULT_TENANT: files}, docs_dir, reference_dir, dates)


@dataclass
class Reduced:
    """One tenant's file of one table, reduced to its check outcomes, with the connection that can say more."""

    tenant: str
    con: duckdb.DuckDBPyConnection
    checks: TableChecks
    frame: pd.DataFrame

    def signature(self) -> tuple[Any, ...]:
        """What GX checks: files with the same signature are validated together."""
        lists = tuple((values.outcome, tuple(values.allowed)) for values in self.checks.lists)
        return (self.checks.raw_file.table, tuple(rule.flag for rule in self.checks.rules), lists)


def reduce_tenant(
    con: duckdb.DuckDBPyConnection,
    tenant: str,
    files: dict[str, RawFile],
    reference_dir: Path,
    prefix: str,
    dates: raw.PlausibleDates,
) -> tuple[list[Reduced], list[Failure]]:
    """A tenant's files registered in `con` and reduced, and the failures found before GX (missing columns,
    Parquet types)."""
    register(con, files)
    reduced, failures = [], []
    for table, raw_file in files.items():
        checks = checks_for(con, raw_file, files, reference_dir, dates)
        missing = [c for c in checks.columns if c not in checks.present]
        if missing:
            header = ", ".join(con.table(table).columns)
            problem = "missing column(s); the header has " + header
            failures.append(Failure(prefix + raw_file.name, ", ".join(missing), problem, [], None))
        wrong_types = type_failures(con, checks)
        failures += [Failure(prefix + f.file, f.column, f.problem, f.examples, f.count) for f in wrong_types]
        if wrong_types:
            continue
        try:
            frame = reduce(con, checks)
        except duckdb.Error as error:
            raise RawFileUnreadable(diagnose.unreadable(raw_file.path, error, list(checks.columns))) from error
        reduced.append(Reduced(tenant, con, checks, frame))
    return reduced, failures


def validate_tenants(
    tenants: dict[str, dict[str, RawFile]],
    docs_dir: Path | None,
    reference_dir: Path = paths.SEEDS_DIR,
    dates: raw.PlausibleDates | None = None,
) -> list[Failure]:
    """Every tenant's files checked against the contract, in one GX project whose Data Docs are written once;
    with several tenants each failure names its tenant's folder.

    The tenants' files of one table that are held to the same rules and lists are validated together, as one
    frame of their check outcomes: GX's cost is per validation, not per row, and ten tenants would otherwise
    pay it ten times.
    """
    several = list(tenants) != [DEFAULT_TENANT]
    window = dates or raw.PlausibleDates.from_vars()
    context = open_context(docs_dir)
    source = context.data_sources.add_pandas("raw_files")
    failures: list[Failure] = []
    groups: dict[tuple[Any, ...], list[Reduced]] = {}
    with contextlib.ExitStack() as stack:
        for tenant, files in tenants.items():
            con = stack.enter_context(duckdb.connect(config=paths.duckdb_settings()))
            reduced, found = reduce_tenant(con, tenant, files, reference_dir, f"{tenant}/" if several else "", window)
            failures += found
            for member in reduced:
                groups.setdefault(member.signature(), []).append(member)
        names: collections.Counter[str] = collections.Counter()
        for members in groups.values():
            table = members[0].checks.raw_file.table
            names[table] += 1
            name = table if names[table] == 1 else f"{table} ({', '.join(member.tenant for member in members)})"
            frame = pd.concat([member.frame for member in members], ignore_index=True)
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("check_outcomes")
            suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations(members[0].checks)))
            definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
            outcome = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
            for result in outcome.results:
                if result.success:
                    continue
                column = result.expectation_config.kwargs["column"]
                for member in members:
                    for failure in describe(member.con, member.checks, member.frame, column):
                        if failure.count != 0:
                            failure.file = (f"{member.tenant}/" if several else "") + failure.file
                            failures.append(failure)
    if docs_dir is not None:
        context.build_data_docs()
    return sorted(failures, key=file_order(list(tenants) if several else [""]))


def file_order(tenants: list[str]) -> Callable[[Failure], tuple[int, int]]:
    """Failures by tenant, then by table as the contract lists them (each file's own in the order found)."""
    tables = raw.RAW_TABLES + raw.OPTIONAL_TABLES

    def position(failure: Failure) -> tuple[int, int]:
        tenant, _, name = failure.file.rpartition("/")
        table = name.split(".")[0]
        return tenants.index(tenant) if tenant in tenants else 0, tables.index(table) if table in tables else 0

    return position
