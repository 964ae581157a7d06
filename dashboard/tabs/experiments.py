"""The Experiments tab: each A/B test's verdict, the forest plot of its lifts and a table per metric."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jobmetrics.views import display, figures
from jobmetrics.views.display import words
from page_kit import (
    chart,
    mart,
    records,
    table,
)


def split_words(plan: pd.DataFrame) -> str:
    """Counted users per variant against the planned shares, as a sentence."""
    counted = plan["users"].sum()
    return "; ".join(
        f"{words(str(row['variant']))} {row['users']:,} ({row['users'] / counted:.1%}, planned "
        f"{row['weight'] / plan['weight'].sum():.1%})"
        for row in records(plan)
    )


def experiment_view() -> None:
    summary = mart("experiment_summary")
    if summary.empty:
        st.info(
            "No experiments yet: bring raw_experiments and raw_experiment_assignments with the raw files "
            "(docs/data.md), then run `make build`."
        )
        return
    names = sorted(summary["experiment_id"])
    asked = st.query_params.get("experiment", "")
    experiment = st.selectbox("Experiment", names, index=names.index(asked) if asked in names else 0, format_func=words)
    st.query_params["experiment"] = experiment
    about = records(summary[summary["experiment_id"] == experiment])[0]
    if about["srm_flag"]:
        sums = mart("experiment_sufficient_statistics")
        plan = sums[(sums["experiment_id"] == experiment) & (sums["metric"] == "conversion")]
        st.error(
            f"Sample-ratio mismatch (p = {about['srm_p_value']:.2g}): {split_words(plan)}. The assignment is not "
            "working as planned, so these results cannot be trusted: fix it and restart the test."
        )
    else:
        st.success(f"Verdict: {about['verdict']}.")
    counts = st.columns(3)
    counts[0].metric("Users counted", f"{about['users']:,}")
    counts[1].metric("Window not ended yet", f"{about['users_in_window']:,}")
    counts[2].metric("Shown two variants (left out)", f"{about['multiple_exposure_users']:,}")
    st.caption(f"Assigned from {about['first_assigned_at']:%-d %b %Y} to {about['last_assigned_at']:%-d %b %Y}.")
    results = mart("experiment_results")
    results = results[results["experiment_id"] == experiment]
    st.subheader("Lift over the control, with 95% intervals")
    lifts = results[~results["is_control"]].sort_values(["metric", "variant"])
    chart(lifts[["metric", "variant", *figures.LIFT_COLUMNS]], "experiment_lifts", figures.forest)
    for metric in display.EXPERIMENT_UNITS:
        rows = results[results["metric"] == metric].sort_values(["is_control", "variant"], ascending=[False, True])
        st.subheader(words(metric))
        columns = ["variant", "users", "value", *figures.LIFT_COLUMNS, "p_value", "sequential_p_value"]
        if metric == "scans_per_user":
            columns += ["cuped_value", "cuped_absolute_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value"]
        table(rows[columns], f"experiment_{metric}", display.experiment_units(metric, columns))
    st.caption(
        "Counted: users whose window has ended, shown one variant. p-value: the chance of a difference this large "
        "with no real effect, valid when read once at the planned end; sequential p-value: valid however often "
        "you look. CUPED: scans per user adjusted for each user's scans before the test, a narrower interval. "
        "Definitions: docs/metrics.md, Experiments."
    )


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    experiment_view()
