"""What each rule of the raw contract means, as SQL the gate runs over a file's typed view: the type's own rules
(a CSV's text must read as its type) and each test declared in models/staging/_sources.yml, with the same meaning
as dbt's generic test of that name in tests/generic/. jobmetrics.pipeline.contract runs them."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from jobmetrics.pipeline import diagnose, raw
from jobmetrics.pipeline.raw import SOURCES_YML, DeclaredTest, RawFile

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


def cross_row_rule(
    test: DeclaredTest, file_names: dict[str, str], columns: dict[str, str], dates: raw.PlausibleDates
) -> Rule | None:
    """The rules Stripe's tables brought: a JSON key naming a row of another table, one value per group."""
    args, column = test.arguments, test.column
    value = quoted(column)
    if test.name == "json_key_in_within_tenant":
        parent, field, key = reference_name(args["to"]), args["field"], dates.stripe_user_id_key
        named = f"trim(json_extract_string({value}, '$.{key}'))"
        known = f"select cast({quoted(field)} as varchar) from {typed_view(parent)} where {quoted(field)} is not null"
        ok = f"coalesce(json_valid({value}) and {named} in ({known}), false)"
        key_column = next(iter(columns))
        shown = f"{quoted(key_column)} || ' ' || coalesce({quoted(raw_name(column))}, '(empty)')"
        words = f"values whose key {key} names no {field} of {file_names[parent]}"
        return Rule(test.flag, column, ok, words, shown)
    if test.name == "one_value_per_group_within_tenant":
        group, tidied = quoted(args["group_by"]), f"lower(trim({value}))"
        window = f"over (partition by {group})"
        ok = f"{value} is null or min({tidied}) {window} = max({tidied}) {window}"
        shown = f"cast({group} as varchar) || ' has ' || min({tidied}) {window} || ', ' || max({tidied}) {window}"
        return Rule(test.flag, column, ok, f"groups with more than one value ({args.get('words')})", shown)
    return None


def declared_rule(
    test: DeclaredTest, file_names: dict[str, str], columns: dict[str, str], dates: raw.PlausibleDates
) -> Rule | None:
    """A test declared in _sources.yml as the gate applies it: the same meaning as the dbt test's SQL in
    tests/generic/ (or dbt's own), over the file's values cast to the contract's types. The gate checks one
    tenant's files at a time, so a test "within tenant" is the plain test here."""
    args, column = test.arguments, test.column
    value, kind = quoted(column), columns.get(column, "varchar")
    cross_row = cross_row_rule(test, file_names, columns, dates)
    if cross_row is not None:
        return cross_row
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
        ahead = int(args.get("future_days", dates.future_days))
        latest = f"current_date + interval {ahead + 1} day"
        ok = f"{value} is null or ({value} >= date '{dates.earliest}' and {value} < {latest})"
        words = f"dates before {dates.earliest} or more than {ahead} days after the build"
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
