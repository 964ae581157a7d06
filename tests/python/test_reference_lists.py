"""The lists a company edits are written once, as seeds: the KPIs (seeds/kpi_thresholds.csv) and the monitored
daily metrics (seeds/monitored_metrics.csv). A KPI or metric in the seed that the models do not compute, or
computed but not listed, stops the build with a message naming it; nothing disappears through a join."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from builds import PROJECT_ROOT, Build, dbt_build

pytestmark = pytest.mark.build


def project_copy(folder: Path) -> Path:
    ignored = (".venv*", ".git", "target", "logs", "warehouse", "data", "tests", "*.egg-info", "__pycache__")
    shutil.copytree(PROJECT_ROOT, folder, ignore=shutil.ignore_patterns(*ignored))
    shutil.copytree(PROJECT_ROOT / "tests", folder / "tests", ignore=shutil.ignore_patterns("python"))
    return folder


def test_a_list_and_its_models_that_disagree_stop_the_build(edge_company: Build, tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    kpis = pd.read_csv(project / "seeds/kpi_thresholds.csv", dtype=str)
    extra = kpis.iloc[[0]].assign(kpi="made_up_kpi", label="Made up")
    pd.concat([kpis, extra]).to_csv(project / "seeds/kpi_thresholds.csv", index=False)
    metrics = pd.read_csv(project / "seeds/monitored_metrics.csv", dtype=str)
    metrics[metrics["metric"] != "scans"].to_csv(project / "seeds/monitored_metrics.csv", index=False)

    workdir = tmp_path / "build"
    workdir.mkdir()
    shutil.copy(edge_company.db, workdir / edge_company.db.name)
    selected = ("kpi_thresholds", "monitored_metrics", "kpi_history", "kpi_summary", "metric_daily_series")
    built = dbt_build(workdir, "--select", *selected, "--exclude", "test_type:unit", project=project)
    assert built.returncode != 0
    for message in (
        "in seeds/kpi_thresholds.csv but not in the columns of kpi_monthly: made_up_kpi.",
        "in the series of metric_daily_series but not in seeds/monitored_metrics.csv: scans.",
    ):
        assert message in built.output, f"{message!r} not in:\n{built.output[-4000:]}"
    # the previous good marts are what the warehouse still holds
    assert "made_up_kpi" not in set(built.query("select kpi from marts.kpi_summary")["kpi"])
