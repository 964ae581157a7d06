"""What every tab of the dashboard uses: the file it reads, marts cached until a new build, a chart or
table with the download of exactly what it shows, and the query parameters a link keeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from jobmetrics import marts, paths, tenants
from jobmetrics.views import display, figures
from jobmetrics.warehouse import WarehouseUnavailable


@dataclass(frozen=True)
class Scope:
    """The channels and segments the sidebar keeps, out of all there are."""

    channels: list[str]
    segments: list[str]
    all_channels: list[str]
    all_segments: list[str]

    @property
    def narrowed(self) -> bool:
        return set(self.channels) != set(self.all_channels) or set(self.segments) != set(self.all_segments)

    def of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of the channels and segments kept (a frame with acquisition_channel and segment)."""
        return frame[frame["acquisition_channel"].isin(self.channels) & frame["segment"].isin(self.segments)]


@dataclass(frozen=True)
class Filters:
    """What the sidebar chose for the page drawn in this run: the months and the channels and segments."""

    months: tuple[date, date]
    scope: Scope


# the session key of the sidebar's choice, set by dashboard/app.py before it runs a page
FILTERS = "filters"


def filters() -> Filters:
    """The sidebar's choice, for a page of the dashboard."""
    chosen: Filters = st.session_state[FILTERS]
    return chosen


def company_wide(what: str, scope: Scope) -> None:
    """Say beside a figure the filters do not apply to that it is the whole company's."""
    if scope.narrowed:
        st.caption(f"{what}: the whole company; the channel and segment filters do not apply.")


# each page's path in a link (and its `?tab=` before the pages) -> its title
PAGES = {
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


# the session key of the tenant this run reads, settled by choose_tenant before any mart is read
READING = "reading_tenant"


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


def rows_if_any(table: str, column: str, months: tuple[date, date]) -> pd.DataFrame | None:
    """A mart's rows in the months shown, or None when it has none there or the warehouse was built before it:
    the sections only some companies fill (billing and trials from Stripe)."""
    try:
        rows = in_months(mart(table), column, months)
    except WarehouseUnavailable:
        return None
    return None if rows.empty else rows


def download(frame: pd.DataFrame, name: str) -> None:
    """A "Download CSV" of exactly the rows and columns shown."""
    st.download_button("Download CSV", frame.to_csv(index=False), f"{name}.csv", "text/csv", key=f"download_{name}")


def offer_download(frame: pd.DataFrame, name: str) -> bool:
    """Say so when the filters leave nothing; otherwise offer the data for download."""
    if frame.empty:
        st.info("No data in this range (or for the channels and segments chosen).")
        return False
    download(frame, name)
    return True


def chart(frame: pd.DataFrame, name: str, figure: Callable[[pd.DataFrame], go.Figure]) -> None:
    """A Plotly chart drawn from `frame` alone (money to the cent), with a "Download CSV" of that same frame."""
    frame = display.to_cents(frame)
    if offer_download(frame, name):
        st.plotly_chart(figures.legend_below(figures.in_words(figure(frame))), width="stretch")


ROW_PIXELS = 35  # Streamlit's data grid: one row, and the header row, this tall


def table(
    frame: pd.DataFrame,
    name: str,
    units: dict[str, str] | None = None,
    everything: pd.DataFrame | None = None,
    all_rows: bool = False,
) -> None:
    """A table in words and formats, with a "Download CSV" of exactly the rows and columns shown (or of
    `everything`, when only the first rows of it are drawn); `all_rows` draws every row, with no inner scroll.
    Money is to the cent in both."""
    frame = display.to_cents(frame, units)
    everything = None if everything is None else display.to_cents(everything, units)
    if offer_download(frame if everything is None else everything, name):
        st.dataframe(
            display.for_screen(frame, units),
            hide_index=True,
            width="stretch",
            height=(len(frame) + 1) * ROW_PIXELS + 3 if all_rows else "auto",
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
