"""Every surface formats a value and a change the one way (jobmetrics.kpis): checked against values written by
hand."""

from __future__ import annotations

import math

import pytest

from jobmetrics.kpis import MISSING, format_value, signed


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.0942, "rate", "9.4%"),
        (67112.8, "usd", "$67,112.80"),
        (4.1639, "multiple", "4.16x"),
        (2.23, "months", "2.2 mo"),
        (1544, "count", "1,544"),
        (0.0004, "p_value", "< 0.001"),
        (None, "usd", MISSING),
        (math.nan, "rate", MISSING),
    ],
)
def test_a_value_reads_as_people_read_it(value: float | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


@pytest.mark.parametrize(
    ("change", "unit", "shown"),
    [
        (-0.27, "usd", "-$0.27"),
        (5642.85, "usd", "+$5,642.85"),
        (0.0012, "rate", "+0.1 pts"),  # a change of a rate is in percentage points, not percent
        (-0.0163, "rate", "-1.6 pts"),
        (-0.00001, "months", "0.0 mo"),  # never "-0.0"
        (0.0004, "rate", "0.0 pts"),
        (None, "rate", MISSING),
    ],
)
def test_a_change_has_its_sign_first_and_rates_move_in_points(change: float | None, unit: str, shown: str) -> None:
    assert signed(change, unit) == shown
