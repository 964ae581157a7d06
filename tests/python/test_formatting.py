"""Every surface formats a value and a change the one way (jobmetrics.kpis): checked against values written by
hand."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from jobmetrics.kpis import MISSING, currency_symbol, format_value, money_in, p_words, read_reporting_currency, signed
from jobmetrics.stats import experiments
from jobmetrics.views import display, figures
from jobmetrics.warehouse import WarehouseUnavailable


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.0942, "rate", "9.4%"),
        (67112.8, "money", "$67,112.80"),
        (4.1639, "multiple", "4.16x"),
        (2.23, "months", "2.2 mo"),
        (1544, "count", "1,544"),
        (0.0004, "p_value", "< 0.001"),
        (None, "money", MISSING),
        (math.nan, "rate", MISSING),
    ],
)
def test_a_value_reads_as_people_read_it(value: float | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


@pytest.mark.parametrize(
    ("change", "unit", "shown"),
    [
        (-0.27, "money", "-$0.27"),
        (5642.85, "money", "+$5,642.85"),
        (0.0012, "rate", "+0.1 pts"),  # a change of a rate is in percentage points, not percent
        (-0.0163, "rate", "-1.6 pts"),
        (-0.00001, "months", "0.0 mo"),  # never "-0.0"
        (0.0004, "rate", "0.0 pts"),
        (None, "rate", MISSING),
    ],
)
def test_a_change_has_its_sign_first_and_rates_move_in_points(change: float | None, unit: str, shown: str) -> None:
    assert signed(change, unit) == shown


@pytest.mark.parametrize(
    ("currency", "value", "shown", "symbol"),
    [
        ("EUR", 1250, "€1,250.00", "€"),
        ("eur", -0.27, "-€0.27", "€"),
        ("JPY", 1200.4, "¥1,200", "¥"),  # the yen has no minor unit
        ("GBP", 67112.8, "£67,112.80", "£"),
        ("CHF", 9.5, "CHF9.50", "CHF"),  # no symbol of its own: the code
    ],
)
def test_money_reads_in_the_reporting_currency(currency: str, value: float, shown: str, symbol: str) -> None:
    with money_in(currency):
        assert format_value(value, "money") == shown
        assert currency_symbol() == symbol
    assert format_value(value, "money").startswith(("$", "-$"))  # and back to dollars outside the block


def test_a_warehouse_built_before_the_reporting_currency_says_to_rebuild() -> None:
    """A warehouse of the previous release (mrr_monthly without reporting_currency) gets one sentence, not a
    traceback."""
    with duckdb.connect() as con:
        con.execute("create schema marts; create table marts.mrr_monthly (month date, mrr double)")
        with pytest.raises(WarehouseUnavailable, match=r"out of date .*reporting_currency.*run `make build`"):
            read_reporting_currency(con)


@pytest.mark.parametrize(("p_value", "shown"), [(7.6e-12, "p < 0.001"), (0.0042, "p = 0.004"), (0.5, "p = 0.500")])
def test_a_p_value_reads_in_words_the_same_in_the_dashboard_and_the_marts(p_value: float, shown: str) -> None:
    assert p_words(p_value) == shown == experiments.p_words(p_value)


def test_the_forest_plot_centres_every_panel_on_zero() -> None:
    """Panels of different scales, each symmetric around zero, so the zero lines align and every interval fits."""
    lifts = pd.DataFrame(
        {
            "metric": ["conversion", "conversion", "scans_per_user"],
            "variant": ["treatment", "treatment_b", "treatment"],
            "absolute_lift": [0.02, -0.01, 1.5],
            "ci_low": [-0.01, -0.05, 0.5],
            "ci_high": [0.05, 0.03, 2.5],
        }
    )
    figure = figures.forest(lifts)
    ranges = {trace.xaxis: figure.layout["xaxis" + trace.xaxis.removeprefix("x")].range for trace in figure.data}
    assert sorted(tuple(r) for r in ranges.values()) == [
        pytest.approx((-2.75, 2.75)),
        pytest.approx((-0.055, 0.055)),
    ]


def test_a_lift_of_a_rate_reads_in_points_and_its_value_as_a_rate() -> None:
    columns = ["value", "absolute_lift", "ci_low", "ci_high", "p_value"]
    units = display.experiment_units("conversion", columns)
    assert [format_value(0.233, units["value"]), format_value(0.092, units["absolute_lift"])] == ["23.3%", "9.2 pts"]
    assert (units["ci_low"], units["ci_high"], units["p_value"]) == ("rate_points", "rate_points", "p_value")
    assert set(display.experiment_units("scans_per_user", columns).values()) == {"number", "p_value"}


def test_a_money_axis_below_zero_puts_the_sign_before_the_currency() -> None:
    """Plotly's tickprefix prints "$-5k"; the bridge's ticks read "-$5k", and cover every bar."""
    ticks = figures.money_ticks(-6_500, 12_100)
    assert ticks["ticktext"] == ["-$10k", "-$5k", "$0", "$5k", "$10k", "$15k"]
    assert min(ticks["tickvals"]) <= -6_500 and max(ticks["tickvals"]) >= 12_100
    with money_in("EUR"):
        assert figures.money_ticks(-1_200_000, 3_400_000)["ticktext"][:3] == ["-€2M", "-€1M", "€0"]
    bridge = pd.DataFrame(
        {"month": ["2025-01", "2025-01", "2025-02", "2025-02"], "movement": ["new_mrr", "churned_mrr"] * 2}
    ).assign(mrr_change=[900.0, -300.0, 1_100.0, -700.0])
    axis = figures.mrr_movements(bridge).layout.yaxis
    assert axis.tickprefix is None and min(axis.tickvals) <= -700 and max(axis.tickvals) >= 1_100
