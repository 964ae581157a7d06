"""The raw data: where the five raw files are, what the contract says they hold, and loading them.

Files are read by DuckDB itself (read_csv, read_parquet), so no row ever passes through Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import yaml

from jobmetrics import paths

RAW_TABLES = ["raw_users", "raw_plans", "raw_subscriptions", "raw_scans", "raw_marketing_spend"]
FORMATS = ("csv", "parquet")
SOURCES_YML = paths.PROJECT_ROOT / "models" / "staging" / "_sources.yml"


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
        return self.path.name

    def reader(self) -> str:
        """A DuckDB table function reading the file; its path is the query's first parameter.

        A CSV is read exactly as written (every column text): the gate checks the text and the load
        casts it, so nothing depends on type sniffing. A Parquet file keeps its own types.
        """
        if self.format == "parquet":
            return "read_parquet(?)"
        return "read_csv(?, header = true, all_varchar = true)"


def raw_dir() -> Path:
    """$JOBMETRICS_RAW_DIR, else the committed synthetic sample."""
    setting = os.environ.get("JOBMETRICS_RAW_DIR")
    return paths.from_root(setting) if setting else paths.SAMPLE_DIR


def find_raw_files(folder: Path) -> dict[str, RawFile]:
    """Each raw table's file in the folder: raw_<table>.csv or raw_<table>.parquet, exactly one of them."""
    if not folder.is_dir():
        raise RawFilesMissing(f"{folder} is not a folder; set JOBMETRICS_RAW_DIR to the folder with the raw files")
    found: dict[str, RawFile] = {}
    problems = []
    for table in RAW_TABLES:
        candidates = [folder / f"{table}.{ext}" for ext in FORMATS if (folder / f"{table}.{ext}").exists()]
        if not candidates:
            problems.append(f"{table}.csv or {table}.parquet is missing")
        elif len(candidates) > 1:
            problems.append(f"both {candidates[0].name} and {candidates[1].name} exist; keep one")
        else:
            found[table] = RawFile(table, candidates[0])
    if problems:
        raise RawFilesMissing(f"in {folder}: " + "; ".join(problems))
    return found


@cache
def contract() -> dict[str, dict[str, str]]:
    """Column -> declared type for each raw table, from the raw source in models/staging/_sources.yml."""
    sources = yaml.safe_load(SOURCES_YML.read_text())["sources"]
    raw = next(source for source in sources if source["name"] == "raw")
    return {
        table["name"]: {column["name"]: column["data_type"] for column in table["columns"]} for table in raw["tables"]
    }


def load(con: duckdb.DuckDBPyConnection, files: dict[str, RawFile], schema: str = "raw") -> dict[str, int]:
    """Replace schema.<table> with each file's contract columns, cast to their declared types; row counts."""
    con.execute(f"create schema if not exists {schema}")
    counts = {}
    for table, columns in contract().items():
        raw_file = files[table]
        select = ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in columns.items())
        con.execute(
            f"create or replace table {schema}.{table} as select {select} from {raw_file.reader()}",
            [str(raw_file.path)],
        )
        row = con.execute(f"select count(*) from {schema}.{table}").fetchone()
        counts[table] = int(row[0]) if row else 0
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
    }
    with duckdb.connect() as con:
        for table, raw_file in files.items():
            relation = con.sql(f"select * from {raw_file.reader()}", params=[str(raw_file.path)])
            if table == "raw_subscriptions":
                relation = relation.select(
                    f"* replace (case when cast(ended_at as date) <= {cutoff} then ended_at end as ended_at, "
                    f"case when cast(ended_at as date) <= {cutoff} then end_reason end as end_reason)"
                )
            relation.filter(keep[table]).write_csv(str(out / f"{table}.csv"), header=True)
