"""The log-rank test of each grouping of paying spells (segment, channel, plan): do their survival curves differ?
Definitions in docs/metrics.md (Churn).

It reads the mart churn_survival (SQL, every engine), whose spells at risk and churned per group and month are
all the test needs; dbt-duckdb's Python model int_churn_logrank calls it, and pytest checks it against
lifelines on per-spell data. The chi-square distribution is scipy.special's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

LOGRANK_COLUMNS = ["tenant_id", "grouped_by", "groups", "spells", "test_statistic", "degrees_of_freedom", "p_value"]


def logrank(at_risk: pd.DataFrame, churned: pd.DataFrame) -> tuple[float, int]:
    """The log-rank chi-square statistic and its degrees of freedom, from spells at risk and churned with one row
    per month and one column per group (the Mantel-Haenszel form: hypergeometric variances, k - 1 groups)."""
    n = at_risk.to_numpy(dtype=float)
    d = churned.to_numpy(dtype=float)
    n_total, d_total = n.sum(axis=1), d.sum(axis=1)
    watched = n_total > 0
    n, d, n_total, d_total = n[watched], d[watched], n_total[watched], d_total[watched]
    share = n / n_total[:, None]
    observed_minus_expected = (d - share * d_total[:, None]).sum(axis=0)
    # a month with one spell at risk has no variance to add
    spread = np.divide(d_total * (n_total - d_total), n_total - 1, out=np.zeros_like(n_total), where=n_total > 1)
    groups = n.shape[1]
    variance = np.einsum("t,tg,tgh->gh", spread, share, np.eye(groups)[None, :, :] - share[:, None, :])
    kept = slice(0, groups - 1)
    statistic = float(
        observed_minus_expected[kept] @ np.linalg.pinv(variance[kept, kept]) @ observed_minus_expected[kept]
    )
    return statistic, groups - 1


def logrank_tests(survival: pd.DataFrame) -> pd.DataFrame:
    """One row per tenant and grouping of churn_survival other than `overall`: groups, spells, the log-rank
    statistic, degrees of freedom and p-value (null with fewer than two groups)."""
    rows = []
    grouped = survival[survival["grouped_by"] != "overall"]
    for (tenant_id, grouping), table in grouped.groupby(["tenant_id", "grouped_by"], sort=True):
        at_risk = table.pivot(index="months_since_start", columns="group_value", values="at_risk").fillna(0)
        churned = table.pivot(index="months_since_start", columns="group_value", values="churned").fillna(0)
        groups = at_risk.shape[1]
        spells = int(table.loc[table["months_since_start"] == 0, "at_risk"].sum())
        statistic, degrees = logrank(at_risk, churned) if groups > 1 else (float("nan"), 0)
        p_value = float(special.chdtrc(degrees, statistic)) if groups > 1 else float("nan")
        rows.append([tenant_id, grouping, groups, spells, statistic, degrees, p_value])
    frame = pd.DataFrame(rows, columns=LOGRANK_COLUMNS)
    return frame.astype(
        {
            "tenant_id": "string",
            "grouped_by": "string",
            "groups": "int64",
            "spells": "int64",
            "test_statistic": "float64",
            "degrees_of_freedom": "int64",
            "p_value": "float64",
        }
    )
