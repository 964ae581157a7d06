"""The Channels and segments tab: spend, CAC and LTV:CAC by channel and month, and each segment's economics."""

from __future__ import annotations

from datetime import date

import streamlit as st

from jobmetrics.views import figures
from page_kit import (
    channel_colours,
    chart,
    in_months,
    mart,
    table,
    without_spend_undefined,
)


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
