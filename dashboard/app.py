"""JobMetrics dashboard: the marts as pages for people who do not write SQL. This file is the entry of a
Streamlit multipage app (`st.navigation`): page config, sign-in, the tenant, the sidebar's filters and the row of
page links; each page is a module of dashboard/tabs/ that reads marts through the jobmetrics package and draws them
with the shared figures.

Every view is a link: the page is the URL's path (/funnel), and the tenant, the month range, the channels and
segments and each page's inputs live in its query, so a copied URL opens the same view; a link made when the pages
were tabs (`?tab=funnel`) opens its page. Every view reads one tenant's own file.
"""

from __future__ import annotations

import time
from datetime import datetime

import pandas as pd
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from jobmetrics import kpis, marts, paths, tenants
from jobmetrics.access.users import User
from jobmetrics.views import display, signin
from jobmetrics.views.display import words
from jobmetrics.warehouse import WarehouseUnavailable
from page_kit import (
    FILTERS,
    PAGES,
    READING,
    Filters,
    Scope,
    listed_parameter,
    mart,
    month_parameter,
    warehouse_file,
    write_listed,
)


def route() -> tuple[list[StreamlitPage], StreamlitPage]:
    """Every page (a module of dashboard/tabs/) and the one in the URL's path, settled first on every run, before
    sign-in. At / the page is the overview, or the one a link from before the pages names (`/?tab=funnel`), with
    all of that link's parameters."""
    old_link = st.query_params.get("tab", "")
    at_root = old_link if old_link in PAGES else "overview"
    pages = [
        st.Page(f"tabs/{path}.py", title=title, url_path=path, default=path == at_root) for path, title in PAGES.items()
    ]
    return pages, st.navigation(pages, position="hidden")


def draw(shown: StreamlitPage) -> None:
    """The page; its server time is kept in the session for `make benchmark`."""
    st.session_state["page"] = shown.title  # the page this run draws (the benchmark and the tests read it)
    started = time.perf_counter()
    try:
        shown.run()
    except WarehouseUnavailable as error:
        st.error(f"The warehouse cannot be read: {error}")
    st.session_state.setdefault("render_seconds", {})[shown.title] = time.perf_counter() - started


def page_links(pages: list[StreamlitPage]) -> None:
    """Every page's link in one row that wraps on a phone instead of hiding behind a menu."""
    with st.container(horizontal=True, gap=None):
        for page in pages:
            st.page_link(page)


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
    pages, shown = route()
    choose_tenant(signin.gate())
    page_links(pages)
    try:
        monthly = mart("mrr_monthly")
        # the filters' choices come from the small per-channel and per-segment marts, not the user table
        channel_names = sorted(set(mart("channel_performance")["acquisition_channel"]) - {"all"})
        segment_names = sorted(set(mart("segment_performance")["segment"]) - {"all"})
    except WarehouseUnavailable as error:
        built = "make build" in str(error)  # the message may say it already
        advice = "Reload this page once it is built." if built else "Run `make build`, then reload this page."
        st.error(f"The warehouse cannot be read: {error} {advice}")
        return
    kpis.show_money_in(str(monthly["reporting_currency"].iloc[0]) if len(monthly) else "USD")
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
            key="months",
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
    st.session_state[FILTERS] = Filters(months, Scope(channels, segments, channel_names, segment_names))
    draw(shown)


main()
