"""What the raw contract's types say of a file, as SQL the gate runs over its typed view: a CSV's text must read
as its column's type, a Parquet column must have it. The tests declared in models/staging/_sources.yml are dbt's
own SQL (jobmetrics.pipeline.dbt_tests); this module finds the tables and lists they point at."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from jobmetrics.pipeline import diagnose, raw
from jobmetrics.pipeline.raw import SOURCES_YML, RawFile

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


def quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


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


def reference_file(seed: str, files: dict[str, RawFile], reference_dir: Path) -> tuple[Path, str]:
    """The list a tenant's values must come from, and its name for the report: the tenant's own copy beside
    its raw files, else the project's seed."""
    own = raw.own_list(files, seed)
    if own is not None:
        return own, f"{own.parent.name}/{own.name}"
    return reference_dir / f"{seed}.csv", f"seeds/{seed}.csv"
