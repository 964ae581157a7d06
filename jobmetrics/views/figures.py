"""The Plotly figures the dashboard draws and the board pack prints: each from a mart's frame alone, in words
rather than column names."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.colors as plotly_colors
import plotly.express as px
import plotly.graph_objects as go

from jobmetrics import kpis
from jobmetrics.columns import UNITS
from jobmetrics.views import display
from jobmetrics.views.display import words

# the churn-risk backtest's scorers, the model first (churn_model_evaluation.scored_by)
RISK_SCORERS = ["model", "segment_and_plan_rate", "days_since_last_scan_rate"]
# the bars of the MRR bridge, and their colours: gains in greens and blue, losses in reds, exchange rates grey. Churn
# is split into decisions and failed payments, and the two bars only some companies have (failed payments, rates)
# are left out where every month's is 0.
MOVEMENTS = [
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr_voluntary",
    "churned_mrr_involuntary",
    "fx_mrr",
]
MOVEMENT_COLOURS = {
    "new_mrr": "#1b7837",
    "reactivation_mrr": "#7fbf7b",
    "expansion_mrr": "#2166ac",
    "contraction_mrr": "#f4a582",
    "churned_mrr_voluntary": "#d6604d",
    "churned_mrr_involuntary": "#8b0000",
    "fx_mrr": "#999999",
}
# a metric drawn on its own (the report builder) keeps its movement's colour; MRR itself is dark blue
METRIC_COLOURS = {**MOVEMENT_COLOURS, "mrr": "#08306b", "churned_mrr": MOVEMENT_COLOURS["churned_mrr_voluntary"]}
FUNNEL_COLOUR = "#0068c9"  # the dashboard's blue, drawn the same in the board pack
LOSSES = ["contraction_mrr", "churned_mrr_voluntary", "churned_mrr_involuntary"]
SOMETIMES = ["churned_mrr_involuntary", "fx_mrr"]


def in_words(figure: go.Figure) -> go.Figure:
    """Axis titles, legend title and legend entries in words, not column names or raw values."""
    figure.for_each_xaxis(lambda axis: axis.update(title_text=words(axis.title.text or "")))
    figure.for_each_yaxis(lambda axis: axis.update(title_text=words(axis.title.text or "")))
    figure.for_each_trace(lambda trace: trace.update(name=words(trace.name)) if trace.name else None)
    if figure.layout.legend.title.text:
        figure.update_layout(legend_title_text=words(figure.layout.legend.title.text))
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def legend_below(figure: go.Figure) -> go.Figure:
    """The legend in a row under the plot, so that on a phone the plot keeps the whole width; a figure that placed
    its own row (panels of different heights) keeps it."""
    if figure.layout.legend.orientation == "h":
        return figure
    return figure.update_layout(legend={"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.22})


def mrr_trend(monthly: pd.DataFrame) -> go.Figure:
    """MRR by month (mrr_monthly's month and mrr)."""
    return px.line(
        monthly, x="month", y="mrr", markers=True, color_discrete_sequence=[METRIC_COLOURS["mrr"]]
    ).update_yaxes(tickprefix=kpis.currency_symbol())


def mrr_bridge(monthly: pd.DataFrame) -> pd.DataFrame:
    """mrr_monthly's movements one row per month and movement, contraction and churn below zero, exchange rates
    with their own sign: the bars of a month add up to its change of MRR."""
    movements = monthly.assign(churned_mrr_voluntary=monthly["churned_mrr"] - monthly["churned_mrr_involuntary"])
    shown = [m for m in MOVEMENTS if m not in SOMETIMES or (movements[m].abs() > 0.005).any()]
    bridge = movements.melt(id_vars="month", value_vars=shown, var_name="movement", value_name="mrr_change")
    bridge.loc[bridge["movement"].isin(LOSSES), "mrr_change"] *= -1
    return bridge


def mrr_movements(bridge: pd.DataFrame) -> go.Figure:
    """The bridge's bars stacked above and below zero, the axis in money with the sign first ("-$5k")."""
    figure = px.bar(bridge, x="month", y="mrr_change", color="movement", color_discrete_map=MOVEMENT_COLOURS)
    by_month = bridge.groupby("month")["mrr_change"]
    low = float(by_month.agg(lambda change: change[change < 0].sum()).min()) if len(bridge) else 0.0
    high = float(by_month.agg(lambda change: change[change > 0].sum()).max()) if len(bridge) else 0.0
    return figure.update_yaxes(**money_ticks(low, high))


def money_ticks(low: float, high: float) -> dict[str, list[Any]]:
    """Ticks for a money axis from low to high at a round step, labelled with the sign before the currency
    ("-$5k", "$0", "$10k"): Plotly's tickprefix would print "$-5k"."""
    reach = max(high - low, 1.0)
    magnitude = 10 ** math.floor(math.log10(reach / 4))
    step = next(size * magnitude for size in (1, 2, 2.5, 5, 10) if reach / (size * magnitude) <= 5)
    values = [step * k for k in range(math.floor(low / step), math.ceil(high / step) + 1)]
    return {"tickvals": values, "ticktext": [compact_money(value) for value in values]}


def compact_money(value: float) -> str:
    size = abs(value)
    number = next(
        (f"{size / scale:g}{suffix}" for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if size >= scale),
        f"{size:g}",
    )
    return ("-" if value < 0 else "") + kpis.currency_symbol() + number


# the funnel's converted step and the free-to-paid conversion KPI measure different things: said beside the funnel
FUNNEL_NOTE = (
    "Nested: each step counts the users who reached it and every step before it, so the users who converted "
    "here are fewer than free-to-paid conversion, which counts every user who converted."
)


def funnel_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """conversion_funnel's rows summed per step, in step order, with each step's share of the step before and of
    signups (of the sums: the shares of the chosen channels and segments together)."""
    summed = steps.groupby(["step_order", "step"], as_index=False).agg(users=("users", "sum"))[["step", "users"]]
    first = summed["users"].iloc[0] if len(summed) else 0
    return summed.assign(
        pct_of_previous_step=summed["users"]
        / summed["users"].shift(1).fillna(summed["users"]).replace(0, float("nan")),
        pct_of_signups=summed["users"] / first if first else float("nan"),
    )


def funnel(steps: pd.DataFrame) -> go.Figure:
    """The funnel's steps in words ("Signed up"), first on top, each bar with its users and its shares of the step
    before and of signups. Bars start at the left, so the narrow last steps have the width beside them for their
    words on a phone too."""
    shown = steps.assign(step=steps["step"].map(words))
    figure = px.bar(
        shown,
        x="users",
        y="step",
        orientation="h",
        custom_data=["pct_of_previous_step", "pct_of_signups"],
        text="users",
        color_discrete_sequence=[FUNNEL_COLOUR],
    )
    figure.update_traces(
        texttemplate="%{x:,}<br>%{customdata[0]:.0%} of previous<br>%{customdata[1]:.0%} of signups",
        textposition="auto",
        cliponaxis=False,
    )
    return figure.update_yaxes(title_text="", autorange="reversed").update_xaxes(title_text="Users")


def cohort_heatmap(cohorts: pd.DataFrame, measure: str) -> go.Figure:
    """cohort_retention as a grid: a row per cohort (with its size), a column per month since start, each cell's
    percentage written in it. No colour bar and short row names, so that twelve columns keep their numbers
    readable at a phone's 390 px."""
    grid = cohorts.pivot(index="cohort_month", columns="months_since_start", values=measure)
    sizes = cohorts.groupby("cohort_month")["cohort_customers"].first()
    grid.index = [f"{month:%b %y} ({sizes[month]:,})" for month in grid.index]
    figure = px.imshow(
        grid,
        aspect="auto",
        color_continuous_scale="Blues",
        zmin=0,
        zmax=max(1.0, float(grid.max().max())) if grid.size else 1.0,  # revenue retention may pass 100%
        labels={"x": "Months since start", "y": "Cohort (customers)", "color": words(measure)},
    )
    percent = grid.map(lambda share: "" if pd.isna(share) else f"{share * 100:.0f}")
    return figure.update_traces(text=percent.to_numpy(), texttemplate="%{text}", textfont_size=11).update_layout(
        coloraxis_showscale=False
    )


def channel_cac(monthly: pd.DataFrame, colours: dict[str, str]) -> go.Figure:
    """channel_monthly's CAC per paid channel by month."""
    return px.line(
        monthly, x="month", y="cac", color="acquisition_channel", markers=True, color_discrete_map=colours
    ).update_yaxes(tickprefix=kpis.currency_symbol())


def translucent(colour: str, alpha: float = 0.18) -> str:
    """A Plotly colour (hex or rgb) as rgba, for a band that shows the line and the other bands through it."""
    red, green, blue = plotly_colors.unlabel_rgb(plotly_colors.convert_colors_to_same_type([colour], "rgb")[0][0])
    return f"rgba({red:.0f}, {green:.0f}, {blue:.0f}, {alpha})"


def survival_points(curves: pd.DataFrame) -> pd.DataFrame:
    """churn_survival's curves as they are drawn: row t (the share paying for more than t whole months) at
    months_paid t + 1, after a start at 0 where every spell is paying (100%)."""
    columns = ["group_value", "months_paid", "survival", "ci_low", "ci_high"]
    starts = pd.DataFrame(
        {"group_value": sorted(set(curves["group_value"])), "months_paid": 0, "survival": 1.0, "ci_low": 1.0}
    ).assign(ci_high=1.0)
    shifted = curves.assign(months_paid=curves["months_since_start"] + 1)[columns]
    return pd.concat([starts[columns], shifted]).sort_values(["group_value", "months_paid"]).reset_index(drop=True)


def survival_curves(colours: dict[str, str]) -> Callable[[pd.DataFrame], go.Figure]:
    """Each group's Kaplan-Meier curve (survival_points) as steps from 100% at month 0, with its 95% interval as a
    band of the same colour."""

    def figure(frame: pd.DataFrame) -> go.Figure:
        drawn = go.Figure()
        for name, curve in frame.groupby("group_value", sort=True):
            colour = colours[str(name)]
            months = curve["months_paid"].tolist()
            band = curve.dropna(subset=["ci_low"])
            # the band: its upper edge, then its lower edge filled up to it, both in time order
            for edge, fill in (("ci_high", "none"), ("ci_low", "tonexty")):
                drawn.add_trace(
                    go.Scatter(
                        x=band["months_paid"],
                        y=band[edge],
                        mode="lines",
                        fill=fill,
                        fillcolor=translucent(colour),
                        line={"width": 0, "shape": "hv", "color": colour},
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=str(name),
                    )
                )
            drawn.add_trace(
                go.Scatter(
                    x=months,
                    y=curve["survival"],
                    name=str(name),
                    legendgroup=str(name),
                    mode="lines",
                    line={"color": colour, "shape": "hv"},
                    customdata=curve[["ci_low", "ci_high"]],
                    hovertemplate="%{y:.1%} paid at least %{x} whole months "
                    "(95% CI %{customdata[0]:.1%} to %{customdata[1]:.1%})",
                )
            )
        drawn.update_yaxes(title_text="Paid at least so many months", tickformat=".0%", range=[0, 1.02])
        drawn.update_xaxes(title_text="Months since the spell started")
        # the legend under the plot, so that on a phone the curves get the whole width
        return drawn.update_layout(
            legend={"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.22}, hovermode="closest"
        )

    return figure


def calibration_chart(frame: pd.DataFrame) -> go.Figure:
    """Each scorer's predicted against observed churn per decile of the backtest, beside the diagonal where
    the two agree."""
    drawn = go.Figure()
    for scorer in RISK_SCORERS:
        deciles = frame[frame["scored_by"] == scorer].sort_values("risk_decile")
        drawn.add_trace(
            go.Scatter(
                x=deciles["mean_predicted"],
                y=deciles["observed_rate"],
                name=scorer,
                mode="lines+markers",
                customdata=deciles[["risk_decile"]],
                hovertemplate="decile %{customdata[0]}: predicted %{x:.1%}, observed %{y:.1%}",
            )
        )
    top = float(frame[["mean_predicted", "observed_rate"]].max().max())
    drawn.add_trace(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            name="predicted = observed",
            mode="lines",
            line={"dash": "dot", "color": "gray"},
            hoverinfo="skip",
        )
    )
    drawn.update_xaxes(title_text="Predicted chance of leaving in 30 days (decile average)", tickformat=".0%")
    drawn.update_yaxes(title_text="Share that left", tickformat=".0%")
    return legend_below(drawn)


LIFT_COLUMNS = ["absolute_lift", "ci_low", "ci_high"]


def forest(frame: pd.DataFrame) -> go.Figure:
    """Each variant's lift over the control with its 95% interval, one panel per metric (their scales differ)."""
    figure = px.scatter(
        frame.assign(variant=frame["variant"].map(words), metric=frame["metric"].map(words)),
        x="absolute_lift",
        y="variant",
        facet_row="metric",
        error_x=frame["ci_high"] - frame["absolute_lift"],
        error_x_minus=frame["absolute_lift"] - frame["ci_low"],
        custom_data=["ci_low", "ci_high"],
        labels={"absolute_lift": "Lift over the control (95% interval)", "variant": "", "metric": ""},
    )
    # one trace per panel, in the order the metrics first appear; a rate's lift reads in % on its panel, and
    # every panel is centred on zero, so the zero lines stand one above the other and each lift's side reads
    # at a glance
    for trace, metric in zip(figure.data, frame["metric"].unique(), strict=True):
        axis = figure.layout["xaxis" + trace.xaxis.removeprefix("x")]
        reach = frame.loc[frame["metric"] == metric, LIFT_COLUMNS].abs().max().max()
        axis.range = [-1.1 * reach, 1.1 * reach] if reach > 0 else [-1, 1]
        if display.EXPERIMENT_UNITS[metric] == "rate":
            axis.tickformat = ".0%"
    figure.update_traces(hovertemplate="%{y}: %{x:.3g} (95%% CI %{customdata[0]:.3g} to %{customdata[1]:.3g})")
    figure.add_vline(x=0, line_dash="dot", line_color="gray")
    figure.update_xaxes(matches=None, showticklabels=True)
    figure.for_each_annotation(lambda note: note.update(text=note.text.split("=")[-1]))
    return figure.update_layout(height=120 + 140 * frame["metric"].nunique())


def axis_format(unit: str) -> dict[str, str]:
    """A y axis in a unit's terms: money with the reporting currency's symbol, rates as percentages."""
    if unit == "money":
        return {"tickprefix": kpis.currency_symbol(), "tickformat": "~s"}
    if unit == "rate":
        return {"tickformat": ".0%"}
    return {"tickformat": "~s"}


def report_chart(
    long: pd.DataFrame, times: list[str], others: list[str], colours: dict[str, str]
) -> Callable[[pd.DataFrame], go.Figure]:
    """The report builder's chart of its long frame (the group-by columns, `metric`, `value`): lines over a time
    grain, else grouped bars; coloured by the first other dimension in the colours every tab uses for it. Metrics
    of different units (money, rates, counts) get a panel each, never a shared axis."""
    metrics = list(dict.fromkeys(long["metric"]))
    unit_of = {metric: UNITS.get(metric, "number") for metric in metrics}
    panels = len(set(unit_of.values())) > 1
    colour = others[0] if others else "metric"
    options: dict[str, Any] = {
        "color": colour,
        "color_discrete_map": colours,
        "facet_row": "metric" if panels else None,
        "category_orders": {"metric": metrics},
        "custom_data": ["metric"],
    }

    def draw(data: pd.DataFrame) -> go.Figure:
        if times:
            dash = "metric" if others and len(metrics) > 1 and not panels else None
            drawn = px.line(data, x=times[0], y="value", line_dash=dash, markers=True, **options)
        else:
            drawn = px.bar(data, x=others[0] if others else "metric", y="value", barmode="group", **options)
        axes = {trace.yaxis: str(trace.customdata[0][0]) for trace in drawn.data if len(trace.customdata)}
        for axis, metric in axes.items():
            name = "yaxis" + axis.removeprefix("y")
            title = metric if panels or len(metrics) == 1 else ""  # in words once in_words reads it
            drawn.layout[name].update(matches=None, title_text=title, **axis_format(unit_of[metric]))
        drawn.for_each_annotation(lambda note: note.update(text=""))  # the panels' axis titles name them
        # the legend under the chart, so that on a phone the lines get the whole width
        legend = {"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.12 if panels else -0.25}
        return drawn.update_layout(height=280 * len(set(unit_of.values())) if panels else None, legend=legend)

    return draw


# active users in one family of blues, darkest for the most demanding count: no red, which means a loss elsewhere
ACTIVE_USER_COLOURS = {"dau": "#08306b", "wau": "#2171b5", "mau": "#6baed6"}


def first_full_month(days: pd.Series) -> pd.Timestamp:
    """The first day with 30 days of data up to it (the first of which is the data's first day): monthly active
    users and stickiness are whole from there."""
    return pd.Timestamp(pd.to_datetime(days).min()) + pd.Timedelta(days=29)


def active_users(engagement: pd.DataFrame) -> go.Figure:
    """engagement_daily's DAU, WAU and MAU by day, the legend under the chart."""
    long = engagement.melt(id_vars="date_day", value_vars=["dau", "wau", "mau"], var_name="measure", value_name="users")
    figure = px.line(long, x="date_day", y="users", color="measure", color_discrete_map=ACTIVE_USER_COLOURS)
    return figure.update_layout(legend={"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.25})


def stickiness(engagement: pd.DataFrame) -> go.Figure:
    """engagement_daily's DAU / MAU by day."""
    figure = px.line(engagement, x="date_day", y="stickiness", color_discrete_sequence=[ACTIVE_USER_COLOURS["dau"]])
    return figure.update_yaxes(tickformat=".0%")
