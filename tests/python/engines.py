"""Builds on the other engines for the tests: a throwaway PostgreSQL 15, a local Spark, and their marts.

Each engine build runs the real command (`jobmetrics build --target ...`, what `make build TARGET=...`
runs) and then writes every mart it built to Parquet, so the comparison with DuckDB reads all three
engines the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from builds import PROJECT_ROOT, Build

RELATIVE_TOLERANCE = 1e-9
# The comparison build is a few thousand rows: a JVM that compiles less (the first JIT tier only) and Spark SQL
# without generated code or adaptive re-planning took 186 CPU-seconds instead of 219 to 236, the same wall time;
# one shuffle partition instead of four, 186 to 195 instead of 211 (the Spark test alone, its DuckDB build included).
SMALL_DATA_SPARK = {
    "JOBMETRICS_SPARK_SHUFFLE_PARTITIONS": "1",
    "JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "PYSPARK_SUBMIT_ARGS": "--conf spark.sql.codegen.wholeStage=false --conf spark.sql.codegen.factoryMode=NO_CODEGEN "
    "--conf spark.sql.adaptive.enabled=false pyspark-shell",
}


def dump_postgres_marts(out: Path) -> None:
    """Every table of schema marts as <out>/<table>.parquet, read through psycopg2 (PG* settings)."""
    from jobmetrics.pipeline.engines import postgres

    with postgres.Connection() as con:
        listed = con.execute("select table_name from information_schema.tables where table_schema = 'marts'")
        for (table,) in listed.fetchall():
            cursor = con.execute(f"select * from marts.{table}")
            frame = pd.DataFrame(cursor.fetchall(), columns=[column[0] for column in cursor.description or []])
            duckdb.from_df(frame).write_parquet(str(out / f"{table}.parquet"))


def build_on(target: str, raw_dir: Path, workdir: Path, env: dict[str, str], *dbt_args: str) -> Build:
    """`jobmetrics build --target <target>` from raw_dir; then every mart it built as Parquet in marts_folder().

    Spark's tables are Parquet files under its warehouse folder already, read there as Spark reads them
    (a second JVM to export them would cost more than the comparison); PostgreSQL's are dumped.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    run_env = {
        **os.environ,
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "JOBMETRICS_SPARK_DIR": str(workdir / "spark"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        **(SMALL_DATA_SPARK if target == "spark" else {}),
        **env,
    }
    command = [
        str(Path(sys.executable).with_name("jobmetrics")),
        "build",
        "--target",
        target,
        "--raw-dir",
        str(raw_dir),
    ]
    done = subprocess.run(
        [*command, *(["--", *dbt_args] if dbt_args else [])],
        cwd=PROJECT_ROOT,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = done.stdout + done.stderr
    if done.returncode == 0 and target == "postgres":
        (workdir / "marts").mkdir(exist_ok=True)
        dumped = subprocess.run(
            [sys.executable, __file__, str(workdir / "marts")],
            cwd=workdir,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output += dumped.stdout + dumped.stderr
        return Build(workdir, dumped.returncode, output)
    return Build(workdir, done.returncode, output)


def marts_folder(build: Build) -> Path:
    dumped = build.workdir / "marts"
    return dumped if dumped.exists() else build.workdir / "spark" / "tables" / "marts.db"


def engine_marts(build: Build) -> dict[str, pd.DataFrame]:
    """Each mart: a Parquet file (dumped), or a folder of Parquet parts (a Spark table)."""
    with duckdb.connect() as con:
        return {
            path.stem: con.read_parquet(str(path / "*.parquet") if path.is_dir() else str(path)).df()
            for path in sorted(marts_folder(build).iterdir())
        }


def normalised(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """The engine's frame in the reference's column types: floats as floats, times as timestamps, the rest as text."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in like.columns:
        values = frame[column].reset_index(drop=True) if column in frame else pd.Series([None] * len(frame))
        kind = like[column].dtype
        if pd.api.types.is_float_dtype(kind):
            out[column] = pd.to_numeric(values, errors="coerce").astype(float)
        elif pd.api.types.is_datetime64_any_dtype(kind):
            out[column] = pd.to_datetime(values).astype("datetime64[us]")
        else:
            out[column] = [
                None if pd.isna(v) else str(int(v) if isinstance(v, float | np.floating) else v) for v in values
            ]
    return out


def differences(mart: str, engine: str, reference: pd.DataFrame, other: pd.DataFrame) -> list[str]:
    """Every way `other` differs from `reference`: columns, rows, and values (floats within 1e-9 relative)."""
    if list(other.columns) != list(reference.columns):
        return [f"{mart}: columns differ: duckdb {list(reference.columns)}, {engine} {list(other.columns)}"]
    if len(other) != len(reference):
        return [f"{mart}: duckdb has {len(reference)} rows, {engine} {len(other)}"]
    left, right = normalised(reference, reference), normalised(other, reference)
    keys = [c for c in reference.columns if not pd.api.types.is_float_dtype(reference[c].dtype)]
    floats = [c for c in reference.columns if c not in keys]
    left = left.sort_values(keys + floats, na_position="last", key=lambda s: s.astype(str)).reset_index(drop=True)
    right = right.sort_values(keys + floats, na_position="last", key=lambda s: s.astype(str)).reset_index(drop=True)
    problems = []
    for column in reference.columns:
        a, b = left[column], right[column]
        if column in floats:
            same = np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=1e-12, equal_nan=True)
        else:
            same = (a == b) | (a.isna() & b.isna())
        for row in np.flatnonzero(~np.asarray(same))[:3]:
            key = ", ".join(f"{k}={left.at[row, k]!s}" for k in keys[:3])
            problems.append(f"{mart} ({key}): {column} duckdb={a[row]!r} {engine}={b[row]!r}")
    return problems


if __name__ == "__main__":
    dump_postgres_marts(Path(sys.argv[1]))
