"""The Churn tab: survival curves by grouping with the log-rank test, who may stop paying in the next 30 days
and the risk model's out-of-time backtest."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from jobmetrics.kpis import format_value, p_words
from jobmetrics.views import display, figures
from jobmetrics.views.display import words
from page_kit import (
    Scope,
    channel_colours,
    chart,
    company_wide,
    filters,
    mart,
    records,
    segment_colours,
    table,
)

SURVIVAL_GROUPINGS = ["overall", "segment", "acquisition_channel", "plan"]


SURVIVAL_MILESTONES = [1, 3, 6, 12]


def grouping_asked(text: str) -> str:
    """The grouping a link names, by its name or by the words the page shows (`channel` and `Channel` are
    acquisition_channel); an unknown one is said in a sentence and the overall curve shown."""
    known = {name: name for name in SURVIVAL_GROUPINGS}
    known |= {words(name).lower(): name for name in SURVIVAL_GROUPINGS} | {"channel": "acquisition_channel"}
    if not text:
        return SURVIVAL_GROUPINGS[0]
    found = known.get(text.strip().lower().replace(" ", "_")) or known.get(text.strip().lower())
    if found is None:
        choices = ", ".join(words(name).lower() for name in SURVIVAL_GROUPINGS)
        st.warning(
            f"Survival cannot be grouped by {display.as_text(repr(text))}; it can be by {choices}. Showing overall."
        )
        return SURVIVAL_GROUPINGS[0]
    return found


RISK_VIEWS = {"Top decile": 10, "Top three deciles": 8, "Everyone": 0}


RISK_ROWS_SHOWN = 1_000


# who and why first; on a narrow screen the rest is a scroll away


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


def survival_at_milestones(curves: pd.DataFrame, grouped_by: str) -> pd.DataFrame:
    """Per group: its spells and the share still paying after 1, 3, 6 and 12 months, the months no spell has
    reached left out (empty for a group whose spells are all shorter). Still paying after k months is paying
    for more than k - 1 whole months: the survival of row k - 1."""
    longest = curves["months_since_start"].max() + 1
    rows = []
    for name, curve in curves.groupby("group_value", sort=True):
        by_month = curve.set_index("months_since_start")
        row: dict[str, object] = {grouped_by: words(str(name)), "spells": by_month["at_risk"].get(0)}
        for month in (month for month in SURVIVAL_MILESTONES if month <= longest):
            survival = by_month["survival"].get(month - 1, float("nan"))
            row[f"after_{month}_month" + ("s" if month > 1 else "")] = survival
        rows.append(row)
    return pd.DataFrame(rows)


def logrank_sentence(tests: pd.DataFrame, grouped_by: str) -> str:
    found = records(tests[tests["grouped_by"] == grouped_by])
    if not found or found[0]["p_value"] is None or pd.isna(found[0]["p_value"]):
        return ""
    p_value = found[0]["p_value"]
    if p_value < 0.05:
        return f"These groups' survival differs (log-rank {p_words(p_value)})."
    return f"No detectable difference between these groups (log-rank {p_words(p_value)})."


def churn(scope: Scope) -> None:
    channels, segments = scope.channels, scope.segments
    survival = mart("churn_survival")
    if survival.empty:
        st.info("No paying customers yet: survival needs subscriptions (docs/data.md), then `make build`.")
        return
    asked = grouping_asked(st.query_params.get("survival_by", ""))
    grouped_by = st.radio(
        "Survival of paying spells by",
        SURVIVAL_GROUPINGS,
        index=SURVIVAL_GROUPINGS.index(asked),
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
    st.subheader("Share of paying spells that paid at least so many whole months (100% at the start)")
    if grouped_by in ("overall", "plan"):
        company_wide("Survival by " + words(grouped_by).lower(), scope)
    chart(figures.survival_points(curves), "churn_survival", figures.survival_curves(colours))
    sentence = logrank_sentence(mart("churn_survival_tests"), grouped_by)
    if sentence:
        st.markdown(sentence)
    milestones = survival_at_milestones(curves, grouped_by)
    reached = [column.split("_")[1] for column in milestones.columns if column.startswith("after_")]
    if reached:
        listed = ", ".join(reached[:-1]) + " and " + reached[-1] if len(reached) > 1 else reached[0]
        st.subheader(f"Paid at least {listed} whole month" + ("" if reached == ["1"] else "s"))
    table(milestones, "churn_survival_milestones")
    st.caption(
        "A paying spell runs from a customer's first paid day to the day they stop paying; a customer who comes "
        "back starts a new one. Spells still paying today count until today (censored). Shaded: the 95% "
        "interval. Every spell up to the reporting date: the month range does not apply. Not month-1 logo "
        "retention (the Overview's KPI), which is the share of one month's new customers still paying at the next "
        "month's snapshot. Definitions: docs/metrics.md, Churn."
    )
    churn_risk(channels, segments)


def with_contributions(risk: pd.DataFrame) -> pd.DataFrame:
    """Each driver followed by its signed contribution to the score ("no scans in the last 36 days (+1.32)")."""
    risk = risk.copy()
    for rank in (1, 2, 3):
        contribution = risk[f"driver_{rank}_contribution"].map("{:+.2f}".format, na_action="ignore")
        risk[f"driver_{rank}"] = risk[f"driver_{rank}"].astype("string") + " (" + contribution.astype("string") + ")"
    return risk


def backtest_summary(evaluation: pd.DataFrame) -> pd.DataFrame:
    """One row per scorer: its AUC, Brier score, top-decile lift and its worst decile's calibration error."""
    rows = evaluation.groupby("scored_by", sort=False).agg(
        auc=("auc", "first"),
        brier_score=("brier_score", "first"),
        top_decile_lift=("top_decile_lift", "first"),
        worst_calibration_error=("calibration_error", "max"),
    )
    return rows.reindex([s for s in figures.RISK_SCORERS if s in rows.index]).reset_index()


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
            f"**{format_value(risk['expected_mrr_at_risk'].sum(), 'money')}** of "
            f"{format_value(risk['mrr'].sum(), 'money')} MRR is expected to be lost by {horizon:%-d %B %Y}, "
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
        figures.calibration_chart,
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


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    churn(filters().scope)
