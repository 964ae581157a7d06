"""JobMetrics dashboard: the marts as pages for people who do not write SQL. Pages only: every number is
read from a mart through the jobmetrics package and formatted the way the KPI overview formats it.

Every view is a link: the tab, the tenant, the month range, the channels and segments and the SQL tab's query
live in the URL's query, so a copied URL opens the same view. Every view reads one tenant's own file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.colors as plotly_colors
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from jobmetrics import marts, paths, tenants
from jobmetrics.access.users import User
from jobmetrics.kpis import OTHER_KPI_MARTS, format_value, signed
from jobmetrics.views import display, figures, signin
from jobmetrics.views.display import words
from jobmetrics.warehouse import WarehouseUnavailable

if TYPE_CHECKING:
    from jobmetrics.views import semantic

# the session key of the tenant this run reads, settled by choose_tenant before any mart is read
READING = "reading_tenant"
STATUS_COLOURS = {"ok": "green", "warning": "orange", "critical": "red", "no_data": "gray"}
# the `tab` query parameter -> the tab's label
TABS = {
    "overview": "Overview",
    "funnel": "Funnel",
    "cohorts": "Cohorts",
    "channels": "Channels and segments",
    "product": "Product",
    "churn": "Churn",
    "experiments": "Experiments",
    "sql": "SQL",
    "report": "Report builder",
    "ask": "Ask",
}


def warehouse_file() -> Path:
    """The file every view reads: the tenant choose_tenant settled on (its own file), or the warehouse when it
    holds one tenant and no one signs in."""
    return tenants.reader_path(paths.warehouse_path(), st.session_state.get(READING))


@st.cache_data(show_spinner=False)
def load(path: str, table: str, version: float) -> pd.DataFrame:
    """A mart of one file, cached until a new build is published (`version` is the file's modification time)."""
    del version  # part of the cache key only
    return marts.read(Path(path), table)


def mart(table: str) -> pd.DataFrame:
    path = warehouse_file()
    return load(str(path), table, marts.version(path))


def download(frame: pd.DataFrame, name: str) -> None:
    """A "Download CSV" of exactly the rows and columns shown."""
    st.download_button("Download CSV", frame.to_csv(index=False), f"{name}.csv", "text/csv", key=f"download_{name}")


def shown(frame: pd.DataFrame, name: str) -> bool:
    """Say so when the filters leave nothing; otherwise offer the data for download."""
    if frame.empty:
        st.info("No data in this range (or for the channels and segments chosen).")
        return False
    download(frame, name)
    return True


def chart(frame: pd.DataFrame, name: str, figure: Callable[[pd.DataFrame], go.Figure]) -> None:
    """A Plotly chart drawn from `frame` alone, with a "Download CSV" of that same frame."""
    if shown(frame, name):
        st.plotly_chart(figures.in_words(figure(frame)), width="stretch")


def table(
    frame: pd.DataFrame, name: str, units: dict[str, str] | None = None, everything: pd.DataFrame | None = None
) -> None:
    """A table in words and formats, with a "Download CSV" of exactly the rows and columns shown (or of
    `everything`, when only the first rows of it are drawn)."""
    if shown(frame if everything is None else everything, name):
        st.dataframe(
            display.for_screen(frame, units),
            hide_index=True,
            width="stretch",
            column_config=display.column_config(frame, units),
        )


def in_months(frame: pd.DataFrame, column: str, months: tuple[date, date]) -> pd.DataFrame:
    """The rows of the month range, in time order."""
    day = pd.to_datetime(frame[column]).dt.date
    return frame[(day >= months[0]) & (day <= months[1])].sort_values(column)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: what a mart's row holds is known by its contract, not by pandas' types."""
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def without_spend_undefined(frame: pd.DataFrame) -> pd.DataFrame:
    """CAC, LTV:CAC and payback mean nothing where nothing was spent: undefined there, not zero."""
    frame = frame.copy()
    spent = frame["spend_usd"] > 0
    for column in ("cac", "ltv_to_cac", "cac_payback_months"):
        if column in frame:
            frame[column] = frame[column].where(spent)
    return frame


def channel_colours() -> dict[str, str]:
    return display.colours(sorted(set(mart("channel_performance")["acquisition_channel"]) - {"all"}))


def segment_colours() -> dict[str, str]:
    return display.colours(sorted(set(mart("segment_performance")["segment"]) - {"all"}))


def kpi_rows() -> pd.DataFrame:
    """kpi_summary's KPIs and those of the other KPI marts this warehouse holds (the overview reads the same)."""
    frames = [mart("kpi_summary")]
    for other in OTHER_KPI_MARTS:
        try:
            frames.append(mart(other))
        except WarehouseUnavailable:  # built by an engine or a version without it
            continue
    return pd.concat(frames, ignore_index=True)


def overview(months: tuple[date, date]) -> None:
    kpis = kpi_rows()
    month = kpis["month"].dropna().max()
    st.subheader(f"Key metrics, {month:%B %Y}" if pd.notna(month) else "Key metrics (no complete month yet)")
    revenue = mart("mrr_monthly")
    latest = revenue[revenue["month"] == month]
    if not latest.empty:
        headline = records(latest)[0]
        left, right = st.columns(2)
        left.metric("MRR", format_value(headline["mrr"], "usd"), signed(headline["net_new_mrr"], "usd"))
        right.metric("Active customers", format_value(headline["active_customers"], "count"))
    columns = st.columns(4)
    for index, row in enumerate(records(kpis.sort_values("label"))):
        change = None if pd.isna(row["change"]) else signed(row["change"], row["unit"])
        with columns[index % 4]:
            st.metric(
                row["label"],
                format_value(row["value"], row["unit"]),
                change,
                delta_color="normal" if row["direction"] == "higher_is_better" else "inverse",
            )
            st.markdown(f":{STATUS_COLOURS[row['status']]}[{row['status'].replace('_', ' ')}]")

    monthly = in_months(mart("mrr_monthly"), "month", months)
    st.subheader("MRR")
    chart(monthly[["month", "mrr"]], "mrr", figures.mrr_trend)
    st.subheader("MRR movements (contraction and churn below zero)")
    chart(figures.mrr_bridge(monthly), "mrr_movements", figures.mrr_movements)

    st.subheader("Health check")
    statuses = kpis[["label", "status", "value", "warning", "critical", "benchmark_note"]].copy()
    for column in ["value", "warning", "critical"]:
        statuses[column] = [format_value(v, u) for v, u in zip(kpis[column], kpis["unit"], strict=True)]
    table(statuses, "kpi_statuses")
    anomalies = mart("metric_anomalies").sort_values(["is_bad", "date_day"], ascending=[False, False])
    recent = anomalies[pd.to_datetime(anomalies["date_day"]).dt.date >= months[1].replace(day=1)]
    st.caption("Anomalies in the last month of the range, harmful first")
    table(
        recent[["date_day", "metric", "direction", "severity", "is_bad", "value", "expected"]],
        "metric_anomalies",
        units={"value": "number", "expected": "number"},
    )


def grouped_bars(by: str, colours: dict[str, str]) -> Callable[[pd.DataFrame], go.Figure]:
    return lambda frame: px.bar(frame, x="step", y="users", color=by, barmode="group", color_discrete_map=colours)


def funnel(channels: list[str], segments: list[str], months: tuple[date, date]) -> None:
    steps = mart("conversion_funnel")
    steps = steps[steps["acquisition_channel"].isin(channels) & steps["segment"].isin(segments)]
    st.subheader("Free-to-paid funnel (each step as a share of the one before and of signups)")
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
    by_month = in_months(mart("conversion_by_signup_month"), "signup_month", months)
    st.subheader("Conversion by signup month (7, 30 and 90 days; open 90-day windows are marked)")
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


def cohorts(months: tuple[date, date]) -> None:
    measure = st.radio(
        "Retention",
        ["logo_retention_rate", "revenue_retention_rate"],
        horizontal=True,
        format_func=lambda name: "Logo" if name.startswith("logo") else "Revenue",
    )
    columns = ["cohort_month", "months_since_start", "cohort_customers", measure]
    cohort_table = in_months(mart("cohort_retention"), "cohort_month", months)[columns]
    chart(cohort_table, "cohort_retention", lambda frame: figures.cohort_heatmap(frame, measure))


def channels_and_segments(channels: list[str], months: tuple[date, date]) -> None:
    performance = without_spend_undefined(mart("channel_performance"))
    performance = performance[performance["acquisition_channel"].isin([*channels, "all"])]
    columns = ["acquisition_channel", "is_paid", "spend_usd", "new_customers", "cac", "ltv", "ltv_to_cac"]
    st.subheader("Channels over the whole period (paid channels first)")
    table(
        performance.sort_values(["is_paid", "acquisition_channel"], ascending=[False, True])[
            [*columns, "cac_payback_months"]
        ],
        "channel_performance",
    )
    monthly = in_months(without_spend_undefined(mart("channel_monthly")), "month", months)
    # a channel without spend has no CAC: it gets no line rather than a flat one at zero
    paid = monthly[monthly["acquisition_channel"].isin(channels) & monthly["cac"].notna()]
    st.subheader("Monthly CAC per paid channel")
    colours = channel_colours()
    chart(
        paid[["month", "acquisition_channel", "cac"]].sort_values(["acquisition_channel", "month"]),
        "channel_monthly",
        lambda frame: figures.channel_cac(frame, colours),
    )
    st.subheader("Segments")
    table(
        mart("segment_performance")[
            ["segment", "conversion_rate", "conversion_lift_vs_all", "customer_churn_rate", "current_arpu"]
        ],
        "segment_performance",
    )


def product(months: tuple[date, date]) -> None:
    st.subheader("Scans per day")
    chart(
        in_months(mart("scans_daily"), "date_day", months)[["date_day", "scans"]],
        "scans_daily",
        lambda frame: px.line(frame, x="date_day", y="scans"),
    )
    engagement = in_months(mart("engagement_daily"), "date_day", months)
    st.subheader("Active users")
    chart(
        engagement[["date_day", "dau", "wau", "mau"]],
        "active_users",
        lambda frame: px.line(
            frame, x="date_day", y=["dau", "wau", "mau"], labels={"value": "Active users", "variable": ""}
        ),
    )
    st.subheader("Stickiness (DAU / MAU)")
    chart(
        engagement[["date_day", "stickiness"]],
        "stickiness",
        lambda frame: px.line(frame, x="date_day", y="stickiness").update_yaxes(tickformat=".0%"),
    )
    iterations = mart("match_rate_by_iteration")
    st.subheader("Match rate by iteration on a job")
    if not iterations.empty:
        first = records(iterations)[0]
        left, right = st.columns(2)
        left.metric("Average lift per job", f"{first['avg_lift']:.1f} points")
        right.metric(
            "Jobs reaching the target match rate", format_value(first["share_of_jobs_reaching_target"], "rate")
        )
    chart(
        iterations[["iteration", "scans", "avg_match_rate"]],
        "match_rate_by_iteration",
        lambda frame: px.bar(frame, x="iteration", y="avg_match_rate", hover_data=["scans"]),
    )


SURVIVAL_GROUPINGS = ["overall", "segment", "acquisition_channel", "plan"]
SURVIVAL_MILESTONES = [1, 3, 6, 12]
RISK_VIEWS = {"Top decile": 10, "Top three deciles": 8, "Everyone": 0}
RISK_ROWS_SHOWN = 1_000
RISK_SCORERS = ["model", "segment_and_plan_rate", "days_since_last_scan_rate"]
# who and why first; on a narrow screen the rest is a scroll away
RISK_COLUMNS = [
    "user_id",
    "churn_probability_30d",
    "expected_mrr_at_risk",
    "driver_1",
    "driver_2",
    "driver_3",
    "plan_name",
    "mrr",
    "risk_decile",
    "segment",
    "acquisition_channel",
]


def translucent(colour: str, alpha: float = 0.18) -> str:
    """A Plotly colour (hex or rgb) as rgba, for a band that shows the line and the other bands through it."""
    red, green, blue = plotly_colors.unlabel_rgb(plotly_colors.convert_colors_to_same_type([colour], "rgb")[0][0])
    return f"rgba({red:.0f}, {green:.0f}, {blue:.0f}, {alpha})"


def survival_curves(colours: dict[str, str]) -> Callable[[pd.DataFrame], go.Figure]:
    """Each group's Kaplan-Meier curve as steps, with its 95% interval as a band of the same colour."""

    def figure(frame: pd.DataFrame) -> go.Figure:
        drawn = go.Figure()
        for name, curve in frame.groupby("group_value", sort=True):
            colour = colours[str(name)]
            months = curve["months_since_start"].tolist()
            band = curve.dropna(subset=["ci_low"])
            # the band: its upper edge, then its lower edge filled up to it, both in time order
            for edge, fill in (("ci_high", "none"), ("ci_low", "tonexty")):
                drawn.add_trace(
                    go.Scatter(
                        x=band["months_since_start"],
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
                    customdata=curve[["at_risk", "churned", "censored", "ci_low", "ci_high"]],
                    hovertemplate="after %{x} months: %{y:.1%} still paying (95% CI %{customdata[3]:.1%} to "
                    "%{customdata[4]:.1%}); %{customdata[0]:,} spells at risk, %{customdata[1]:,} ended and "
                    "%{customdata[2]:,} still paying after exactly %{x} months",
                )
            )
        drawn.update_yaxes(title_text="Still paying", tickformat=".0%", range=[0, 1.02])
        drawn.update_xaxes(title_text="Whole months since the spell started")
        # the legend under the plot, so that on a phone the curves get the whole width
        return drawn.update_layout(
            legend={"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.22}, hovermode="closest"
        )

    return figure


def survival_at_milestones(curves: pd.DataFrame, grouped_by: str) -> pd.DataFrame:
    """Per group: its spells and the share still paying after 1, 3, 6 and 12 months, the months no spell has
    reached left out (empty for a group whose spells are all shorter)."""
    longest = curves["months_since_start"].max()
    rows = []
    for name, curve in curves.groupby("group_value", sort=True):
        by_month = curve.set_index("months_since_start")
        row: dict[str, object] = {grouped_by: words(str(name)), "spells": by_month["at_risk"].get(0)}
        for month in (month for month in SURVIVAL_MILESTONES if month <= longest):
            row[f"after_{month}_month" + ("s" if month > 1 else "")] = by_month["survival"].get(month, float("nan"))
        rows.append(row)
    return pd.DataFrame(rows)


def logrank_sentence(tests: pd.DataFrame, grouped_by: str) -> str:
    found = records(tests[tests["grouped_by"] == grouped_by])
    if not found or found[0]["p_value"] is None or pd.isna(found[0]["p_value"]):
        return ""
    p_value = found[0]["p_value"]
    if p_value < 0.05:
        return f"These groups' survival differs (log-rank p = {p_value:.2g})."
    return f"No detectable difference between these groups (log-rank p = {p_value:.2g})."


def churn(channels: list[str], segments: list[str]) -> None:
    survival = mart("churn_survival")
    if survival.empty:
        st.info("No paying customers yet: survival needs subscriptions (docs/data.md), then `make build`.")
        return
    asked = st.query_params.get("survival_by", "")
    grouped_by = st.radio(
        "Survival of paying spells by",
        SURVIVAL_GROUPINGS,
        index=SURVIVAL_GROUPINGS.index(asked) if asked in SURVIVAL_GROUPINGS else 0,
        horizontal=True,
        format_func=words,
        key="survival_by",
    )
    st.query_params["survival_by"] = grouped_by
    curves = survival[survival["grouped_by"] == grouped_by]
    chosen = {"acquisition_channel": channels, "segment": segments}.get(grouped_by)
    if chosen is not None:
        curves = curves[curves["group_value"].isin(chosen)]
    colours = {"acquisition_channel": channel_colours(), "segment": segment_colours()}.get(
        grouped_by, display.colours(sorted(set(curves["group_value"])))
    )
    st.subheader("Share of paying spells still paying, by whole months since they started")
    columns = ["group_value", "months_since_start", "at_risk", "churned", "censored", "survival", "ci_low", "ci_high"]
    chart(
        curves[columns].sort_values(["group_value", "months_since_start"]), "churn_survival", survival_curves(colours)
    )
    sentence = logrank_sentence(mart("churn_survival_tests"), grouped_by)
    if sentence:
        st.markdown(sentence)
    milestones = survival_at_milestones(curves, grouped_by)
    reached = [column.split("_")[1] for column in milestones.columns if column.startswith("after_")]
    if reached:
        listed = ", ".join(reached[:-1]) + " and " + reached[-1] if len(reached) > 1 else reached[0]
        st.subheader(f"Still paying after {listed} month" + ("" if reached == ["1"] else "s"))
    table(milestones, "churn_survival_milestones")
    st.caption(
        "A paying spell runs from a customer's first paid day to the day they stop paying; a customer who comes "
        "back starts a new one. Spells still paying today count until today (censored). Shaded: the 95% "
        "interval. Every spell up to the reporting date: the month range does not apply. Definitions: "
        "docs/metrics.md, Churn."
    )
    churn_risk(channels, segments)


def with_contributions(risk: pd.DataFrame) -> pd.DataFrame:
    """Each driver followed by its signed contribution to the score ("no scans in the last 36 days (+1.32)")."""
    risk = risk.copy()
    for rank in (1, 2, 3):
        contribution = risk[f"driver_{rank}_contribution"].map("{:+.2f}".format, na_action="ignore")
        risk[f"driver_{rank}"] = risk[f"driver_{rank}"].astype("string") + " (" + contribution.astype("string") + ")"
    return risk


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
    return drawn.update_layout(legend={"title_text": "", "orientation": "h", "yanchor": "top", "y": -0.22})


def backtest_summary(evaluation: pd.DataFrame) -> pd.DataFrame:
    """One row per scorer: its AUC, Brier score, top-decile lift and its worst decile's calibration error."""
    rows = evaluation.groupby("scored_by", sort=False).agg(
        auc=("auc", "first"),
        brier_score=("brier_score", "first"),
        top_decile_lift=("top_decile_lift", "first"),
        worst_calibration_error=("calibration_error", "max"),
    )
    return rows.reindex([s for s in RISK_SCORERS if s in rows.index]).reset_index()


def churn_risk(channels: list[str], segments: list[str]) -> None:
    risk = mart("churn_risk")
    st.subheader("Who may stop paying in the next 30 days")
    if risk.empty:
        st.info("No customer is paying on the reporting date, so there is no one to score.")
        return
    risk = risk[risk["acquisition_channel"].isin(channels) & risk["segment"].isin(segments)]
    horizon = pd.Timestamp(risk["as_of_date"].max()) + pd.Timedelta(days=30) if not risk.empty else None
    if horizon is not None:
        st.markdown(
            f"**{format_value(risk['expected_mrr_at_risk'].sum(), 'usd')}** of "
            f"{format_value(risk['mrr'].sum(), 'usd')} MRR is expected to be lost by {horizon:%-d %B %Y}, "
            f"across {len(risk):,} paying customers."
        )
    view = st.radio("Customers shown", list(RISK_VIEWS), horizontal=True, key="risk_view")
    listed = risk[risk["risk_decile"].fillna(0) >= RISK_VIEWS[view]]
    listed = listed.sort_values(["churn_probability_30d", "user_id"], ascending=[False, True])
    # a browser table of every customer of a large company is slow to draw and no one reads it to the end
    drawn = listed.head(RISK_ROWS_SHOWN)
    if len(drawn) < len(listed):
        st.caption(f"The {len(drawn):,} likeliest to leave of {len(listed):,}; the download has them all.")
    everything = with_contributions(listed)[RISK_COLUMNS] if len(drawn) < len(listed) else None
    table(with_contributions(drawn)[RISK_COLUMNS], "churn_risk", everything=everything)
    evaluation = mart("churn_model_evaluation")
    if evaluation.empty:
        return
    first = records(evaluation)[0]
    st.subheader("Did the scores come true? Predicted against observed on weeks the model never saw")
    chart(
        evaluation[["scored_by", "risk_decile", "mean_predicted", "observed_rate"]].sort_values(
            ["scored_by", "risk_decile"]
        ),
        "churn_model_calibration",
        calibration_chart,
    )
    table(backtest_summary(evaluation), "churn_model_evaluation")
    st.caption(
        f"Held out: the customers paying on each week from {first['held_out_from']:%-d %b} to "
        f"{first['held_out_until']:%-d %b %Y}, scored by a model trained only on earlier weeks, beside two "
        "baselines: the churn rate of the customer's segment and plan, and of their days since the last scan. "
        "AUC: the chance a leaver was ranked above a stayer (0.5 is a coin). A driver's number is how far it "
        "moves the score from the average customer's, in log-odds. Channels and segments filter the list; "
        "the month range does not apply. Definitions: docs/metrics.md, Churn risk."
    )


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
    # one trace per panel, in the order the metrics first appear; a rate's lift reads in % on its panel
    for trace, metric in zip(figure.data, frame["metric"].unique(), strict=True):
        if display.EXPERIMENT_UNITS[metric] == "rate":
            figure.layout["xaxis" + trace.xaxis.removeprefix("x")].tickformat = ".0%"
    figure.update_traces(hovertemplate="%{y}: %{x:.3g} (95%% CI %{customdata[0]:.3g} to %{customdata[1]:.3g})")
    figure.add_vline(x=0, line_dash="dot", line_color="gray")
    figure.update_xaxes(matches=None, showticklabels=True)
    figure.for_each_annotation(lambda note: note.update(text=note.text.split("=")[-1]))
    return figure.update_layout(height=120 + 140 * frame["metric"].nunique())


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
    chart(lifts[["metric", "variant", *LIFT_COLUMNS]], "experiment_lifts", forest)
    for metric in display.EXPERIMENT_UNITS:
        rows = results[results["metric"] == metric].sort_values(["is_control", "variant"], ascending=[False, True])
        st.subheader(words(metric))
        columns = ["variant", "users", "value", *LIFT_COLUMNS, "p_value", "sequential_p_value"]
        if metric == "scans_per_user":
            columns += ["cuped_value", "cuped_absolute_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value"]
        table(rows[columns], f"experiment_{metric}", display.experiment_units(metric, columns))
    st.caption(
        "Counted: users whose window has ended, shown one variant. p-value: the chance of a difference this large "
        "with no real effect, valid when read once at the planned end; sequential p-value: valid however often "
        "you look. CUPED: scans per user adjusted for each user's scans before the test, a narrower interval. "
        "Definitions: docs/metrics.md, Experiments."
    )


def sql() -> None:
    from jobmetrics import guarded
    from jobmetrics.ask import catalog

    left, right = st.columns([3, 1])
    with right, st.expander("Marts and their columns", expanded=False):
        try:
            marts_described = catalog.load_catalog(paths.manifest_path()).marts
        except catalog.CatalogMissing as error:
            st.caption(str(error))
            marts_described = {}
        for name, described in marts_described.items():
            st.markdown(f"**marts.{name}**: {described.description}")
            st.caption("; ".join(f"`{column}` {text}" for column, (_, text) in described.columns.items()))
    with left:
        query = st.text_area(
            "One SELECT over the marts (read-only; at most 200 rows, 10 seconds)",
            key="q",
            bind="query-params",
            placeholder="select month, mrr from marts.mrr_monthly order by month",
        )
        if not query.strip():
            return
        try:
            result, truncated = guarded.frame(warehouse_file(), query)
        except guarded.QueryRefused as refused:
            st.warning(f"Not run: {refused}.")
            return
        if truncated:
            st.caption("Only the first 200 rows are shown.")
        table(result, "sql_result")


def report_builder() -> None:
    from jobmetrics.views import semantic

    manifest = paths.semantic_manifest_path()
    try:
        metric_names = semantic.metric_names(manifest)
    except semantic.ReportFailed as error:
        st.info(f"The semantic layer is not available: {error}.")
        return
    metrics = st.multiselect(
        "Metrics",
        metric_names,
        default=listed_parameter("metrics", metric_names, fallback=[]),
        format_func=words,
        key="metrics",
    )
    dimensions = semantic.group_by_names(manifest, metrics)
    group_by = st.multiselect(
        "Group by",
        dimensions,
        default=listed_parameter("group_by", dimensions, fallback=[]),
        format_func=words,
        key="group_by",
    )
    write_listed("metrics", metrics, [])
    write_listed("group_by", group_by, [])
    if not metrics:
        st.caption("Choose one or more metrics, and what to group them by (a time grain, a dimension).")
        return
    try:
        filters = report_filters(manifest, metrics)
        frame = semantic.report(warehouse_file(), manifest, metrics, group_by, filters)
    except semantic.ReportFailed as error:
        st.warning(f"Not run: {error}.")
        return
    times = [column for column in group_by if column.startswith("metric_time")]
    others = [column for column in group_by if column not in times]
    long = frame.melt(id_vars=group_by, value_vars=metrics, var_name="metric", value_name="value")
    if times:
        long = long.sort_values([*others, "metric", times[0]])
        figure: Callable[[pd.DataFrame], go.Figure] = lambda data: px.line(  # noqa: E731
            data, x=times[0], y="value", color=others[0] if others else "metric", line_dash="metric", markers=True
        )
    else:
        figure = lambda data: px.bar(  # noqa: E731
            data, x=others[0] if others else "metric", y="value", color="metric", barmode="group"
        )
    chart(long, "report_chart", figure)
    table(frame, "report")


def report_filters(manifest: Path, metrics: list[str]) -> list[semantic.Filter]:
    """The report's filters: dimensions, an operator and values, each chosen from the dimension's own values and
    kept in the link (`?filter=user__segment:in:student`); the older `?where=` links of that one form still open."""
    from jobmetrics.views import semantic

    linked: dict[str, semantic.Filter] = {}
    for text in [*st.query_params.get_all("filter"), st.query_params.get("where", "")]:
        if text.strip():
            try:
                chosen = semantic.parse_filter(text)
            except semantic.ReportFailed as error:
                st.warning(f"{error}.")
                continue
            linked[chosen.dimension] = chosen
    st.query_params.pop("where", None)
    dimensions = semantic.filter_dimensions(manifest, metrics)
    filtered_on = st.multiselect(
        "Filter on",
        dimensions,
        default=[name for name in linked if name in dimensions],
        format_func=words,
        key="filter_on",
    )
    filters = []
    for dimension in filtered_on:
        values = [str(value) for value in semantic.dimension_values(warehouse_file(), manifest, metrics, dimension)]
        given = linked.get(dimension)
        unknown = [value for value in given.values if value not in values] if given else []
        if unknown:
            st.warning(f"{words(dimension)} has no value {', '.join(unknown)} in this warehouse; left out.")
        operator_column, values_column = st.columns([1, 3])
        operator = operator_column.selectbox(
            words(dimension),
            list(semantic.OPERATORS),
            index=list(semantic.OPERATORS).index(given.operator) if given else 0,
            format_func=lambda name: semantic.OPERATORS[name][0],
            key=f"filter_operator_{dimension}",
        )
        picked = values_column.multiselect(
            f"{words(dimension)} values",
            values,
            default=[value for value in given.values if value in values] if given else [],
            format_func=words,
            key=f"filter_values_{dimension}",
            label_visibility="hidden",
        )
        if picked:
            filters.append(semantic.Filter(dimension, operator, tuple(picked)))
    if filters:
        st.query_params["filter"] = [chosen.link() for chosen in filters]
    else:
        st.query_params.pop("filter", None)
    return filters


def ask() -> None:
    from jobmetrics.ask import engine  # the same engine as ai_ask.py

    question = st.text_input(
        "Ask a question about the business", placeholder="What's driving our churn?", key="question"
    )
    if question:
        try:
            answer = engine.answer(engine.Request(db=warehouse_file(), question=question))
        except engine.AskFailed as error:
            message = str(error)
            st.error(message[:1].upper() + message[1:])
            return
        st.markdown(display.answer_markdown(answer.text))
        if answer.queries:
            st.caption("Queries run")
        for number, query in enumerate(answer.queries, start=1):
            st.code(f"-- Q{number}\n{query.sql}", language="sql")


def render(title: str, page: Callable[[], None]) -> None:
    """One tab; its server time is kept in the session for `make benchmark`."""
    started = time.perf_counter()
    try:
        page()
    except WarehouseUnavailable as error:
        st.error(f"The warehouse cannot be read: {error}")
    st.session_state.setdefault("render_seconds", {})[title] = time.perf_counter() - started


def month_parameter(name: str, months: list[date], fallback: date) -> date:
    """A month from the query (`YYYY-MM`) when it is one of the months there are, else the fallback."""
    text = st.query_params.get(name, "")
    return next((month for month in months if f"{month:%Y-%m}" == text), fallback)


def listed_parameter(name: str, options: list[str], fallback: list[str] | None = None) -> list[str]:
    """The options the query lists (`?channels=a&channels=b`; `?channels=` for none), or the fallback (all
    the options unless said) when the query does not name the parameter or lists none it knows."""
    given = st.query_params.get_all(name)
    if given == [""]:
        return []
    listed = [value for value in given if value in options]
    return listed or (options if fallback is None else fallback)


def write_listed(name: str, values: list[str], default: list[str]) -> None:
    if values == default:
        st.query_params.pop(name, None)  # the default: the short link
    else:
        st.query_params[name] = values or ""


def remember_tab() -> None:
    label = st.session_state["tab"]
    st.query_params["tab"] = next(key for key, value in TABS.items() if value == label)


def choose_tenant(user: User | None) -> None:
    """Settle which tenant this run reads, before anything is read: the one set for the dashboard
    ($JOBMETRICS_TENANT), else a choice of company kept in the URL; a signed-in user chooses among the tenants
    granted and always reads a tenant's own file."""
    st.session_state[READING] = None
    known = tenants.published_tenants(paths.warehouse_path())
    visible = known if user is None else user.visible(known)
    fixed = tenants.chosen()
    if fixed:
        if user is not None and fixed not in visible:
            st.error(f"{display.as_text(user.email)} may not see this dashboard's company; ask an admin to grant it.")
            st.stop()
        st.session_state[READING] = fixed
        return
    if user is not None and not visible:
        st.warning(
            f"{display.as_text(user.email)} may see none of the companies in this warehouse; ask an admin to grant one."
        )
        st.stop()
    if len(visible) < 2:
        st.session_state[READING] = visible[0] if user is not None else None
        return
    asked = st.query_params.get("tenant", "")
    with st.sidebar:
        tenant = st.selectbox("Company", visible, index=visible.index(asked) if asked in visible else 0)
    st.query_params["tenant"] = tenant
    st.session_state[READING] = tenant


def board_pack() -> None:
    """The board pack `jobmetrics report` writes, of the company shown, printed when asked for."""
    from jobmetrics.views import report

    db = warehouse_file()
    tenant = st.session_state.get(READING) or (tenants.published_tenants(paths.warehouse_path()) or ["default"])[0]
    try:
        month = report.latest_complete_month(db)
    except WarehouseUnavailable:  # no complete month yet, or a warehouse built before kpi_history
        st.caption("The board pack needs a complete month of data.")
        return
    st.download_button(
        f"Board pack, {month:%b %Y} (PDF)",
        lambda: report.pdf_bytes(db, tenant),
        file_name=f"jobmetrics-{tenant}-{month:%Y-%m}.pdf",
        mime="application/pdf",
        on_click="ignore",
        key="board_pack",
    )


def freshness(monthly: pd.DataFrame) -> str:
    """When the data ends and when it was built: the latest snapshot and the published file's time (the cache is
    keyed on that time, so the next interaction after a new build reads the new file)."""
    as_of = pd.to_datetime(monthly["snapshot_date"]).max()
    built = datetime.fromtimestamp(marts.version(warehouse_file()))
    return f"Data as of {as_of:%-d %b %Y}, built at {built:%-d %b %Y %H:%M}."


def main() -> None:
    st.set_page_config(page_title="JobMetrics", layout="wide")
    st.title("JobMetrics")
    choose_tenant(signin.gate())
    try:
        monthly = mart("mrr_monthly")
        # the filters' choices come from the small per-channel and per-segment marts, not the user table
        channel_names = sorted(set(mart("channel_performance")["acquisition_channel"]) - {"all"})
        segment_names = sorted(set(mart("segment_performance")["segment"]) - {"all"})
    except WarehouseUnavailable as error:
        st.error(f"The warehouse cannot be read: {error} Run `make build`, then reload this page.")
        return
    all_months = sorted(pd.to_datetime(monthly["month"]).dt.date)
    if not all_months:
        st.info("The warehouse has no months of data yet; add raw data and run `make build`.")
        return
    with st.sidebar:
        default_range = (all_months[max(len(all_months) - 12, 0)], all_months[-1])
        months = st.select_slider(
            "Months",
            options=all_months,
            value=(
                month_parameter("from", all_months, default_range[0]),
                month_parameter("to", all_months, default_range[1]),
            ),
            format_func=lambda month: f"{month:%b %Y}",
        )
        channels = st.multiselect(
            "Channels",
            channel_names,
            default=listed_parameter("channels", channel_names),
            format_func=words,
            key="channels",
        )
        segments = st.multiselect(
            "Segments",
            segment_names,
            default=listed_parameter("segments", segment_names),
            format_func=words,
            key="segments",
        )
        board_pack()
    st.query_params["from"], st.query_params["to"] = f"{months[0]:%Y-%m}", f"{months[1]:%Y-%m}"
    write_listed("channels", channels, channel_names)
    write_listed("segments", segments, segment_names)
    chosen_channels = display.as_text(", ".join(map(words, channels)) or "none")
    chosen_segments = display.as_text(", ".join(map(words, segments)) or "none")
    st.caption(
        f"Showing {months[0]:%b %Y} to {months[1]:%b %Y}; channels: {chosen_channels}; "
        f"segments: {chosen_segments}. {freshness(monthly)}"
    )
    pages: dict[str, Callable[[], None]] = {
        "Overview": lambda: overview(months),
        "Funnel": lambda: funnel(channels, segments, months),
        "Cohorts": lambda: cohorts(months),
        "Channels and segments": lambda: channels_and_segments(channels, months),
        "Product": lambda: product(months),
        "Churn": lambda: churn(channels, segments),
        "Experiments": experiment_view,
        "SQL": sql,
        "Report builder": report_builder,
        "Ask": ask,
    }
    chosen = TABS.get(st.query_params.get("tab", ""), "Overview")
    tabs = st.tabs(list(pages), default=chosen, key="tab", on_change=remember_tab)
    for tab, (title, page) in zip(tabs, pages.items(), strict=True):
        if tab.open:
            with tab:
                render(title, page)


main()
