"""Churn survival (docs/metrics.md, Churn): the edge company's Kaplan-Meier curve worked by hand, and every curve,
interval and log-rank test equal to lifelines' on spells rebuilt from the raw files by reference.py, for the
edge company and the sample."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pandas as pd
import pytest
from builds import COMPANIES, PROJECT_ROOT, SAMPLE, Build
from reference import latest_date, load_raw, paying_spells

pytestmark = pytest.mark.build  # every test reads a built warehouse (one asks for it by name)

LIFELINES_PYTHON = PROJECT_ROOT / ".venv-lifelines" / "bin" / "python"
LIFELINES_REFERENCE = Path(__file__).with_name("lifelines_reference.py")
COMPANY = {"edge": (COMPANIES / "edge_company", "edge_company"), "sample": (SAMPLE, "default_company")}


def lifelines_readout(spells: pd.DataFrame, folder: Path) -> dict[str, Any]:
    assert LIFELINES_PYTHON.exists(), "run `make .venv-lifelines/.installed` (make test does) to install lifelines"
    spells.to_csv(folder / "spells.csv", index=False)
    done = subprocess.run(
        [str(LIFELINES_PYTHON), str(LIFELINES_REFERENCE), str(folder / "spells.csv"), str(folder / "out.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    readout: dict[str, Any] = json.loads((folder / "out.json").read_text())
    return readout


def test_the_edge_companys_survival_worked_by_hand(edge_company: Build) -> None:
    # nine spells (as_of 30 Apr): months paid 0, 1, 2 and 3 with one churn each; censored after 0 (user 5's
    # April comeback), 1 (user 2's), 2 (user 8) and 3 (users 4 and 6)
    rows = edge_company.query(
        "select * from marts.churn_survival where grouped_by = 'overall' order by months_since_start"
    )
    assert rows["months_since_start"].tolist() == [0, 1, 2, 3]
    assert rows["at_risk"].tolist() == [9, 7, 5, 3]
    assert rows["churned"].tolist() == [1, 1, 1, 1]
    assert rows["censored"].tolist() == [1, 1, 1, 2]
    survival = [8 / 9, 8 / 9 * 6 / 7, 8 / 9 * 6 / 7 * 4 / 5, 8 / 9 * 6 / 7 * 4 / 5 * 2 / 3]
    assert rows["survival"].tolist() == pytest.approx(survival, rel=1e-12)
    greenwood = [1 / 72, 1 / 72 + 1 / 42, 1 / 72 + 1 / 42 + 1 / 20, 1 / 72 + 1 / 42 + 1 / 20 + 1 / 6]
    z = NormalDist().inv_cdf(0.975)
    low = [
        math.exp(-math.exp(math.log(-math.log(s)) - z * math.sqrt(g) / math.log(s)))
        for s, g in zip(survival, greenwood, strict=True)
    ]
    high = [
        math.exp(-math.exp(math.log(-math.log(s)) + z * math.sqrt(g) / math.log(s)))
        for s, g in zip(survival, greenwood, strict=True)
    ]
    assert rows["ci_low"].tolist() == pytest.approx(low, rel=1e-12)
    assert rows["ci_high"].tolist() == pytest.approx(high, rel=1e-12)
    assert all(lo < s < hi for lo, s, hi in zip(low, survival, high, strict=True))


@pytest.mark.parametrize("company", ["edge", "sample"])
def test_survival_and_log_rank_equal_lifelines(company: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    folder, fixture = COMPANY[company]
    raw = load_raw(folder)
    spells = paying_spells(raw, latest_date(raw))
    readout = lifelines_readout(spells, tmp_path)
    built: Build = request.getfixturevalue(fixture)
    survival = built.query("select * from marts.churn_survival")
    found = {(row.grouped_by, row.group_value) for row in survival.itertuples()}
    expected_groups = {
        ("plan" if grouping == "plan_id" else grouping, value)
        for grouping, value in (key.split("=", 1) for key in readout["curves"])
    }
    assert found == expected_groups
    for key, curve in readout["curves"].items():
        grouping, value = key.split("=", 1)
        grouping = "plan" if grouping == "plan_id" else grouping
        mine = survival[(survival["grouped_by"] == grouping) & (survival["group_value"] == value)]
        mine = mine.sort_values("months_since_start")
        theirs = pd.DataFrame(curve)
        assert mine["months_since_start"].tolist() == theirs["months_since_start"].tolist(), key
        assert mine["survival"].tolist() == pytest.approx(theirs["survival"].tolist(), rel=1e-9, abs=1e-12), key
        alive = mine["survival"].to_numpy() > 0
        assert mine["ci_low"].isna().tolist() == (~alive).tolist(), key
        assert mine["ci_low"][alive].tolist() == pytest.approx(theirs["ci_low"][alive].tolist(), rel=1e-9), key
        assert mine["ci_high"][alive].tolist() == pytest.approx(theirs["ci_high"][alive].tolist(), rel=1e-9), key
        counted = theirs["at_risk"].notna().to_numpy()
        assert mine["at_risk"][counted].tolist() == theirs["at_risk"][counted].astype(int).tolist(), key
        assert mine["churned"][counted].tolist() == theirs["churned"][counted].astype(int).tolist(), key
    tests = built.query("select * from marts.churn_survival_tests").set_index("grouped_by")
    assert sorted(tests.index) == sorted("plan" if g == "plan_id" else g for g in readout["tests"])
    for grouping, expected in readout["tests"].items():
        row = tests.loc["plan" if grouping == "plan_id" else grouping]
        assert row["test_statistic"] == pytest.approx(expected["test_statistic"], rel=1e-9), grouping
        assert row["p_value"] == pytest.approx(expected["p_value"], rel=1e-9, abs=1e-15), grouping
        assert row["spells"] == len(spells)
