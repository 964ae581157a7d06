"""Where the project's files are: resolved from the project root or a setting, never from the current directory."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT_ROOT / "seeds"
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
TARGET_DIR = PROJECT_ROOT / "target"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "jobmetrics.duckdb"


def from_root(path: str | Path) -> Path:
    """An absolute path as given, a relative one taken from the project root (as dbt, run by make, takes it)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def raw_dir() -> Path:
    """The raw files' folder: $JOBMETRICS_RAW_DIR, else the committed synthetic sample."""
    setting = os.environ.get("JOBMETRICS_RAW_DIR")
    return from_root(setting) if setting else SAMPLE_DIR


def target_dir() -> Path:
    """dbt's target folder: $DBT_TARGET_PATH (dbt's own setting), else target/."""
    setting = os.environ.get("DBT_TARGET_PATH")
    return from_root(setting) if setting else TARGET_DIR


def warehouse_path() -> Path:
    """The published warehouse: $JOBMETRICS_DB when set, else warehouse/jobmetrics.duckdb."""
    setting = os.environ.get("JOBMETRICS_DB")
    return from_root(setting) if setting else DEFAULT_WAREHOUSE


def manifest_path(warehouse: Path | None = None) -> Path:
    """dbt's manifest (what the marts are and mean): $JOBMETRICS_MANIFEST, else the one published beside
    the warehouse (<name>.manifest.json), else the last dbt run's target/manifest.json."""
    setting = os.environ.get("JOBMETRICS_MANIFEST")
    if setting:
        return from_root(setting)
    published = (warehouse or warehouse_path()).with_suffix(".manifest.json")
    return published if published.exists() else target_dir() / "manifest.json"


def duckdb_settings() -> dict[str, str | bool | int | float | list[str]]:
    """DuckDB's resources from the environment, the same defaults as profiles.yml: worker threads, the
    memory it may use before spilling to disk, and where it spills."""
    return {
        "threads": os.environ.get("JOBMETRICS_THREADS", "4"),
        "memory_limit": os.environ.get("JOBMETRICS_MEMORY_LIMIT", "50%"),
        "temp_directory": str(spill_dir()),
    }


def spill_dir() -> Path:
    """Where DuckDB spills what does not fit in its memory: $JOBMETRICS_TEMP_DIR, else target/duckdb_spill."""
    return from_root(os.environ.get("JOBMETRICS_TEMP_DIR", "target/duckdb_spill"))


def semantic_manifest_path(warehouse: Path | None = None) -> Path:
    """MetricFlow's semantic manifest: the one published beside the warehouse (<name>.semantic_manifest.json),
    else the one beside the dbt manifest in use (manifest_path), else target/semantic_manifest.json."""
    published = (warehouse or warehouse_path()).with_suffix(".semantic_manifest.json")
    if published.exists():
        return published
    beside = manifest_path(warehouse).with_name("semantic_manifest.json")
    return beside if beside.exists() else target_dir() / "semantic_manifest.json"
