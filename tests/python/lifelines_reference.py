"""lifelines' Kaplan-Meier and log-rank test of paying spells, run in .venv-lifelines (lifelines wants pandas 2).

python lifelines_reference.py SPELLS.csv OUT.json: SPELLS.csv has one row per spell (months_paid, is_churned
and one column per grouping); OUT.json holds, per grouping and group, lifelines' survival, interval and event
table at every month from 0 to the group's longest spell, and per grouping the log-rank statistic and p-value.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

GROUPINGS = ["segment", "acquisition_channel", "plan_id"]


def curve(spells: pd.DataFrame) -> list[dict[str, float | None]]:
    fitted = KaplanMeierFitter().fit(spells["months_paid"], spells["is_churned"])
    months = list(range(int(spells["months_paid"].max()) + 1))
    survival = fitted.survival_function_at_times(months).to_numpy()
    interval = fitted.confidence_interval_survival_function_.reindex(months, method="ffill").to_numpy()
    events = fitted.event_table.reindex(months)
    return [
        {
            "months_since_start": month,
            "survival": float(survival[i]),
            "ci_low": float(interval[i, 0]),
            "ci_high": float(interval[i, 1]),
            "at_risk": None if pd.isna(events["at_risk"].iloc[i]) else int(events["at_risk"].iloc[i]),
            "churned": None if pd.isna(events["observed"].iloc[i]) else int(events["observed"].iloc[i]),
        }
        for i, month in enumerate(months)
    ]


def main(spells_csv: str, out: str) -> None:
    spells = pd.read_csv(spells_csv, dtype={"plan_id": str})
    spells["overall"] = "all"
    curves = {
        f"{grouping}={value}": curve(group)
        for grouping in ["overall", *GROUPINGS]
        for value, group in spells.groupby(grouping)
    }
    tests = {}
    for grouping in GROUPINGS:
        result = multivariate_logrank_test(spells["months_paid"], spells[grouping], spells["is_churned"])
        tests[grouping] = {"test_statistic": float(result.test_statistic), "p_value": float(result.p_value)}
    Path(out).write_text(json.dumps({"curves": curves, "tests": tests}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
