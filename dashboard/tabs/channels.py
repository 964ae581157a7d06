"""The Channels and segments tab: spend, CAC and LTV:CAC by channel and month, and each segment's economics."""

from __future__ import annotations

from datetime import date

import streamlit as st

from jobmetrics.views import figures
from page_kit import (
    Scope,
    channel_colours,
    chart,
    filters,
    in_months,
    mart,
    table,
    without_spend_undefined,
)


def channels_and_segments(scope: Scope, months: tuple[date, date]) -> None:
    channels = scope.channels
    performance = without_spend_undefined(mart("channel_performance"))
    performance = performance[performance["acquisition_channel"].isin([*channels, "all"])]
    columns = ["acquisition_channel", "is_paid", "spend_usd", "new_customers", "cac", "ltv", "ltv_to_cac"]
    st.subheader("Channels over the whole period (paid channels first)")
    if set(scope.segments) != set(scope.all_segments):
        st.caption("Channel economics count every segment; the segment filter does not apply to them.")
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
    st.subheader("Segments over the whole period (churn: churned customers / customer-months since the start)")
    if set(scope.channels) != set(scope.all_channels):
        st.caption("Segment economics count every channel; the channel filter does not apply to them.")
    segments = mart("segment_performance")
    table(
        segments[segments["segment"].isin([*scope.segments, "all"])][
            ["segment", "conversion_rate", "conversion_lift_vs_all", "customer_churn_rate", "current_arpu"]
        ],
        "segment_performance",
    )


if __name__ == "__main__":  # the page, as dashboard/app.py's navigation runs it
    chosen = filters()
    channels_and_segments(chosen.scope, chosen.months)
