"""A 100k-user company builds with every data test passing, and its revenue marts equal the reference
implementation's (correctness at size; the times are in `make benchmark`, never here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builds import Build, build_from
from reference import compute, load_raw
from test_edge_company import compare_channels, compare_monthly

from jobmetrics.cli import generate_seeds

pytestmark = pytest.mark.build


def test_a_100k_user_company(tmp_path: Path, edge_company: Build) -> None:
    folder = tmp_path / "raw"
    assert generate_seeds.main(["--users", "100000", "--seed", "7", "--out", str(folder)]) == 0
    built = build_from(folder, tmp_path / "build", "--exclude", "test_type:unit", parsed=edge_company)
    assert built.returncode == 0, built.output[-3000:]
    reference = compute(load_raw(folder))
    compare_monthly(built, reference)
    compare_channels(built, reference)
    users = built.query("select count(*) as n, sum(current_mrr) as mrr from marts.dim_users").iloc[0]
    assert users["n"] == len(reference.users) == 100_000
    assert users["mrr"] == pytest.approx(reference.users["current_mrr"].sum())
