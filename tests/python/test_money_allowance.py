"""The allowance the reconciliation tests give money totals (macros/money.sql): summation noise
passes, a missing subscription or a cent on a small total fails."""

from __future__ import annotations

import duckdb
import jinja2
import pytest

from jobmetrics.paths import PROJECT_ROOT

MONEY_MACROS = PROJECT_ROOT / "macros" / "money.sql"

CASES = {
    # left, right, differs
    "a cent on $100": ("100.00", "100.01", True),
    "just over a tenth of a cent on $100": ("100.000", "100.0011", True),
    "noise on $100": ("100.0000000", "100.0000001", False),
    "the drift of a parallel sum on $67M (measured at 10M users)": ("66841480.949536", "66841480.949203", False),
    "two tenths of a cent of drift on $67M": ("66841480.949536", "66841480.951536", False),
    "one $29.95 subscription on $67M": ("66841480.95", "66841510.90", True),
    "sign does not matter": ("-500.0", "-500.5", True),
}


def double(literal: str) -> str:
    return f"cast({literal} as double)"


@pytest.fixture(scope="module")
def differs() -> dict[str, bool]:
    """Each case through the macro, evaluated by DuckDB. The macro is plain Jinja (no dbt context, no dispatch), so
    Jinja renders it as dbt does, without dbt's start and parse (15 s of `make test-fast`)."""
    macros = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(MONEY_MACROS.read_text()).module
    selects = " union all ".join(
        f"select '{name}' as name, {macros.money_differs(double(left), double(right))} as differs"  # type: ignore[attr-defined]
        for name, (left, right, _) in CASES.items()
    )
    with duckdb.connect() as con:
        return dict(con.execute(selects).fetchall())


@pytest.mark.parametrize("case", CASES)
def test_money_totals_differ_only_past_summation_noise(case: str, differs: dict[str, bool]) -> None:
    assert differs[case] is CASES[case][2]
