"""Every mart of the published warehouse as Parquet and CSV, plus a manifest, for clients that cannot open DuckDB.

Each file is written under a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from jobmetrics.columns import UNITS
from jobmetrics.warehouse import connect_read_only, fetch_dicts

FORMATS = ("parquet", "csv")


def mart_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = fetch_dicts(
        con, "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
    )
    return [row["table_name"] for row in rows]


def to_cents(relation: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The mart with its money columns rounded to the cent, as a finance reader expects a CSV to hold them (a sum
    of doubles reads 67112.79999999808 otherwise); the Parquet file keeps the warehouse's own values."""
    numeric = ("DOUBLE", "FLOAT", "DECIMAL")
    money = {
        name
        for name, kind in zip(relation.columns, relation.types, strict=True)
        if UNITS.get(name) == "money" and str(kind).startswith(numeric)
    }
    if not money:
        return relation
    return relation.project(
        ", ".join(f'round("{name}", 2) as "{name}"' if name in money else f'"{name}"' for name in relation.columns)
    )


def write_atomically(relation: duckdb.DuckDBPyRelation, path: Path, file_format: str) -> None:
    staged = path.with_name(f".{path.name}.partial")
    if file_format == "parquet":
        relation.write_parquet(str(staged))
    else:
        to_cents(relation).write_csv(str(staged), header=True)
    staged.replace(path)


def export(db: Path, out: Path) -> dict[str, Any]:
    """Write out/<mart>.parquet, out/<mart>.csv (money to the cent) and out/manifest.json; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    with connect_read_only(db) as con:
        as_of = fetch_dicts(con, "select max(snapshot_date) as as_of from marts.mrr_monthly")[0]["as_of"]
        for mart in mart_names(con):
            relation = con.table(f"marts.{mart}")
            for file_format in FORMATS:
                write_atomically(relation, out / f"{mart}.{file_format}", file_format)
            count = con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
            tables[mart] = {
                "rows": int(count),
                "columns": [
                    {"name": name, "type": str(kind)}
                    for name, kind in zip(relation.columns, relation.types, strict=True)
                ],
                "files": [f"{mart}.{file_format}" for file_format in FORMATS],
            }
    manifest = {
        "warehouse": str(db),
        "as_of_date": as_of.isoformat() if as_of else None,
        "built_at": datetime.fromtimestamp(db.stat().st_mtime, UTC).isoformat(timespec="seconds"),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
    }
    staged = out / ".manifest.json.partial"
    staged.write_text(json.dumps(manifest, indent=2) + "\n")
    staged.replace(out / "manifest.json")
    return manifest
