"""The 30-day churn-risk model: who among today's paying customers will not be paying 30 days from now, and why.
Definitions in docs/metrics.md (Churn risk).

It learns from int_churn_observations (one row per customer paying on each weekly observation date, with what was
known that day and, 30 days on, whether they still paid): a scikit-learn logistic regression on splines of the
numbers and one-hot categories, one model per tenant. Each feature gets a transformer of its own, so a customer's
score splits exactly into one signed contribution per feature (log-odds against the tenant's average customer),
which become the drivers in words. dbt-duckdb's Python models int_churn_risk_scores and
int_churn_backtest_predictions call it; the marts churn_risk and churn_model_evaluation read them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

HORIZON_DAYS = 30
# The backtest holds out the last 12 labelled weekly dates (a quarter) and trains only on dates whose 30 days
# had passed before the first of them, so no label it learns from overlaps a held-out one.
HOLDOUT_WEEKS = 12
FIRST_LABELLED_WEEK = 5  # 35 days before as_of_date: the first weekly date whose 30 days are observed

SPLINE_FEATURES = [
    "tenure_days",
    "days_to_renewal",
    "days_since_last_scan",
    "scans_last_28_days",
    "scans_previous_28_days",
    "match_rate_change",
]
COUNT_FEATURES = [
    "renewal_due",
    "first_renewal_due",
    "earlier_payment_failures",
    "earlier_plan_changes",
    "earlier_cancellations",
]
CATEGORY_FEATURES = ["plan_name", "segment", "acquisition_channel"]
FEATURES = SPLINE_FEATURES + COUNT_FEATURES + CATEGORY_FEATURES

# The Python models' columns and types: an empty frame (a tenant with nothing to score) still has them.
SCORE_COLUMNS = {
    "tenant_id": "string",
    "user_id": "int64",
    "churn_probability_30d": "float64",
    **{
        f"driver_{rank}{part}": "string" if not part else "float64"
        for rank in (1, 2, 3)
        for part in ("", "_contribution")
    },
}
BACKTEST_COLUMNS = {
    "tenant_id": "string",
    "scored_by": "string",
    "observation_date": "datetime64[us]",
    "user_id": "int64",
    "churn_probability_30d": "float64",
    "churned": "bool",
}
SCORERS = ["model", "segment_and_plan_rate", "days_since_last_scan_rate"]


def with_derived_features(observations: pd.DataFrame) -> pd.DataFrame:
    """The observations in a fixed order (the fit adds them up in it, so the same rows give the same bits in
    whatever order the warehouse returns them) with the two renewal flags the model reads beside the raw
    columns."""
    observations = observations.sort_values(["tenant_id", "observation_date", "user_id"], ignore_index=True)
    renewal_due = observations["days_to_renewal"] <= HORIZON_DAYS
    return observations.assign(
        renewal_due=renewal_due.astype(float),
        first_renewal_due=(renewal_due & observations["is_first_period"].astype(bool)).astype(float),
    )


def new_model() -> Pipeline:
    """Splines for the numbers, standardised counts, one-hot categories; one transformer per feature."""
    columns = (
        [(name, SplineTransformer(n_knots=5, degree=3), [name]) for name in SPLINE_FEATURES]
        + [(name, StandardScaler(), [name]) for name in COUNT_FEATURES]
        + [(name, OneHotEncoder(handle_unknown="ignore"), [name]) for name in CATEGORY_FEATURES]
    )
    return Pipeline(
        [
            ("features", ColumnTransformer(columns, sparse_threshold=0.0)),
            # Newton steps with a Cholesky solve: a few dozen weights converge in a handful of iterations
            ("logistic", LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=100)),
        ]
    )


@dataclass(frozen=True)
class Fitted:
    """A fitted model, or the training rate when the training rows hold a single outcome."""

    model: Pipeline | None
    rate: float
    average_row: np.ndarray | None  # the training rows' mean after the transformers

    def probabilities(self, rows: pd.DataFrame) -> np.ndarray:
        if self.model is None:
            return np.full(len(rows), self.rate)
        probabilities: np.ndarray = self.model.predict_proba(rows[FEATURES])[:, 1]
        return probabilities

    def contributions(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Each row's log-odds against the average training row, split by feature (they add up to the
        difference in the score's log-odds)."""
        return self.explained(rows)[1]

    def explained(self, rows: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        """The probabilities and the contributions, from one pass of the transformers (a pass over 1.5 million
        customers takes about 2.7 s)."""
        if self.model is None or self.average_row is None:
            return self.probabilities(rows), pd.DataFrame(0.0, index=rows.index, columns=FEATURES)
        transformer: ColumnTransformer = self.model.named_steps["features"]
        logistic: LogisticRegression = self.model.named_steps["logistic"]
        transformed = transformer.transform(rows[FEATURES])
        probabilities: np.ndarray = logistic.predict_proba(transformed)[:, 1]
        weighted = (transformed - self.average_row) * logistic.coef_[0]
        contributions = pd.DataFrame(
            {name: weighted[:, transformer.output_indices_[name]].sum(axis=1) for name in FEATURES},
            index=rows.index,
        )
        return probabilities, contributions


def fit(training: pd.DataFrame) -> Fitted:
    labels = training["churned_within_30_days"].astype(int)
    if labels.nunique() < 2:
        return Fitted(None, float(labels.mean()), None)
    model = new_model().fit(training[FEATURES], labels)
    average_row = np.asarray(model.named_steps["features"].transform(training[FEATURES])).mean(axis=0)
    return Fitted(model, float(labels.mean()), average_row)


def counted(count: pd.Series, singular: str, plural: str, none: str) -> pd.Series:
    """ "1 scan", "3 scans", or `none` for 0, for a column of counts."""
    whole = count.astype(int)
    unit = pd.Series(np.where(whole == 1, f" {singular}", f" {plural}"), index=count.index, dtype=str)
    text: pd.Series = whole.astype(str) + unit
    return text.where(whole != 0, none)


def either(flag: pd.Series, yes: str, no: str) -> pd.Series:
    return pd.Series(np.where(flag.astype(float) > 0, yes, no), index=flag.index)


def scan_recency_words(days: pd.Series) -> pd.Series:
    whole = days.astype(int)
    text = "no scans in the last " + whole.clip(upper=56).astype(str) + " days"
    return text.where(whole >= 7, "scanned in the last week")


def match_change_words(points: pd.Series) -> pd.Series:
    direction = pd.Series(np.where(points > 0, "up", "down"), index=points.index, dtype=str)
    size: pd.Series = points.abs().round().astype(int).astype(str)
    text: pd.Series = "match rate " + direction + " " + size + " points on the 28 days before"
    return text.where(points.abs() >= 0.5, "match rate steady")


def names(column: pd.Series) -> pd.Series:
    return column.astype(str).str.replace("_", " ")


# What each feature's values say about the customers, in the words a driver shows (a column at a time).
DRIVER_WORDS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "tenure_days": lambda rows: "paying for " + counted(rows["tenure_days"], "day", "days", "0 days"),
    "days_to_renewal": lambda rows: "renews in " + counted(rows["days_to_renewal"], "day", "days", "0 days"),
    "days_since_last_scan": lambda rows: scan_recency_words(rows["days_since_last_scan"]),
    "scans_last_28_days": lambda rows: (
        counted(rows["scans_last_28_days"], "scan", "scans", "no scans") + " in the last 28 days"
    ),
    "scans_previous_28_days": lambda rows: (
        counted(rows["scans_previous_28_days"], "scan", "scans", "no scans") + " in the 28 days before"
    ),
    "match_rate_change": lambda rows: match_change_words(rows["match_rate_change"].astype(float)),
    "renewal_due": lambda rows: either(rows["renewal_due"], "renewal due within 30 days", "no renewal within 30 days"),
    "first_renewal_due": lambda rows: either(
        rows["first_renewal_due"], "first renewal due within 30 days", "not facing a first renewal"
    ),
    "earlier_payment_failures": lambda rows: counted(
        rows["earlier_payment_failures"],
        "earlier payment failure",
        "earlier payment failures",
        "no earlier payment failure",
    ),
    "earlier_plan_changes": lambda rows: counted(
        rows["earlier_plan_changes"], "earlier plan change", "earlier plan changes", "no earlier plan change"
    ),
    "earlier_cancellations": lambda rows: either(
        rows["earlier_cancellations"], "came back after cancelling", "never cancelled before"
    ),
    "plan_name": lambda rows: rows["plan_name"].astype(str) + " plan",
    "segment": lambda rows: "segment: " + names(rows["segment"]),
    "acquisition_channel": lambda rows: "came through " + names(rows["acquisition_channel"]),
}


def drivers(rows: pd.DataFrame, contributions: pd.DataFrame) -> pd.DataFrame:
    """The three features with the largest contributions (either sign) per row, in words, strongest first."""
    weights = contributions[FEATURES].to_numpy(dtype=float)
    strongest = np.argsort(-np.abs(weights), axis=1, kind="stable")[:, :3]
    words = np.empty(strongest.shape, dtype=object)
    for position, feature in enumerate(FEATURES):  # each feature in words only for the rows it drives
        picked = strongest == position
        driven = np.flatnonzero(picked.any(axis=1))
        if len(driven):
            said = DRIVER_WORDS[feature](rows.iloc[driven]).to_numpy(dtype=object)
            ranks = picked[driven]
            for rank in range(3):
                words[driven[ranks[:, rank]], rank] = said[ranks[:, rank]]
    every = np.arange(len(rows))
    columns: dict[str, object] = {}
    for rank in (1, 2, 3):
        contribution = weights[every, strongest[:, rank - 1]]
        columns[f"driver_{rank}"] = pd.Series(words[:, rank - 1], index=rows.index).where(contribution != 0)
        columns[f"driver_{rank}_contribution"] = np.where(contribution != 0, contribution, np.nan)
    return pd.DataFrame(columns, index=rows.index)


def labelled(observations: pd.DataFrame) -> pd.DataFrame:
    return observations[observations["churned_within_30_days"].notna()]


def scores(observations: pd.DataFrame) -> pd.DataFrame:
    """Each tenant's customers paying on as_of_date, scored by a model trained on all its labelled dates."""
    observations = with_derived_features(observations)
    frames = []
    for _, rows in observations.groupby("tenant_id", sort=True):
        today = rows[rows["weeks_before_as_of"] == 0]
        training = labelled(rows)
        if today.empty:
            continue
        if training.empty:
            frames.append(today[["tenant_id", "user_id"]].assign(churn_probability_30d=np.nan))
            continue
        probabilities, contributions = fit(training).explained(today)
        frames.append(
            pd.concat(
                [
                    today[["tenant_id", "user_id"]].assign(churn_probability_30d=probabilities),
                    drivers(today, contributions),
                ],
                axis=1,
            )
        )
    return typed(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), SCORE_COLUMNS)


def rate_by(training: pd.DataFrame, held_out: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The churn rate of the training rows sharing each held-out row's keys (the overall rate for keys unseen)."""
    rates = training.groupby(keys)["churned_within_30_days"].mean().rename("rate").astype(float)
    overall = float(training["churned_within_30_days"].astype(float).mean())
    looked_up: np.ndarray = held_out.join(rates, on=keys)["rate"].fillna(overall).to_numpy(dtype=float)
    return looked_up


def backtest(observations: pd.DataFrame) -> pd.DataFrame:
    """Predictions for the held-out dates by the model and the two baselines, each trained only on dates whose
    30 days had passed before the first held-out date."""
    observations = labelled(with_derived_features(observations))
    weeks = observations["weeks_before_as_of"]
    earliest_held_out = FIRST_LABELLED_WEEK + HOLDOUT_WEEKS - 1
    held_out_rows = observations[(weeks >= FIRST_LABELLED_WEEK) & (weeks <= earliest_held_out)]
    training_rows = observations[weeks >= earliest_held_out + FIRST_LABELLED_WEEK]
    frames = []
    for tenant_id, held_out in held_out_rows.groupby("tenant_id", sort=True):
        training = training_rows[training_rows["tenant_id"] == tenant_id]
        if training.empty:
            continue
        predictions = {
            "model": fit(training).probabilities(held_out),
            "segment_and_plan_rate": rate_by(training, held_out, ["segment", "plan_name"]),
            "days_since_last_scan_rate": rate_by(training, held_out, ["days_since_last_scan"]),
        }
        for scorer in SCORERS:
            frames.append(
                held_out[["tenant_id", "observation_date", "user_id"]].assign(
                    scored_by=scorer,
                    churn_probability_30d=predictions[scorer],
                    churned=held_out["churned_within_30_days"].astype(bool),
                )
            )
    return typed(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(), BACKTEST_COLUMNS)


def typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    return frame.reindex(columns=list(columns)).astype(columns)
