"""The raw-data gate: a company's raw files checked against the data contract before anything is built.

DuckDB reads each file once into a table of its values cast to the contract's types, beside whether each
value's text read as its type. Great Expectations validates those format outcomes, reduced to their
distinct combinations with row counts, and writes Data Docs (jobmetrics.pipeline.format_expectations,
imported while DuckDB reads the files). Every test declared in
models/staging/_sources.yml then runs as the SQL dbt runs for it (jobmetrics.pipeline.dbt_tests) over
that table, and its failing rows become the report. Column types come from _sources.yml; the channel and
segment lists from the reference files in seeds/ or the tenant's own.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import decimal
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from jobmetrics import paths
from jobmetrics.pipeline import diagnose, format_expectations, raw
from jobmetrics.pipeline.contract_rules import (
    PARQUET_TYPES,
    ContractUnknown,
    RawFileUnreadable,
    Rule,
    column_rules,
    quoted,
    raw_name,
    reference_file,
    reference_name,
    reference_values,
    typed_view,
)
from jobmetrics.pipeline.dbt_tests import Renderer, UnknownTest
from jobmetrics.pipeline.raw import (
    COLUMN_LIST_TEST,
    SOURCES_YML,
    DeclaredTest,
    RawFile,
    as_contract_type,
    contract,
    declared_tests,
)
from jobmetrics.tenants import DEFAULT_TENANT

__all__ = ["ContractUnknown", "Examined", "Failure", "RawFileUnreadable", "examine", "validate", "validate_tenants"]


@dataclass
class Failure:
    file: str
    column: str
    problem: str
    examples: list[str]
    count: int | None

    def __str__(self) -> str:
        shown = ", ".join(self.examples[:5]) + (" ..." if self.count and self.count > 5 else "")
        counted = f" ({self.count:,} found)" if self.count is not None else ""
        return f"{self.file}: {self.column}: {self.problem}" + (f": {shown}" if shown else "") + counted


@dataclass
class TableChecks:
    raw_file: RawFile
    columns: dict[str, str]
    present: list[str]
    rules: list[Rule] = field(default_factory=list)
    tests: list[DeclaredTest] = field(default_factory=list)


def checks_for(con: duckdb.DuckDBPyConnection, raw_file: RawFile) -> TableChecks:
    table, columns = raw_file.table, contract()[raw_file.table]
    header = [name.lower() for name in con.table(table).columns]
    checks = TableChecks(raw_file, columns, [c for c in columns if c in header])
    is_text = raw_file.format == "csv"
    for column in checks.present:
        checks.rules += column_rules(table, column, columns[column], is_text)
    for test in declared_tests()[table]:
        runnable = test.narrowed_to(checks.present)
        if runnable is not None:
            checks.tests.append(runnable)
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


def tested(table: str) -> str:
    """The relation the declared tests read: the tenant, then each contract column as its type."""
    return f"tested_{table}"


def materialize(con: duckdb.DuckDBPyConnection, checks: TableChecks) -> None:
    """The file read once into a table of its typed values and format outcomes, which every check then reads."""
    table = checks.raw_file.table
    # a rule that cannot say (null) has not been kept: GX would pass a null
    outcomes = [f"coalesce(({rule.ok}), false) as {quoted(rule.flag)}" for rule in checks.rules]
    typed = [quoted(column) for column in checks.present]
    con.execute(
        f"create temp table checked_{table} as select {', '.join(['tenant_id', *typed, *outcomes])} "
        f"from {typed_view(table)}"
    )
    con.execute(f"create temp view {tested(table)} as select {', '.join(['tenant_id', *typed])} from checked_{table}")


def reduce(con: duckdb.DuckDBPyConnection, checks: TableChecks) -> pd.DataFrame:
    """The file's distinct format outcomes, each with its number of rows."""
    grouped = ", ".join(quoted(rule.flag) for rule in checks.rules) or "true as nothing_to_check"
    by = "group by all" if checks.rules else ""
    return con.execute(f"select {grouped}, count(*) as n_rows from checked_{checks.raw_file.table} {by}").df()


def describe(
    con: duckdb.DuckDBPyConnection | None, checks: TableChecks, frame: pd.DataFrame, column: str
) -> list[Failure]:
    """The failures behind one failed format expectation, with row counts and offending text (none once the
    file's table is gone)."""
    rule = next(r for r in checks.rules if r.flag == column)
    count = int(frame.loc[frame[column] != True, "n_rows"].sum())  # noqa: E712 (a pandas mask)
    rows = (
        con.execute(
            f"select distinct {rule.shown} as shown from {typed_view(checks.raw_file.table)} "
            f"where not coalesce(({rule.ok}), false) limit 5"
        ).fetchall()
        if con is not None
        else []
    )
    return [Failure(checks.raw_file.name, rule.column, rule.problem, [str(row[0]) for row in rows], count)]


def shown(value: Any) -> str:
    """An offending value as the report writes it: a number as it is, anything else in quotes."""
    if value is None:
        return "(empty)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int | decimal.Decimal):
        return str(value)
    return f"'{value}'"


def examples(names: list[str], rows: list[tuple[Any, ...]], test: DeclaredTest) -> list[str]:
    """What dbt's report shows of a test's failing rows (macros/raw_contract.sql sample_failures): the tested
    value where the test returns it, else the row's first column and those an expression reads."""
    expression = str(test.arguments.get("expression", ""))
    tested_value = [] if expression else [test.column]
    value = next((name for name in [*tested_value, "unique_field", "value_field", "from_field"] if name in names), None)
    if value is not None:
        return [shown(row[names.index(value)]) for row in rows]
    kept = [name for name in names if name != "tenant_id"]
    read = [names.index(name) for name in kept if not expression or name == kept[0] or name in expression]
    return ["(" + " ".join(f"{names[i]}={row[i]}" for i in read) + ")" for row in rows]


def reference_table(
    con: duckdb.DuckDBPyConnection, test: DeclaredTest, files: dict[str, RawFile], reference_dir: Path
) -> tuple[str, str]:
    """A reference list (a seed or the tenant's own copy) as a table of its listed values, and the file's name."""
    seed, field = reference_name(test.arguments["to"]), test.arguments["field"]
    path, name = reference_file(seed, files, reference_dir)
    listed = reference_values(path, field)
    listing = f"create or replace temp table reference_{seed} as select unnest(?::varchar[]) as {quoted(field)}"
    con.execute(listing, [listed])
    return f"reference_{seed}", name


def declared_failures(
    con: duckdb.DuckDBPyConnection,
    checks: TableChecks,
    renderer: Renderer,
    files: dict[str, RawFile],
    reference_dir: Path,
) -> list[Failure]:
    """Each declared test run as dbt's SQL over the file's typed table; a test that returns rows failed."""
    failures = []
    for test in checks.tests:
        arguments, listed_in = dict(test.arguments), None
        if test.name == "in_reference_list":
            arguments["to"], listed_in = reference_table(con, test, files, reference_dir)
        elif "to" in arguments:
            arguments["to"] = tested(reference_name(arguments["to"]))
        try:
            sql = renderer.test_sql(test.name, tested(checks.raw_file.table), test.column, arguments)
        except UnknownTest as error:
            raise ContractUnknown(
                f"{SOURCES_YML.name}: {checks.raw_file.table}: {error}; the gate runs a test's own SQL, so it "
                "must be a generic test of tests/generic/ or dbt's"
            ) from error
        if listed_in is not None:
            per_value = con.execute(
                f"select lower(trim(cast(value_field as varchar))) as value, count(*) as n from ({sql}) "
                "group by all order by n desc, value"
            ).fetchall()
            unlisted = [f"'{value}' is not in {listed_in}; add it there to use it" for value, _ in per_value]
            failures += [
                Failure(checks.raw_file.name, test.column, words, [], n)
                for words, (_, n) in zip(unlisted, per_value, strict=True)
            ]
            continue
        if test.name == COLUMN_LIST_TEST:
            words = renderer.words(test.name, test.arguments)
            per_column = con.execute(f"select null_column, null_rows from ({sql})").fetchall()
            failures += [Failure(checks.raw_file.name, column, words, [], rows) for column, rows in per_column]
            continue
        try:
            result = con.execute(f"select count(*) over (), * from ({sql}) limit 5")
        except duckdb.Error as error:
            where = f"{checks.raw_file.path}: the rule {test.name} on {test.column}"
            raise RawFileUnreadable(f"{where} could not run ({error}); check the file's columns") from error
        rows = result.fetchall()
        if rows:
            names = [str(column[0]) for column in result.description or []]
            words = renderer.words(test.name, test.arguments)
            offending = examples(names[1:], [row[1:] for row in rows], test)
            failures.append(Failure(checks.raw_file.name, test.column, words, offending, rows[0][0]))
    return failures


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
        # one tenant's files at a time: a test "within tenant" reads this constant
        selected = ", ".join(["'default' as tenant_id", *columns])
        con.execute(f"create view {typed_view(table)} as select {selected} from {table}")


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
    """One tenant's file of one table, reduced to its check outcomes, with the connection that can say more
    (None once released)."""

    tenant: str
    con: duckdb.DuckDBPyConnection | None
    checks: TableChecks
    frame: pd.DataFrame

    def signature(self) -> tuple[Any, ...]:
        """What GX checks: files with the same signature are validated together."""
        return (self.checks.raw_file.table, tuple(rule.flag for rule in self.checks.rules))

    def formats_read(self) -> bool:
        return all(bool(self.frame[rule.flag].eq(True).all()) for rule in self.checks.rules)


# The files whose `currency` column says what a tenant bills or spends in, each converted by fx_rates.
PRICED = ("raw_plans", "raw_marketing_spend", "price", "invoice")


def unrated_currencies(con: duckdb.DuckDBPyConnection, files: dict[str, RawFile], reporting: str) -> list[Failure]:
    """A currency a tenant bills or spends in, other than the reporting currency, with no rate in fx_rates at all
    (a rate missing on a later day is found by the build, which knows the days it converts)."""
    rated = "select upper(trim(currency)) from fx_rates where currency is not null" if "fx_rates" in files else ""
    failures = []
    for table in PRICED:
        if table not in files or "currency" not in [c.lower() for c in con.table(table).columns]:
            continue
        query = (
            f"select distinct upper(trim(currency)) as code from {table} "
            f"where currency is not null and upper(trim(currency)) <> ?"
            + (f" and upper(trim(currency)) not in ({rated})" if rated else "")
            + " order by code"
        )
        codes = [str(row[0]) for row in con.execute(query, [reporting]).fetchall()]
        if codes:
            problem = f"currencies with no rate into {reporting} in fx_rates.csv (add their rates there)"
            failures.append(Failure(files[table].name, "currency", problem, codes, None))
    return failures


def create_absent_tables(con: duckdb.DuckDBPyConnection, files: dict[str, RawFile]) -> None:
    """A contract table the company did not bring, empty, as dbt's door creates it: a test pointing at it fails."""
    for table, columns in contract().items():
        if table not in files:
            typed = [f"{quoted(column)} {kind}" for column, kind in columns.items()]
            con.execute(f"create temp table {tested(table)} ({', '.join(['tenant_id varchar', *typed])})")


def reduce_tenant(
    con: duckdb.DuckDBPyConnection,
    tenant: str,
    files: dict[str, RawFile],
    reference_dir: Path,
    prefix: str,
    dates: raw.PlausibleDates,
    renderer: Renderer,
) -> tuple[list[Reduced], list[Failure]]:
    """A tenant's files read into `con` and reduced for GX, and the failures found without GX: missing columns,
    Parquet types, the declared tests, currencies without a rate."""
    register(con, files)
    reduced, failures = [], []
    for table, raw_file in files.items():
        checks = checks_for(con, raw_file)
        missing = [c for c in checks.columns if c not in checks.present and c not in raw.defaults()[table]]
        if missing:
            header = ", ".join(con.table(table).columns)
            problem = "missing column(s); the header has " + header
            failures.append(Failure(prefix + raw_file.name, ", ".join(missing), problem, [], None))
        wrong_types = type_failures(con, checks)
        failures += [Failure(prefix + f.file, f.column, f.problem, f.examples, f.count) for f in wrong_types]
        try:
            materialize(con, checks)
            if not wrong_types:
                reduced.append(Reduced(tenant, con, checks, reduce(con, checks)))
        except duckdb.Error as error:
            raise RawFileUnreadable(diagnose.unreadable(raw_file.path, error, list(checks.columns))) from error
    create_absent_tables(con, files)
    for member in reduced:
        found = declared_failures(con, member.checks, renderer, files, reference_dir)
        failures += [Failure(prefix + f.file, f.column, f.problem, f.examples, f.count) for f in found]
    unrated = unrated_currencies(con, files, dates.reporting_currency)
    failures += [Failure(prefix + f.file, f.column, f.problem, f.examples, f.count) for f in unrated]
    return reduced, failures


def validate_tenants(
    tenants: dict[str, dict[str, RawFile]],
    docs_dir: Path | None,
    reference_dir: Path = paths.SEEDS_DIR,
    dates: raw.PlausibleDates | None = None,
) -> list[Failure]:
    """Every tenant's files checked against the contract, in one GX project whose Data Docs are written once;
    with several tenants each failure names its tenant's folder."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return examine(tenants, docs_dir, pool, reference_dir, dates).judged()


@dataclass
class Examined:
    """The files read and checked by DuckDB (`failures`, and each file's format outcomes), waiting for GX's verdict
    on those outcomes. GX's project opens in a thread of `pool` meanwhile (it takes seconds to import)."""

    tenants: list[str]
    failures: list[Failure]
    groups: dict[tuple[Any, ...], list[Reduced]]
    opening: Future[Any]
    docs_dir: Path | None
    connections: contextlib.ExitStack

    @property
    def several(self) -> bool:
        return self.tenants != [DEFAULT_TENANT]

    def formats_read(self) -> bool:
        """Whether every value's text read as its column's type, by DuckDB's outcomes: what GX will confirm."""
        return all(member.formats_read() for members in self.groups.values() for member in members)

    def release(self) -> None:
        """Close DuckDB's tables of the files (a failure GX then finds has no offending text)."""
        for members in self.groups.values():
            for member in members:
                member.con = None
        self.connections.close()

    def judged(self) -> list[Failure]:
        """Every failure: DuckDB's, then GX's verdict on the format outcomes (files of one table held to the same
        rules validated together, as one frame: GX's cost is per validation, not per row); Data Docs written."""
        try:
            context = self.opening.result()
            failures = list(self.failures)
            names: collections.Counter[str] = collections.Counter()
            for members in self.groups.values():
                table = members[0].checks.raw_file.table
                names[table] += 1
                name = table if names[table] == 1 else f"{table} ({', '.join(member.tenant for member in members)})"
                frame = pd.concat([member.frame for member in members], ignore_index=True)
                flags = [rule.flag for rule in members[0].checks.rules]
                for column in format_expectations.failed_flags(context, name, frame, flags):
                    for member in members:
                        for failure in describe(member.con, member.checks, member.frame, column):
                            if failure.count != 0:
                                failure.file = (f"{member.tenant}/" if self.several else "") + failure.file
                                failures.append(failure)
            if self.docs_dir is not None:
                context.build_data_docs()
        finally:
            self.release()
        return sorted(failures, key=file_order(self.tenants if self.several else [""]))


def examine(
    tenants: dict[str, dict[str, RawFile]],
    docs_dir: Path | None,
    pool: ThreadPoolExecutor,
    reference_dir: Path = paths.SEEDS_DIR,
    dates: raw.PlausibleDates | None = None,
) -> Examined:
    """DuckDB's part of the gate on every tenant's files, with GX's project opening in `pool` meanwhile."""
    several = list(tenants) != [DEFAULT_TENANT]
    window = dates or raw.PlausibleDates.from_vars()
    renderer = Renderer(window.as_vars())
    failures: list[Failure] = []
    groups: dict[tuple[Any, ...], list[Reduced]] = {}
    opening = pool.submit(format_expectations.open_project, docs_dir)  # while DuckDB reads the files
    with contextlib.ExitStack() as connections:
        for tenant, files in tenants.items():
            con = connections.enter_context(duckdb.connect(config=paths.duckdb_settings()))
            prefix = f"{tenant}/" if several else ""
            reduced, found = reduce_tenant(con, tenant, files, reference_dir, prefix, window, renderer)
            failures += found
            for member in reduced:
                groups.setdefault(member.signature(), []).append(member)
        return Examined(list(tenants), failures, groups, opening, docs_dir, connections.pop_all())


def file_order(tenants: list[str]) -> Callable[[Failure], tuple[int, int]]:
    """Failures by tenant, then by table as the contract lists them (each file's own in the order found)."""
    stems = [raw.TABLES[table].stem for table in raw.RAW_TABLES + raw.OPTIONAL_TABLES]

    def position(failure: Failure) -> tuple[int, int]:
        stem = failure.file.rsplit(".", 1)[0]
        found = next((known for known in stems if stem == known or stem.endswith("/" + known)), "")
        tenant = stem.removesuffix(found).rstrip("/")
        return tenants.index(tenant) if tenant in tenants else 0, stems.index(found) if found else 0

    return position
