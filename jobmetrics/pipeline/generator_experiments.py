"""The synthetic sample's A/B tests (jobmetrics.pipeline.generator): three experiments of the last four months, one
that works, one that does nothing and one whose assignment is broken, drawn from their own random stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from jobmetrics.pipeline.generator import Window

DAY = 86_400


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    variants: tuple[str, ...]  # the first is the control
    weights: tuple[float, ...]


# Three A/B tests in the last four months: one that works, one that does nothing, one that is broken.
EXPERIMENTS = (
    Experiment("onboarding_checklist", ("control", "checklist"), (50.0, 50.0)),
    Experiment("scan_tips", ("control", "tips_inline", "tips_email"), (1.0, 1.0, 1.0)),
    Experiment("pricing_page", ("control", "annual_first"), (50.0, 50.0)),
)
EXPERIMENT_WINDOW = 14 * DAY


def assign(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """A variant index per user, drawn with each user's own shares (one row of `shares` per user)."""
    chosen: np.ndarray = (rng.random(len(shares))[:, None] > np.cumsum(shares, axis=1)[:, :-1]).sum(axis=1)
    return chosen


def make_experiments(
    seed: int, users: pd.DataFrame, subs: pd.DataFrame, scans: pd.DataFrame, window: Window
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The experiments' variants and their assignments, drawn from their own random stream so that the other
    files are the same with or without them. The outcomes are already simulated, so the effect of
    onboarding_checklist is planted by steering users who convert within their window towards the treatment
    (and the others just enough the other way that the split stays 50/50); scan_tips assigns at random;
    pricing_page is broken on purpose: a 60/40 split planned as 50/50, and a few users shown both variants.
    """
    rng = np.random.default_rng([seed, 23])
    signup = users["signup_ts"].to_numpy()
    first_start = np.full(len(users), np.iinfo(np.int64).max)
    np.minimum.at(first_start, subs["user_idx"].to_numpy(), subs["start"].to_numpy())
    assignments = []

    onboarding = np.flatnonzero((signup >= window.end - 120 * DAY) & (signup < window.end - 60 * DAY))
    assigned = signup[onboarding] + 60
    converts = (first_start[onboarding] >= assigned) & (first_start[onboarding] < assigned + EXPERIMENT_WINDOW)
    converted_share = converts.mean() if len(onboarding) else 0.0
    others = np.clip((0.5 - 0.58 * converted_share) / max(1.0 - converted_share, 1e-9), 0.05, 0.95)
    treated = np.where(converts, 0.58, others)
    variant = assign(rng, np.column_stack([1.0 - treated, treated]))
    assignments.append(pd.DataFrame({"experiment": 0, "user_idx": onboarding, "at": assigned, "variant": variant}))

    scan_times = scans["scanned"].to_numpy()
    in_range = (scan_times >= window.end - 90 * DAY) & (scan_times < window.end - 30 * DAY)
    first_scan = scans[in_range].groupby("user_idx")["scanned"].min()
    scanners, at = first_scan.index.to_numpy(), first_scan.to_numpy()
    variant = rng.integers(0, 3, len(scanners))
    repeated = rng.random(len(scanners)) < 0.03  # sent twice by the app: identical rows, one exposure
    again = rng.random(len(scanners)) < 0.05  # seen again later in the same variant: the earliest counts
    assignments += [
        pd.DataFrame({"experiment": 1, "user_idx": scanners, "at": at, "variant": variant}),
        pd.DataFrame(
            {"experiment": 1, "user_idx": scanners[repeated], "at": at[repeated], "variant": variant[repeated]}
        ),
        pd.DataFrame(
            {"experiment": 1, "user_idx": scanners[again], "at": at[again] + 5 * DAY, "variant": variant[again]}
        ),
    ]

    pricing = np.flatnonzero(signup >= window.end - 45 * DAY)
    at = signup[pricing] + 30
    variant = assign(rng, np.tile([0.6, 0.4], (len(pricing), 1)))
    both = rng.random(len(pricing)) < 0.01
    assignments += [
        pd.DataFrame({"experiment": 2, "user_idx": pricing, "at": at, "variant": variant}),
        pd.DataFrame({"experiment": 2, "user_idx": pricing[both], "at": at[both] + DAY, "variant": 1 - variant[both]}),
    ]

    found = pd.concat(assignments, ignore_index=True)
    found = found[found["at"] <= window.end]
    found = found.iloc[np.lexsort((found["variant"], found["user_idx"], found["at"], found["experiment"]))]
    experiment_ids = np.array([experiment.experiment_id for experiment in EXPERIMENTS])
    variant_names = np.array([[*e.variants, *[""] * (3 - len(e.variants))] for e in EXPERIMENTS])
    experiment_index, variant_index = found["experiment"].to_numpy(), found["variant"].to_numpy()
    assignment_rows = pd.DataFrame(
        {
            "experiment_id": experiment_ids[experiment_index],
            "user_id": users["user_id"].to_numpy()[found["user_idx"].to_numpy()],
            "variant": variant_names[experiment_index, variant_index],
            "assigned_ts": found["at"].to_numpy(),
        }
    )
    experiment_rows = pd.DataFrame(
        [
            {"experiment_id": e.experiment_id, "variant": v, "is_control": i == 0, "weight": w}
            for e in EXPERIMENTS
            for i, (v, w) in enumerate(zip(e.variants, e.weights, strict=True))
        ]
    )
    return experiment_rows, assignment_rows
