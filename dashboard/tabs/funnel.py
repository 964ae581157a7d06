"""The Funnel tab: the free-to-paid funnel by channel and segment, trial conversion where billing has trials, and
conversion by signup month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from jobmetrics.views import display, figures
from page_kit import (
    Scope,
    channel_colours,
    chart,
    company_wide,
    filters,
    in_months,
    mart,
    rows_if_any,
    segment_colours,
    table,
)


def grouped_bars(by: str, colours: dict[str, str]) -> Callable[[pd.DataFrame], go.Figure]:
    """Each step's users per channel or segment, the steps named in words as on the funnel above."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        figure = px.bar(frame, x="step", y="users", color=by, barmode="group", color_discrete_map=colours)
        return figure.update_xaxes(labelalias={step: display.words(step) for step in frame["step"].unique()})

    return draw


def trials(months: tuple[date, date]) -> None:
    """Trial conversion, for a company whose billing has trials (trial_conversion is empty otherwise)."""
    started = rows_if_any("trial_conversion", "trial_month", months)
    if started is None:
        return
    st.subheader("Trials: how many converted, by the month they started (company-wide)")
    st.caption(
        "A trial converts when its subscription pays after the trial ends. A month whose trials have not all "
        "ended yet can still rise."
    )
    table(
        started[
            ["trial_month", "trials_started", "trials_converted", "conversion_rate", "all_trials_ended"]
        ].sort_values("trial_month", ascending=False),
        "trial_conversion",
    )


def funnel(scope: Scope, months: tuple[date, date]) -> None:
    steps = scope.of(mart("conversion_funnel"))
    st.subheader("Free-to-paid funnel (each step as a share of the one before and of signups)")
    st.caption(figures.FUNNEL_NOTE)
    chart(figures.funnel_steps(steps), "conversion_funnel", figures.funnel)
    left, right = st.columns(2)
    for column, by, colours in (
        (left, "segment", segment_colours()),
        (right, "acquisition_channel", channel_colours()),
    ):
        with column:
            chart(
                steps.groupby([by, "step_order", "step"], as_index=False).agg(users=("users", "sum"))[
                    [by, "step", "users"]
                ],
                f"conversion_funnel_by_{by}",
                grouped_bars(by, colours),
            )
    trials(months)
    by_month = in_months(mart("conversion_by_signup_month"), "signup_month", months)
    st.subheader("Conversion by signup month (7, 30 and 90 days; open 90-day windows are marked)")
    company_wide("Conversion by signup month", scope)
    rates = by_month.melt(
        id_vars=["signup_month", "has_full_90_day_window"],
        value_vars=["conversion_rate_7d", "conversion_rate_30d", "conversion_rate_90d"],
        var_name="window",
        value_name="conversion_rate",
    ).sort_values(["window", "signup_month"])
    chart(
        rates,
        "conversion_by_signup_month",
        lambda frame: px.line(
            frame, x="signup_month", y="conversion_rate", color="window", symbol="has_full_90_day_window"
        ).update_yaxes(tickformat=".0%"),
    )


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    funnel(chosen.scope, chosen.months)
