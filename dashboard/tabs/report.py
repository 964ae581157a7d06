"""The Report builder tab: metrics of the semantic layer by a time grain or a dimension, filtered by chosen
dimensions, operators and values."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from jobmetrics import paths
from jobmetrics.views import display, figures
from jobmetrics.views.display import words
from page_kit import (
    channel_colours,
    chart,
    listed_parameter,
    segment_colours,
    table,
    warehouse_file,
    write_listed,
)

if TYPE_CHECKING:
    from jobmetrics.views import semantic


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
        st.warning(f"Not run: {display.as_text(str(error))}.")
        return
    times = [column for column in group_by if column.startswith("metric_time")]
    others = [column for column in group_by if column not in times]
    frame = display.to_cents(frame).assign(**{column: pd.to_datetime(frame[column]) for column in times})
    long = frame.melt(id_vars=group_by, value_vars=metrics, var_name="metric", value_name="value")
    if times:
        long = long.sort_values([*others, "metric", times[0]])
    colours = chart_colours(others[0] if others else None, long, metrics)
    chart(long, "report_chart", figures.report_chart(long, times, others, colours))
    table(frame, "report")


def chart_colours(grouped: str | None, long: pd.DataFrame, metrics: list[str]) -> dict[str, str]:
    """The colours the report's lines or bars take: a channel's or a segment's from every other tab, a movement's
    from the MRR bridge, otherwise one per value."""
    if grouped is None:
        return {**display.colours(metrics), **figures.METRIC_COLOURS}
    if grouped.endswith("acquisition_channel"):
        return channel_colours()
    if grouped.endswith("segment"):
        return segment_colours()
    return display.colours(sorted({str(value) for value in long[grouped]}))


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
                st.warning(display.as_text(f"{error}."))  # it quotes the link's text
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
            st.warning(
                display.as_text(f"{words(dimension)} has no value {', '.join(unknown)} in this warehouse; left out.")
            )
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


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    report_builder()
