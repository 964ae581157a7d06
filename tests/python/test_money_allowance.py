"""The allowance the reconciliation tests give money totals (macros/money.sql): summation noise
passes, a missing subscription or a cent on a small total fails."""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest
from builds import PARSE_FILE, PUBLISHED_NAME

from jobmetrics import paths
from jobmetrics.pipeline import build

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
def differs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool]:
    """Each case through the compiled macro, evaluated by DuckDB."""
    selects = " union all ".join(
        f"select '{name}' as name, {{{{ jobmetrics.money_differs('{double(left)}', '{double(right)}') }}}} as differs"
        for name, (left, right, _) in CASES.items()
    )
    workdir = tmp_path_factory.mktemp("money")
    # dbt run as `make build` runs it, so that the parse the last `make build` saved serves (a full one takes 5 s)
    run = build.dbt_run(build.Warehouse(workdir / PUBLISHED_NAME), "compile", ["--inline", selects])
    env = {**run.env, "JOBMETRICS_THREADS": "4"}  # make build's default; the tests' builds use one
    saved = paths.target_dir() / PARSE_FILE
    if saved.exists():
        env["DBT_PARTIAL_PARSE_FILE_PATH"] = str(saved)
    done = subprocess.run(
        [*run.command, "--output", "json", "--log-format", "json", "--target-path", str(workdir / "target"),
         "--log-path", str(workdir)],
        cwd=run.cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    compiled = next(
        json.loads(line)["data"]["compiled"]
        for line in done.stdout.splitlines()
        if line.startswith("{") and '"compiled"' in line
    )
    with duckdb.connect() as con:
        return dict(con.execute(compiled).fetchall())


@pytest.mark.parametrize("case", CASES)
def test_money_totals_differ_only_past_summation_noise(case: str, differs: dict[str, bool]) -> None:
    assert differs[case] is CASES[case][2]
