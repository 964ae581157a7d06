"""Great Expectations' part of the gate: whether each raw value's text read as its column's type, validated from
the format outcomes DuckDB computed, and the Data Docs of that validation.

Importing GX takes 4 to 5 seconds (scipy, SQLAlchemy, Altair and pyspark come with it), longer than the gate's
own work on a small company. The gate imports it and opens the project in a thread while DuckDB reads
the files, which releases Python's lock while it works; the gate takes the project when it needs it. In a
build whose files DuckDB found readable, the validation and Data Docs stay in that thread while the files load and
dbt builds (jobmetrics.pipeline.build.check_raw_beside).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pandas as pd


def open_project(docs_dir: Path | None) -> Any:
    """A GX project: in memory, or under docs_dir (its Data Docs from the last run removed)."""
    # GX probes for pyspark (installed for the Spark target), whose import warns about pandas 3; the gate
    # gives GX pandas frames only, so the warning says nothing about this run.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if docs_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        shutil.rmtree(docs_dir / "gx", ignore_errors=True)  # GX's own folder only: last run's docs
        context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # they would drown the report
    context.data_sources.add_pandas("raw_files")
    return context


def failed_flags(context: Any, name: str, frame: pd.DataFrame, flags: list[str]) -> list[str]:
    """The flag columns of `frame` (one row per distinct combination of outcomes) that are not all true, as GX
    judges them, under the name its Data Docs show."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    source = context.data_sources.get("raw_files")
    batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("check_outcomes")
    expected = [gxe.ExpectColumnValuesToBeInSet(column=flag, value_set=[True]) for flag in flags]
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expected))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    outcome = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
    return [str(result.expectation_config.kwargs["column"]) for result in outcome.results if not result.success]
