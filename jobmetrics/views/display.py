"""How the marts' columns and names read on a screen: words instead of column names, each column's unit and
format, and one colour per channel and per segment on every chart. The dashboard's tables and charts take
all of it from here, so a column reads the same wherever it is shown."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.express as px
from pandas.io.formats.style import Styler

from jobmetrics.columns import UNITS
from jobmetrics.kpis import MISSING, format_value

# Words for the columns whose name does not read well once its underscores become spaces.
LABELS = {
    "mrr": "MRR",
    "net_new_mrr": "Net new MRR",
    "new_mrr": "New MRR",
    "reactivation_mrr": "Reactivation MRR",
    "expansion_mrr": "Expansion MRR",
    "contraction_mrr": "Contraction MRR",
    "churned_mrr": "Churned MRR",
    "churned_mrr_voluntary": "Churned MRR (cancelled)",
    "churned_mrr_involuntary": "Churned MRR (failed payments)",
    "fx_mrr": "Exchange rates",
    "discount_mrr": "Given up to discounts",
    "uncollectible": "Uncollectible",
    "trials_started": "Trials started",
    "trials_converted": "Trials converted",
    "all_trials_ended": "All trials ended",
    "trial_month": "Trial month",
    "spend_usd": "Spend",
    "cac": "CAC",
    "ltv": "LTV",
    "ltv_to_cac": "LTV:CAC",
    "cac_payback_months": "CAC payback",
    "arpu": "ARPU",
    "current_arpu": "ARPU now",
    "acquisition_channel": "Channel",
    "is_paid": "Paid",
    "date_day": "Day",
    "dau": "Daily active users",
    "wau": "Weekly active users",
    "mau": "Monthly active users",
    "avg_match_rate": "Average match rate",
    "conversion_lift_vs_all": "Conversion vs all",
    "customer_churn_rate": "Customer churn",
    "conversion_rate_7d": "Within 7 days",
    "conversion_rate_30d": "Within 30 days",
    "conversion_rate_90d": "Within 90 days",
    "has_full_90_day_window": "90 days observed",
    "months_since_start": "Months since start",
    "cohort_month": "Cohort",
    "signup_month": "Signup month",
    "is_bad": "Harmful",
    "benchmark_note": "Benchmark",
    "mrr_change": "Change of MRR",
    "movement": "Movement",
    "absolute_lift": "Lift",
    "ci_low": "95% CI from",
    "ci_high": "95% CI to",
    "p_value": "p-value",
    "sequential_p_value": "Sequential p-value",
    "cuped_value": "CUPED value",
    "cuped_absolute_lift": "CUPED lift",
    "cuped_ci_low": "CUPED CI from",
    "cuped_ci_high": "CUPED CI to",
    "cuped_p_value": "CUPED p-value",
    "churn_probability_30d": "Chance of leaving in 30 days",
    "expected_mrr_at_risk": "MRR at risk",
    "risk_decile": "Risk decile",
    "plan_name": "Plan",
    "user_id": "Customer",
    "driver_1": "Strongest driver",
    "driver_2": "Second driver",
    "driver_3": "Third driver",
    "scored_by": "Scored by",
    "mean_predicted": "Predicted",
    "observed_rate": "Observed",
    "auc": "AUC",
    "brier_score": "Brier score",
    "top_decile_lift": "Top-decile lift",
    "model": "Churn-risk model",
    "segment_and_plan_rate": "Segment and plan rate",
    "days_since_last_scan_rate": "Days since last scan rate",
}
NAMES = {
    "all": "All (blended)",
    "sql": "SQL",
    # the funnel's steps (docs/metrics.md, conversion_funnel)
    "signed_up": "Signed up",
    "scanned": "Scanned a resume",
    "engaged": "Engaged in the first weeks",
    "converted": "Became a paying customer",
    "retained": "Still paying a month later",
}
# An experiment's tables hold one metric each: the unit of its values, and p-values as p-values.
EXPERIMENT_UNITS = {"conversion": "rate", "scans_per_user": "number", "match_rate": "points"}


def experiment_units(metric: str, columns: list[str]) -> dict[str, str]:
    """The units of an experiment table's columns for one metric: a lift of a rate, and its interval, in
    percentage points ("9.2 pts", as the verdict says), never as a percentage."""
    unit = EXPERIMENT_UNITS[metric]
    return {
        column: "p_value"
        if column.endswith("p_value")
        else ("rate_points" if unit == "rate" and not column.endswith("value") else unit)
        for column in columns
        if column.endswith(("value", "lift", "_low", "_high"))
    }


MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# Streamlit's Markdown links addresses and URLs after escapes are read: an invisible word joiner breaks them
LINKED = re.compile(r"(@|:|(?<![\w.])www(?=\\\.))")


def as_text(text: str) -> str:
    """A name from the data (a channel, an email, a company) for Streamlit's Markdown, shown as the text it is:
    every Markdown character escaped, and a word joiner where an address or URL would be made a link."""
    return LINKED.sub("\\1\u2060", MARKDOWN_PUNCTUATION.sub(r"\\\1", text))


def words(name: str) -> str:
    """A column or a value (channel, segment, metric) as a person reads it: `paid_search` is "Paid search";
    a semantic-layer dimension too: `metric_time__month` is "Month", `user__signup_date__month` is
    "Signup date (month)"."""
    if "__" in name:
        parts = name.split("__")
        if parts[0] == "metric_time":
            return parts[1].capitalize()
        grain = f" ({parts[2]})" if len(parts) > 2 else ""
        return words(parts[1]) + grain
    if name in LABELS:
        return LABELS[name]
    if name in NAMES:
        return NAMES[name]
    return name.replace("_", " ").capitalize()


NAMED = {
    "acquisition_channel",
    "segment",
    "metric",
    "step",
    "movement",
    "direction",
    "severity",
    "status",
    "window",
    "variant",
    "scored_by",
}


def column_config(frame: pd.DataFrame, units: dict[str, str] | None = None) -> dict[str, Any]:
    """Streamlit column settings for a table: each column titled in words; numbers aligned right."""
    import streamlit as st

    known = {**UNITS, **(units or {})}
    return {
        column: st.column_config.Column(words(column), alignment="right" if column in known else None)
        for column in frame.columns
    }


def to_cents(frame: pd.DataFrame, units: dict[str, str] | None = None) -> pd.DataFrame:
    """Money columns rounded to the cent, as a finance reader expects a download to hold them (a sum of doubles
    reads 67112.79999999808 otherwise); every other column as it is."""
    known = {**UNITS, **(units or {})}
    money = [
        column
        for column in frame.columns
        if known.get(str(column)) == "money" and pd.api.types.is_float_dtype(frame[column])
    ]
    return frame.assign(**{str(column): frame[column].round(2) for column in money}) if money else frame


def for_screen(frame: pd.DataFrame, units: dict[str, str] | None = None) -> Styler:
    """The frame as a table shows it: each number in its column's unit, names in words, an undefined value
    as a dash. Streamlit writes "None" in any empty cell whatever the styling, so a column with an undefined
    value is shown as text; the others stay numbers underneath (they sort as numbers) and are styled."""
    known = {**UNITS, **(units or {})}
    screen = frame.copy()
    formats: dict[Any, str | Callable[[object], str] | None] = {}
    for column in frame.columns:
        if column in known and frame[column].isna().any():
            screen[column] = [format_value(value, known[column]) for value in frame[column]]
        elif column in known:
            formats[column] = functools.partial(format_value, unit=known[column])
        elif column in NAMED:
            screen[column] = [words(str(value)) if isinstance(value, str) else MISSING for value in frame[column]]
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            formats[column] = date_format(frame[column], str(column))
    return screen.style.format(formats)


def date_format(values: pd.Series, column: str) -> Callable[[object], str] | None:
    """A day as a date, not "2025-12-01 00:00:00", and a month column as its month ("Dec 2025"); a time of day is
    kept where the column has one."""
    known = values.dropna()
    if known.empty or (known != known.dt.normalize()).any():
        return None
    pattern = "%b %Y" if column.endswith("month") and (known.dt.day == 1).all() else "%Y-%m-%d"

    def shown(value: object) -> str:
        day = pd.Timestamp(str(value)) if value is not None else pd.NaT
        return MISSING if pd.isna(day) else day.strftime(pattern)

    return shown


def colours(names: list[str]) -> dict[str, str]:
    """One colour per name, given by its place in the whole sorted list, so filtering never repaints a line."""
    palette = px.colors.qualitative.Safe
    return {name: palette[index % len(palette)] for index, name in enumerate(sorted(names))}


def answer_markdown(text: str) -> str:
    """The answer's own lines kept: a line break ends every line, and a list starts on a line of its own."""
    lines = text.splitlines()
    kept = []
    for index, line in enumerate(lines):
        is_item = line.lstrip().startswith(("- ", "* ")) or line[:2].rstrip(".").isdigit()
        after_text = index > 0 and lines[index - 1].strip() and not lines[index - 1].lstrip().startswith(("- ", "* "))
        if is_item and after_text:
            kept.append("")
        kept.append(line if is_item or not line.strip() else line + "  ")
    return "\n".join(kept)
