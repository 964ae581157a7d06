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
    """Each step's users per channel or segment, the steps named in words and lying first on top as on the funnel
    above (lying, their words need no turning at half a page's or a phone's width)."""

    def draw(frame: pd.DataFrame) -> go.Figure:
        figure = px.bar(
            frame, x="users", y="step", color=by, barmode="group", orientation="h", color_discrete_map=colours
        )
        figure.update_yaxes(
            labelalias={step: display.words(step) for step in frame["step"].unique()},
            autorange="reversed",
            title_text="",
        )
        return figure.update_layout(height=520)

    return draw


WINDOWS = {
    "conversion_rate_7d": "Within 7 days",
    "conversion_rate_30d": "Within 30 days",
    "conversion_rate_90d": "Within 90 days",
}


def conversion_lines(frame: pd.DataFrame) -> go.Figure:
    """One line per window through every month, a month whose 90-day window is still open hollow."""
    figure = px.line(
        frame,
        x="signup_month",
        y="conversion_rate",
        color="window",
        markers=True,
        category_orders={"window": list(WINDOWS.values())},
    )
    for trace in figure.data:
        still_open = ~frame.loc[frame["window"] == trace.name, "has_full_90_day_window"].astype(bool)
        trace.marker.symbol = ["circle-open" if hollow else "circle" for hollow in still_open]
    return figure.update_yaxes(tickformat=".0%").update_traces(marker_size=8)


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
    for column, by, colours, title in (
        (left, "segment", segment_colours(), "Each step by segment"),
        (right, "acquisition_channel", channel_colours(), "Each step by channel"),
    ):
        with column:
            st.markdown(f"**{title}**")
            chart(
                steps.groupby([by, "step_order", "step"], as_index=False).agg(users=("users", "sum"))[
                    [by, "step", "users"]
                ],
                f"conversion_funnel_by_{by}",
                grouped_bars(by, colours),
            )
    trials(months)
    by_month = in_months(mart("conversion_by_signup_month"), "signup_month", months)
    st.subheader("Conversion by signup month within 7, 30 and 90 days")
    st.caption("A hollow marker: the month's 90-day window is still open, so its 90-day rate can still rise.")
    company_wide("Conversion by signup month", scope)
    rates = by_month.melt(
        id_vars=["signup_month", "has_full_90_day_window"],
        value_vars=list(WINDOWS),
        var_name="window",
        value_name="conversion_rate",
    ).sort_values(["window", "signup_month"])
    chart(rates.assign(window=rates["window"].map(WINDOWS)), "conversion_by_signup_month", conversion_lines)


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    funnel(chosen.scope, chosen.months)
