"""The SQL tab: one SELECT over the marts, run on the guarded path (jobmetrics.guarded)."""

from __future__ import annotations

import streamlit as st

from jobmetrics import paths
from jobmetrics.views import display
from page_kit import (
    table,
    warehouse_file,
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
            st.warning(f"Not run: {display.as_text(str(refused))}.")
            return
        if truncated:
            st.caption("Only the first 200 rows are shown.")
        table(result, "sql_result")


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    sql()
