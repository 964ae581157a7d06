"""Experiment readouts from sufficient statistics: lifts, intervals, p-values, CUPED, sequential p-values, the
sample-ratio check and a verdict in words. Definitions in docs/metrics.md (Experiments).

The sums come from the mart experiment_sufficient_statistics (SQL, every engine); dbt-duckdb's Python models
int_experiment_lifts and int_experiment_checks call these functions, so the statistics live here once, typed
and tested against scipy.stats on per-user data. The distributions are scipy.special's functions (those
scipy.stats calls), whose import costs the build a third of scipy.stats'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import special

Z_95 = 1.959964  # the two-sided 95% normal quantile, as docs/metrics.md writes it
SRM_ALPHA = 0.001
SIGNIFICANCE = 0.05
# The mSPRT's normal mixture is tuned, as GrowthBook tunes it, to be tightest near this many users per
# variant (Howard et al. 2021, eq. 14); the p-values stay valid at any number of looks whatever it is.
SEQUENTIAL_TUNING_USERS = 5_000
PRIMARY_METRIC = "conversion"
METRIC_WORDS = {"conversion": "conversion", "scans_per_user": "scans per user", "match_rate": "match rate"}

KEYS = ["tenant_id", "experiment_id"]
LIFT_COLUMNS = [
    "control_value",
    "absolute_lift",
    "relative_lift",
    "standard_error",
    "ci_low",
    "ci_high",
    "p_value",
    "sequential_p_value",
    "cuped_value",
    "cuped_absolute_lift",
    "cuped_ci_low",
    "cuped_ci_high",
    "cuped_p_value",
]
RESULT_COLUMNS = [*KEYS, "variant", "is_control", "metric", "users", "value", *LIFT_COLUMNS]
CHECK_COLUMNS = [*KEYS, "srm_p_value", "srm_flag", "verdict"]


@dataclass(frozen=True)
class Estimate:
    """A variant's value for one metric and the variance of that value (not of a single user's)."""

    value: float
    variance: float


def sample_variance(n: float, total: float, squares: float) -> float:
    """The sample variance (n - 1 denominator) from a sum and a sum of squares (nan below two users)."""
    if n < 2:
        return math.nan
    return max(squares - total * total / n, 0.0) / (n - 1)


def sample_covariance(n: float, total_x: float, total_y: float, products: float) -> float:
    if n < 2:
        return math.nan
    return (products - total_x * total_y / n) / (n - 1)


def mean_estimate(row: pd.Series) -> Estimate:
    n = float(row["users"])
    if n == 0:
        return Estimate(math.nan, math.nan)
    return Estimate(row["value_sum"] / n, sample_variance(n, row["value_sum"], row["value_sum_squares"]) / n)


def ratio_estimate(row: pd.Series) -> Estimate:
    """The ratio of means of numerator and denominator, its variance by the delta method."""
    n = float(row["users"])
    if n == 0 or row["denominator_sum"] == 0:
        return Estimate(math.nan, math.nan)
    mean_a, mean_b = row["value_sum"] / n, row["denominator_sum"] / n
    var_a = sample_variance(n, row["value_sum"], row["value_sum_squares"])
    var_b = sample_variance(n, row["denominator_sum"], row["denominator_sum_squares"])
    cov_ab = sample_covariance(n, row["value_sum"], row["denominator_sum"], row["value_denominator_sum_products"])
    variance = (var_a / mean_b**2 - 2 * mean_a * cov_ab / mean_b**3 + mean_a**2 * var_b / mean_b**4) / n
    return Estimate(mean_a / mean_b, variance)


def estimate(row: pd.Series) -> Estimate:
    return ratio_estimate(row) if row["metric"] == "match_rate" else mean_estimate(row)


def cuped_theta(rows: pd.DataFrame) -> float:
    """theta = cov(value, covariate) / var(covariate) over every counted user of the experiment (0 when the
    covariate does not vary)."""
    n = float(rows["users"].sum())
    total_y, total_x = float(rows["value_sum"].sum()), float(rows["covariate_sum"].sum())
    var_x = sample_variance(n, total_x, float(rows["covariate_sum_squares"].sum()))
    cov = sample_covariance(n, total_y, total_x, float(rows["value_covariate_sum_products"].sum()))
    return 0.0 if not var_x or math.isnan(var_x) else cov / var_x


def cuped_estimate(row: pd.Series, theta: float, pooled_covariate_mean: float) -> Estimate:
    """The variant's mean of value - theta * (covariate - pooled covariate mean), and that mean's variance."""
    n = float(row["users"])
    if n == 0:
        return Estimate(math.nan, math.nan)
    var_y = sample_variance(n, row["value_sum"], row["value_sum_squares"])
    var_x = sample_variance(n, row["covariate_sum"], row["covariate_sum_squares"])
    cov = sample_covariance(n, row["value_sum"], row["covariate_sum"], row["value_covariate_sum_products"])
    adjusted = row["value_sum"] / n - theta * (row["covariate_sum"] / n - pooled_covariate_mean)
    return Estimate(adjusted, (var_y + theta**2 * var_x - 2 * theta * cov) / n)


@dataclass(frozen=True)
class Lift:
    absolute: float
    standard_error: float

    @property
    def ci_low(self) -> float:
        return self.absolute - Z_95 * self.standard_error

    @property
    def ci_high(self) -> float:
        return self.absolute + Z_95 * self.standard_error

    @property
    def p_value(self) -> float:
        if not self.standard_error > 0:
            return math.nan
        return float(2 * special.ndtr(-abs(self.absolute / self.standard_error)))


def lift(treatment: Estimate, control: Estimate) -> Lift:
    return Lift(treatment.value - control.value, math.sqrt(treatment.variance + control.variance))


def sequential_p_value(found: Lift, unit_variance: float, alpha: float = SIGNIFICANCE) -> float:
    """The mixture SPRT's always-valid p-value for a lift: 1 / the likelihood ratio of a normal mixture over the
    true lift against a lift of 0 (docs/metrics.md, sequential_p_value). The mixture's variance is rho times the
    two variants' per-user variances summed, rho tuned by SEQUENTIAL_TUNING_USERS."""
    variance = found.standard_error**2
    if not variance > 0 or not unit_variance > 0:
        return math.nan
    rho = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / SEQUENTIAL_TUNING_USERS
    tau2 = rho * unit_variance
    log_ratio = 0.5 * math.log(variance / (variance + tau2)) + found.absolute**2 * tau2 / (
        2 * variance * (variance + tau2)
    )
    return float(math.exp(min(0.0, -log_ratio)))


def unit_variance(row: pd.Series, found: Estimate) -> float:
    """A single user's variance for the metric (the value's variance times n)."""
    return found.variance * float(row["users"])


def experiment_lifts(rows: pd.DataFrame) -> list[dict[str, object]]:
    """One experiment's result rows: every variant and metric, lifts against the control on the others."""
    out: list[dict[str, object]] = []
    for metric, metric_rows in rows.groupby("metric", sort=False):
        control_rows = metric_rows[metric_rows["is_control"]]
        control_row = control_rows.iloc[0] if len(control_rows) == 1 else None
        control = estimate(control_row) if control_row is not None else None
        theta = pooled_mean = math.nan
        if metric == "scans_per_user":
            theta = cuped_theta(metric_rows)
            counted = float(metric_rows["users"].sum())
            pooled_mean = float(metric_rows["covariate_sum"].sum()) / counted if counted else math.nan
        for _, row in metric_rows.iterrows():
            found = estimate(row)
            record: dict[str, object] = {
                **{key: row[key] for key in KEYS},
                "variant": row["variant"],
                "is_control": bool(row["is_control"]),
                "metric": metric,
                "users": int(row["users"]),
                "value": found.value,
                **{column: math.nan for column in LIFT_COLUMNS},
            }
            if metric == "scans_per_user":
                record["cuped_value"] = cuped_estimate(row, theta, pooled_mean).value
            if not row["is_control"] and control is not None and control_row is not None:
                difference = lift(found, control)
                record.update(
                    control_value=control.value,
                    absolute_lift=difference.absolute,
                    relative_lift=difference.absolute / control.value if control.value else math.nan,
                    standard_error=difference.standard_error,
                    ci_low=difference.ci_low,
                    ci_high=difference.ci_high,
                    p_value=difference.p_value,
                    sequential_p_value=sequential_p_value(
                        difference, unit_variance(row, found) + unit_variance(control_row, control)
                    ),
                )
                if metric == "scans_per_user":
                    adjusted = lift(
                        cuped_estimate(row, theta, pooled_mean), cuped_estimate(control_row, theta, pooled_mean)
                    )
                    record.update(
                        cuped_absolute_lift=adjusted.absolute,
                        cuped_ci_low=adjusted.ci_low,
                        cuped_ci_high=adjusted.ci_high,
                        cuped_p_value=adjusted.p_value,
                    )
            out.append(record)
    return out


def lifts(sufficient_statistics: pd.DataFrame) -> pd.DataFrame:
    """experiment_results' numbers: one row per experiment, variant and metric (lift columns empty on the
    control's rows, and where a variant has fewer than two users)."""
    records = [
        record
        for _, rows in sufficient_statistics.groupby(KEYS, sort=True)
        for record in experiment_lifts(rows.reset_index(drop=True))
    ]
    frame = pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)
    # nullable floats, so that a number that cannot be computed is NULL in the warehouse rather than NaN
    return frame.astype({"users": "int64", "is_control": "bool", **{c: "Float64" for c in ["value", *LIFT_COLUMNS]}})


def sample_ratio_p_value(users: list[int], weights: list[float]) -> float:
    """The chi-square goodness-of-fit p-value of the users per variant against the planned weights."""
    total = sum(users)
    if total == 0 or len(users) < 2:
        return math.nan
    expected = [total * weight / sum(weights) for weight in weights]
    statistic = sum((observed - wanted) ** 2 / wanted for observed, wanted in zip(users, expected, strict=True))
    return float(special.chdtrc(len(users) - 1, statistic))


def points(value: float) -> str:
    return f"{value * 100:.1f}"


def p_words(p_value: float) -> str:
    """A p-value as a reader takes it in: "p < 0.001", else three decimals ("p = 0.012"). The same wording as
    kpis.format_value's p_value unit; written here too because dbt's Python models import nothing outside stats."""
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def verdict(results: pd.DataFrame, srm_p_value: float) -> str:
    """The readout in one sentence: broken, not enough data, the primary metric's significant lift, or none."""
    if results["users"].sum() == 0:
        return "not enough data yet: no exposure's window has ended"
    if srm_p_value < SRM_ALPHA:
        return (
            f"broken: sample-ratio mismatch ({p_words(srm_p_value)}); the split differs from the plan, so do not "
            "trust its results"
        )
    primary = results[(results["metric"] == PRIMARY_METRIC) & ~results["is_control"]]
    significant = primary[primary["p_value"] < SIGNIFICANCE].sort_values("p_value")
    if significant.empty:
        return f"no detectable difference in {METRIC_WORDS[PRIMARY_METRIC]}"
    best = significant.iloc[0]
    direction = "raises" if best["absolute_lift"] > 0 else "lowers"
    return (
        f"{best['variant']} {direction} {METRIC_WORDS[PRIMARY_METRIC]} by {points(abs(best['absolute_lift']))} "
        f"points (95% CI {points(best['ci_low'])} to {points(best['ci_high'])})"
    )


def checks(sufficient_statistics: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """experiment_summary's judgements: one row per experiment with its sample-ratio check and verdict."""
    records = []
    for (tenant, experiment), rows in sufficient_statistics.groupby(KEYS, sort=True):
        counted = rows[rows["metric"] == PRIMARY_METRIC]
        p_value = sample_ratio_p_value(counted["users"].astype(int).tolist(), counted["weight"].astype(float).tolist())
        readout = results[(results["tenant_id"] == tenant) & (results["experiment_id"] == experiment)]
        records.append(
            {
                "tenant_id": tenant,
                "experiment_id": experiment,
                "srm_p_value": p_value,
                "srm_flag": bool(p_value < SRM_ALPHA),
                "verdict": verdict(readout, p_value),
            }
        )
    return pd.DataFrame.from_records(records, columns=CHECK_COLUMNS).astype(
        {"srm_p_value": "Float64", "srm_flag": "bool", "tenant_id": "str", "experiment_id": "str", "verdict": "str"}
    )
