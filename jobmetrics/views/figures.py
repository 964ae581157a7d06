"""The Plotly figures the dashboard draws and the board pack prints: each from a mart's frame alone, in words
rather than column names."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from jobmetrics.views.display import words

MOVEMENTS = ["new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"]


def in_words(figure: go.Figure) -> go.Figure:
    """Axis titles, legend title and legend entries in words, not column names or raw values."""
    figure.for_each_xaxis(lambda axis: axis.update(title_text=words(axis.title.text or "")))
    figure.for_each_yaxis(lambda axis: axis.update(title_text=words(axis.title.text or "")))
    figure.for_each_trace(lambda trace: trace.update(name=words(trace.name)) if trace.name else None)
    if figure.layout.legend.title.text:
        figure.update_layout(legend_title_text=words(figure.layout.legend.title.text))
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def mrr_trend(monthly: pd.DataFrame) -> go.Figure:
    """MRR by month (mrr_monthly's month and mrr)."""
    return px.line(monthly, x="month", y="mrr", markers=True).update_yaxes(tickprefix="$")


def mrr_bridge(monthly: pd.DataFrame) -> pd.DataFrame:
    """mrr_monthly's movements one row per month and movement, contraction and churn below zero."""
    bridge = monthly.melt(id_vars="month", value_vars=MOVEMENTS, var_name="movement", value_name="usd")
    bridge.loc[bridge["movement"].isin(["contraction_mrr", "churned_mrr"]), "usd"] *= -1
    return bridge


def mrr_movements(bridge: pd.DataFrame) -> go.Figure:
    return px.bar(bridge, x="month", y="usd", color="movement").update_yaxes(tickprefix="$")


def funnel_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """conversion_funnel's rows summed per step, in step order."""
    return steps.groupby(["step_order", "step"], as_index=False).agg(users=("users", "sum"))[["step", "users"]]


def funnel(steps: pd.DataFrame) -> go.Figure:
    return px.funnel(steps, x="users", y="step").update_traces(
        texttemplate="%{value:,}<br>%{percentPrevious:.0%} of previous, %{percentInitial:.0%} of signups"
    )


def cohort_heatmap(cohorts: pd.DataFrame, measure: str) -> go.Figure:
    """cohort_retention as a grid: a row per cohort (with its size), a column per month since start."""
    grid = cohorts.pivot(index="cohort_month", columns="months_since_start", values=measure)
    sizes = cohorts.groupby("cohort_month")["cohort_customers"].first()
    grid.index = [f"{month:%b %Y} ({sizes[month]:,})" for month in grid.index]
    return px.imshow(
        grid,
        text_auto=".0%",
        aspect="auto",
        color_continuous_scale="Blues",
        labels={"x": "Months since start", "y": "Cohort (customers)", "color": words(measure)},
    )


def channel_cac(monthly: pd.DataFrame, colours: dict[str, str]) -> go.Figure:
    """channel_monthly's CAC per paid channel by month."""
    return px.line(
        monthly, x="month", y="cac", color="acquisition_channel", markers=True, color_discrete_map=colours
    ).update_yaxes(tickprefix="$")
