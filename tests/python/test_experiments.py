"""Experiment readouts (docs/metrics.md, Experiments): a tiny experiment worked by hand, the sample's readouts
against scipy on per-user values computed independently from the raw files (tests/python/reference.py),
the planted sample-ratio mismatch, who is left out, and peeking made safe by the sequential p-value."""

from __future__ import annotations

import math
import shutil
import statistics
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import reference
from builds import COMPANIES, PROJECT_ROOT, SAMPLE, Build
from scipy import stats

from jobmetrics.alerts import monitoring
from jobmetrics.cli import alerts
from jobmetrics.kpis import format_value
from jobmetrics.pipeline import raw
from jobmetrics.stats import experiments

SAMPLE_AS_OF = date(2025, 12, 31)
METRICS = ("conversion", "scans_per_user", "match_rate")


def sufficient(
    variant: str,
    metric: str,
    values: Sequence[float],
    denominators: Sequence[float] | None = None,
    covariates: Sequence[float] | None = None,
    is_control: bool = False,
    weight: float = 1.0,
) -> dict[str, Any]:
    """One row of experiment_sufficient_statistics, summed from per-user values."""
    row: dict[str, Any] = {
        "tenant_id": "acme",
        "experiment_id": "onboarding",
        "variant": variant,
        "is_control": is_control,
        "weight": weight,
        "metric": metric,
        "users": len(values),
        "value_sum": sum(values),
        "value_sum_squares": sum(v * v for v in values),
    }
    if denominators is not None:
        row |= {
            "denominator_sum": sum(denominators),
            "denominator_sum_squares": sum(d * d for d in denominators),
            "value_denominator_sum_products": sum(v * d for v, d in zip(values, denominators, strict=True)),
        }
    if covariates is not None:
        row |= {
            "covariate_sum": sum(covariates),
            "covariate_sum_squares": sum(c * c for c in covariates),
            "value_covariate_sum_products": sum(v * c for v, c in zip(values, covariates, strict=True)),
        }
    return row


Row = dict[str, Any]


def keyed(frame: pd.DataFrame, *keys: str) -> dict[Any, Row]:
    """A frame's rows by their key columns (one key: its value; several: a tuple)."""
    return {
        (row[keys[0]] if len(keys) == 1 else tuple(row[key] for key in keys)): row for row in reference.records(frame)
    }


def readout_frame(rows: list[Row]) -> pd.DataFrame:
    return experiments.lifts(pd.DataFrame(rows))


def readout(rows: list[Row]) -> dict[Any, Row]:
    return keyed(readout_frame(rows), "variant", "metric")


def test_a_tiny_conversion_experiment_worked_by_hand() -> None:
    # control converts 2 of 4 (mean 1/2, sample variance 1/3); treatment 4 of 5 (mean 4/5, variance 1/5)
    found = readout(
        [
            sufficient("control", "conversion", [0, 1, 0, 1], is_control=True),
            sufficient("treatment", "conversion", [1, 1, 1, 0, 1]),
        ]
    )["treatment", "conversion"]
    standard_error = math.sqrt((1 / 5) / 5 + (1 / 3) / 4)
    assert found["value"] == pytest.approx(0.8, abs=1e-12)
    assert found["control_value"] == pytest.approx(0.5, abs=1e-12)
    assert found["absolute_lift"] == pytest.approx(0.3, abs=1e-12)
    assert found["relative_lift"] == pytest.approx(0.6, abs=1e-12)
    assert found["standard_error"] == pytest.approx(standard_error, abs=1e-12)
    assert found["ci_low"] == pytest.approx(0.3 - 1.959964 * standard_error, abs=1e-12)
    assert found["ci_high"] == pytest.approx(0.3 + 1.959964 * standard_error, abs=1e-12)
    # two-sided normal p-value: P(|Z| > z) = erfc(z / sqrt 2)
    assert found["p_value"] == pytest.approx(math.erfc(0.3 / standard_error / math.sqrt(2)), abs=1e-12)


def test_the_control_rows_carry_no_lift() -> None:
    found = readout(
        [
            sufficient("control", "conversion", [0, 1, 0, 1], is_control=True),
            sufficient("treatment", "conversion", [1, 1, 1, 0, 1]),
        ]
    )["control", "conversion"]
    assert found["value"] == pytest.approx(0.5)
    assert all(pd.isna(found[column]) for column in experiments.LIFT_COLUMNS)


def delta_variance(numerators: list[float], denominators: list[float]) -> float:
    """The variance of a ratio of means by the delta method, from the per-user values."""
    n = len(numerators)
    mean_a, mean_b = statistics.fmean(numerators), statistics.fmean(denominators)
    var_a, var_b = statistics.variance(numerators), statistics.variance(denominators)
    cov_ab = statistics.covariance(numerators, denominators)
    return (var_a / mean_b**2 - 2 * mean_a * cov_ab / mean_b**3 + mean_a**2 * var_b / mean_b**4) / n


def test_match_rate_is_a_ratio_of_sums_with_a_delta_method_interval() -> None:
    control = ([150.0, 0.0, 80.0, 130.0], [2.0, 0.0, 1.0, 2.0])  # (sum of match rates, scans) per user
    treatment = ([90.0, 170.0, 60.0, 0.0, 140.0], [1.0, 2.0, 1.0, 0.0, 2.0])
    found = readout(
        [
            sufficient("control", "match_rate", *control, is_control=True),
            sufficient("treatment", "match_rate", *treatment),
        ]
    )["treatment", "match_rate"]
    assert found["control_value"] == pytest.approx(360 / 5, abs=1e-12)
    assert found["value"] == pytest.approx(460 / 6, abs=1e-12)
    standard_error = math.sqrt(delta_variance(*control) + delta_variance(*treatment))
    assert found["standard_error"] == pytest.approx(standard_error, rel=1e-12)
    assert found["p_value"] == pytest.approx(math.erfc(abs(460 / 6 - 72) / standard_error / math.sqrt(2)), rel=1e-9)


def test_cuped_adjusts_by_the_scans_before_exposure() -> None:
    control_after, control_before = [3.0, 0.0, 5.0, 2.0, 1.0], [2.0, 0.0, 4.0, 2.0, 0.0]
    treatment_after, treatment_before = [4.0, 2.0, 6.0, 1.0, 3.0, 5.0], [3.0, 1.0, 4.0, 0.0, 1.0, 5.0]
    found = readout(
        [
            sufficient("control", "scans_per_user", control_after, covariates=control_before, is_control=True),
            sufficient("treatment", "scans_per_user", treatment_after, covariates=treatment_before),
        ]
    )
    every_after, every_before = control_after + treatment_after, control_before + treatment_before
    theta = statistics.covariance(every_after, every_before) / statistics.variance(every_before)
    mean_before = statistics.fmean(every_before)

    def adjusted(after: list[float], before: list[float]) -> list[float]:
        return [y - theta * (x - mean_before) for y, x in zip(after, before, strict=True)]

    control, treatment = adjusted(control_after, control_before), adjusted(treatment_after, treatment_before)
    lift = statistics.fmean(treatment) - statistics.fmean(control)
    standard_error = math.sqrt(statistics.variance(treatment) / 6 + statistics.variance(control) / 5)
    row = found["treatment", "scans_per_user"]
    assert row["cuped_value"] == pytest.approx(statistics.fmean(treatment), rel=1e-12)
    assert found["control", "scans_per_user"]["cuped_value"] == pytest.approx(statistics.fmean(control))
    assert row["cuped_absolute_lift"] == pytest.approx(lift, rel=1e-12)
    assert row["cuped_ci_high"] - row["cuped_ci_low"] == pytest.approx(2 * 1.959964 * standard_error, rel=1e-12)
    assert row["cuped_ci_high"] - row["cuped_ci_low"] < row["ci_high"] - row["ci_low"]  # past scans predict


def test_the_sample_ratio_check_is_a_chi_square_test_against_the_weights() -> None:
    # 60 and 40 users planned 50/50: chi-square (10^2/50) * 2 = 4 on one degree of freedom, P = erfc(sqrt(4/2))
    assert experiments.sample_ratio_p_value([60, 40], [50.0, 50.0]) == pytest.approx(math.erfc(math.sqrt(2)))
    users, weights = [410, 300, 290], [2.0, 1.0, 1.0]
    expected = [sum(users) * w / sum(weights) for w in weights]
    assert experiments.sample_ratio_p_value(users, weights) == pytest.approx(
        stats.chisquare(users, expected).pvalue, rel=1e-9
    )
    assert math.isnan(experiments.sample_ratio_p_value([0, 0], [1.0, 1.0]))


def test_the_verdict_says_broken_winner_or_nothing() -> None:
    winner = readout_frame(
        [
            sufficient("control", "conversion", [0] * 80 + [1] * 20, is_control=True),
            sufficient("checklist", "conversion", [0] * 60 + [1] * 40),
        ]
    )
    assert experiments.verdict(winner, 0.5).startswith("checklist raises conversion by 20.0 points (95% CI 7.")
    assert experiments.verdict(winner, 0.0001).startswith("broken: sample-ratio mismatch (p < 0.001)")
    flat = readout_frame(
        [
            sufficient("control", "conversion", [0, 1] * 50, is_control=True),
            sufficient("checklist", "conversion", [1, 0] * 50),
        ]
    )
    assert experiments.verdict(flat, 0.5) == "no detectable difference in conversion"
    assert experiments.verdict(flat.assign(users=0), math.nan).startswith("not enough data yet")


def looks(rng: np.random.Generator, runs: int, days: int, per_day: int, rates: tuple[float, float]) -> np.ndarray:
    """Cumulative (users, conversions) per arm after each day, for many A/B runs: shape (runs, days, 2, 2)."""
    converted = rng.binomial(per_day, rates, size=(runs, days, 2))
    users = np.full((runs, days, 2), per_day)
    return np.stack([users.cumsum(axis=1), converted.cumsum(axis=1)], axis=-1)


def arm(users: int, conversions: int) -> experiments.Estimate:
    """An arm's conversion estimate from its sufficient statistics (a 0/1 value is its own square)."""
    row = pd.Series(
        {"metric": "conversion", "users": users, "value_sum": conversions, "value_sum_squares": conversions}
    )
    return experiments.estimate(row)


def daily_p_values(cumulative: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The fixed-horizon and the sequential p-value of every run at every daily look."""
    fixed, sequential = np.ones(cumulative.shape[:2]), np.ones(cumulative.shape[:2])
    for run, day in np.ndindex(*cumulative.shape[:2]):
        (n_c, x_c), (n_t, x_t) = cumulative[run, day]
        control, treatment = arm(n_c, x_c), arm(n_t, x_t)
        found = experiments.lift(treatment, control)
        fixed[run, day] = found.p_value
        unit_variance = control.variance * n_c + treatment.variance * n_t
        sequential[run, day] = experiments.sequential_p_value(found, unit_variance)
    return fixed, sequential


def test_looking_every_day_is_safe_with_the_sequential_p_value() -> None:
    """With no effect, stopping at the first daily p < 0.05 is wrong far more than 5% of the time; stopping at
    the first sequential p < 0.05 is not. With an effect, the sequential p-value still finds it."""
    rng = np.random.default_rng(7)
    fixed, sequential = daily_p_values(looks(rng, runs=200, days=20, per_day=50, rates=(0.2, 0.2)))
    assert (fixed.min(axis=1) < 0.05).mean() > 0.15
    assert (sequential.min(axis=1) < 0.05).mean() <= 0.05
    _, with_effect = daily_p_values(looks(rng, runs=20, days=20, per_day=100, rates=(0.2, 0.3)))
    assert (with_effect[:, -1] < 0.05).all()


# The sample, built as `make build` builds it, against per-user values computed from the raw files.


@pytest.fixture(scope="module")
def sample_users() -> pd.DataFrame:
    return reference.experiment_users(SAMPLE, SAMPLE_AS_OF)


@pytest.fixture(scope="module")
def results(default_company: Build) -> dict[Any, Row]:
    return keyed(default_company.query("select * from marts.experiment_results"), "experiment_id", "variant", "metric")


@pytest.fixture(scope="module")
def summary(default_company: Build) -> dict[Any, Row]:
    return keyed(default_company.query("select * from marts.experiment_summary"), "experiment_id")


def per_user(users: pd.DataFrame, metric: str) -> pd.DataFrame:
    values = {"conversion": "converted", "scans_per_user": "scans", "match_rate": "match_rate_sum"}[metric]
    return users.assign(value=users[values].astype(float), denominator=users["scans"].astype(float))


def expected_lift(treatment: pd.DataFrame, control: pd.DataFrame, metric: str) -> dict[str, float]:
    if metric == "match_rate":
        value_t = treatment["value"].sum() / treatment["denominator"].sum()
        value_c = control["value"].sum() / control["denominator"].sum()
        variance = delta_variance(list(treatment["value"]), list(treatment["denominator"])) + delta_variance(
            list(control["value"]), list(control["denominator"])
        )
        standard_error = math.sqrt(variance)
    else:
        value_t, value_c = treatment["value"].mean(), control["value"].mean()
        welch = stats.ttest_ind(treatment["value"], control["value"], equal_var=False)
        standard_error = (value_t - value_c) / float(welch.statistic)  # Welch's statistic is lift / this SE
    lift = value_t - value_c
    return {
        "value": value_t,
        "control_value": value_c,
        "absolute_lift": lift,
        "standard_error": standard_error,
        "ci_low": lift - 1.959964 * standard_error,
        "ci_high": lift + 1.959964 * standard_error,
        "p_value": 2 * float(stats.norm.sf(abs(lift) / standard_error)),
    }


def test_the_samples_readouts_equal_scipy_on_per_user_values(
    sample_users: pd.DataFrame, results: dict[Any, Row]
) -> None:
    checked = 0
    for experiment, users in sample_users.groupby("experiment_id"):
        control_name = "control"
        for metric in METRICS:
            values = per_user(users, metric)
            control = values[values["variant"] == control_name]
            for variant, treatment in values[values["variant"] != control_name].groupby("variant"):
                row = results[experiment, variant, metric]
                assert row["users"] == len(treatment)
                for column, wanted in expected_lift(treatment, control, metric).items():
                    assert row[column] == pytest.approx(wanted, rel=1e-9, abs=1e-12), (experiment, variant, metric)
                checked += 1
    assert checked == 3 * (1 + 2 + 1)


def test_the_samples_cuped_readout_equals_the_adjusted_per_user_values(
    sample_users: pd.DataFrame, results: dict[Any, Row]
) -> None:
    users = sample_users[sample_users["experiment_id"] == "scan_tips"]
    covariance = np.cov(users["scans"], users["scans_before"], ddof=1)
    theta = covariance[0, 1] / covariance[1, 1]
    adjusted = users["scans"] - theta * (users["scans_before"] - users["scans_before"].mean())
    control = adjusted[users["variant"] == "control"]
    for variant in ("tips_inline", "tips_email"):
        treatment = adjusted[users["variant"] == variant]
        row = results["scan_tips", variant, "scans_per_user"]
        welch = stats.ttest_ind(treatment, control, equal_var=False)
        assert row["cuped_absolute_lift"] == pytest.approx(treatment.mean() - control.mean(), rel=1e-9)
        assert row["cuped_p_value"] == pytest.approx(2 * stats.norm.sf(abs(float(welch.statistic))), rel=1e-9)


def test_the_planted_mismatch_is_flagged_and_the_others_are_not(
    summary: dict[Any, Row], sample_users: pd.DataFrame
) -> None:
    flags = {experiment: row["srm_flag"] for experiment, row in summary.items()}
    assert flags == {"onboarding_checklist": False, "pricing_page": True, "scan_tips": False}
    declared = pd.read_csv(SAMPLE / "raw_experiments.csv")
    for experiment, users in sample_users.groupby("experiment_id"):
        plan = declared[declared["experiment_id"] == experiment]
        counts = users["variant"].value_counts().reindex(plan["variant"]).fillna(0)
        expected = counts.sum() * plan["weight"].to_numpy() / plan["weight"].sum()
        wanted = stats.chisquare(counts.to_numpy(), expected).pvalue
        assert summary[experiment]["srm_p_value"] == pytest.approx(wanted, rel=1e-9)
    assert summary["pricing_page"]["verdict"].startswith("broken: sample-ratio mismatch")
    assert summary["onboarding_checklist"]["verdict"].startswith("checklist raises conversion by")
    assert summary["scan_tips"]["verdict"] == "no detectable difference in conversion"


def test_multiple_exposures_and_unfinished_windows_are_left_out(
    default_company: Build, summary: dict[Any, Row], sample_users: pd.DataFrame
) -> None:
    counted = {experiment: row["users"] for experiment, row in summary.items()}
    assert counted == {str(k): int(v) for k, v in sample_users.groupby("experiment_id").size().items()}
    multiple = reference.multiple_exposure_users(SAMPLE)
    assert {experiment: row["multiple_exposure_users"] for experiment, row in summary.items()} == multiple
    assert multiple["pricing_page"] > 0
    assert summary["pricing_page"]["users_in_window"] > 0  # assigned in the last 14 days of 2025
    in_results = default_company.query(
        "select experiment_id, sum(users) as users from marts.experiment_results "
        "where metric = 'conversion' group by experiment_id"
    )
    assert {row["experiment_id"]: row["users"] for row in reference.records(in_results)} == counted


def test_a_company_without_experiments_has_empty_experiment_marts(edge_company: Build) -> None:
    for mart in ("experiment_sufficient_statistics", "experiment_results", "experiment_summary"):
        assert edge_company.query(f"select count(*) as n from marts.{mart}")["n"].item() == 0


def test_one_experiment_file_without_the_other_is_refused(tmp_path: Path) -> None:
    shutil.copytree(COMPANIES / "edge_company", tmp_path / "raw")
    shutil.copy(SAMPLE / "raw_experiments.csv", tmp_path / "raw")
    with pytest.raises(raw.RawFilesMissing, match=r"raw_experiments\.csv needs raw_experiment_assignments\.csv"):
        raw.find_raw_files(tmp_path / "raw")


def test_a_sample_ratio_mismatch_is_a_critical_alert(
    default_company: Build, capsys: pytest.CaptureFixture[str]
) -> None:
    assert alerts.main(["--db", str(default_company.db)]) == monitoring.EXIT_CRITICAL
    text = capsys.readouterr().out
    assert "[critical] pricing_page: broken: sample-ratio mismatch" in text
    assert "onboarding_checklist" not in text and "scan_tips" not in text


def readout_markdown(summary: pd.DataFrame, results: pd.DataFrame) -> str:
    """The sample's experiments as docs/metrics.md shows them."""
    lines = [
        "| experiment | users counted | window not ended | shown two variants | sample-ratio p | verdict |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| `{row['experiment_id']}` | {row['users']:,} | {row['users_in_window']:,} | "
        f"{row['multiple_exposure_users']:,} | {row['srm_p_value']:.2g} | {row['verdict']} |"
        for row in reference.records(summary.sort_values("experiment_id"))
    ]
    lines += [
        "",
        "| experiment | variant | metric | users | value | lift | 95% CI | p-value | sequential p-value |",
        "|---|---|---|---:|---:|---:|---|---:|---:|",
    ]
    for row in reference.records(results[~results["is_control"]].sort_values(["experiment_id", "metric", "variant"])):
        scale = 100 if row["metric"] == "conversion" else 1  # conversion in percent and points
        lines.append(
            f"| `{row['experiment_id']}` | {row['variant']} | {row['metric']} | {row['users']:,} | "
            f"{row['value'] * scale:.2f} | {row['absolute_lift'] * scale:+.2f} | "
            f"{row['ci_low'] * scale:.2f} to {row['ci_high'] * scale:.2f} | "
            f"{format_value(row['p_value'], 'p_value')} | {format_value(row['sequential_p_value'], 'p_value')} |"
        )
    return "\n".join(lines)


def test_the_docs_show_the_samples_readouts(default_company: Build) -> None:
    expected = readout_markdown(
        default_company.query("select * from marts.experiment_summary"),
        default_company.query("select * from marts.experiment_results"),
    )
    assert expected in (PROJECT_ROOT / "docs" / "metrics.md").read_text(), expected
