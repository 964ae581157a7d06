"""The generator reproduces the committed seeds byte for byte and always writes contract-valid data."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from builds import PROJECT_ROOT, SAMPLE
from reference import RAW_TABLES

from jobmetrics.cli import sample

CHANNELS = {"organic_search", "paid_search", "paid_social", "referral", "content", "partnerships"}
SEGMENTS = {"active_job_seeker", "career_changer", "recent_graduate", "passive_candidate"}


def test_default_arguments_reproduce_the_committed_seeds(tmp_path: Path) -> None:
    assert sample.main(["--out", str(tmp_path)]) == 0
    committed = sorted(path.name for path in SAMPLE.glob("*.csv"))
    assert sorted(path.name for path in tmp_path.glob("*.csv")) == committed
    assert {f"{name}.csv" for name in RAW_TABLES} < set(committed)  # and the experiments
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    sample.main(["--users", "300", "--seed", "1", "--out", str(tmp_path / "a")])
    sample.main(["--users", "300", "--seed", "2", "--out", str(tmp_path / "b")])
    assert (tmp_path / "a" / "raw_scans.csv").read_bytes() != (tmp_path / "b" / "raw_scans.csv").read_bytes()


@pytest.mark.parametrize("seed", [3, 4])
def test_generated_data_meets_the_contract(tmp_path: Path, seed: int) -> None:
    start, end = date(2024, 3, 1), date(2024, 8, 31)
    sample.main(
        ["--users", "2000", "--start", str(start), "--end", str(end), "--seed", str(seed), "--out", str(tmp_path)]
    )
    users = pd.read_csv(tmp_path / "raw_users.csv", parse_dates=["signup_at"])
    plans = pd.read_csv(tmp_path / "raw_plans.csv")
    subs = pd.read_csv(tmp_path / "raw_subscriptions.csv", parse_dates=["started_at", "ended_at"])
    scans = pd.read_csv(tmp_path / "raw_scans.csv", parse_dates=["scanned_at"])
    spend = pd.read_csv(tmp_path / "raw_marketing_spend.csv", parse_dates=["spend_date"])
    last_second = pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)

    assert len(users) == 2000 and users["user_id"].is_unique
    assert users["signup_at"].between(pd.Timestamp(start), last_second).all()
    assert set(users["acquisition_channel"]) <= CHANNELS and set(users["segment"]) <= SEGMENTS
    assert users["country"].str.fullmatch("[A-Z]{2}").all()
    assert plans["plan_id"].is_unique and (plans["price_usd"] > 0).all()
    assert set(plans["billing_interval_months"]) <= {1, 3, 12}
    assert subs["subscription_id"].is_unique
    assert subs["user_id"].isin(users["user_id"]).all() and subs["plan_id"].isin(plans["plan_id"]).all()
    ended = subs["ended_at"].notna()
    assert (subs.loc[ended, "ended_at"] >= subs.loc[ended, "started_at"]).all()
    assert (subs["ended_at"].isna() == subs["end_reason"].isna()).all()
    assert set(subs["end_reason"].dropna()) <= {"cancelled", "payment_failed", "plan_change"}
    assert subs["started_at"].max() <= last_second and subs["ended_at"].max() <= last_second
    # a plan change ends one subscription and starts the next at the same instant
    changes = subs[subs["end_reason"] == "plan_change"]
    following = subs.merge(
        changes[["user_id", "ended_at"]],
        left_on=["user_id", "started_at"],
        right_on=["user_id", "ended_at"],
        suffixes=("", "_change"),
    )
    assert len(following) == len(changes)
    assert scans["scan_id"].is_unique and scans["user_id"].isin(users["user_id"]).all()
    assert scans["match_rate"].between(0, 100).all() and scans["scanned_at"].max() <= last_second
    assert not spend.duplicated(["spend_date", "channel"]).any() and (spend["spend_usd"] >= 0).all()
    assert set(spend["channel"]) <= CHANNELS


def test_help_and_bad_arguments() -> None:
    script = str(PROJECT_ROOT / "generate_seeds.py")
    shown = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True)
    assert shown.returncode == 0 and "--users" in shown.stdout and "--seed" in shown.stdout
    bad = subprocess.run([sys.executable, script, "--start", "2025-13-01"], capture_output=True, text=True)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    backwards = subprocess.run(
        [
            sys.executable,
            script,
            "--start",
            "2025-05-01",
            "--end",
            "2025-04-01",
            "--out",
            "/nonexistent-dir-never-written",
        ],
        capture_output=True,
        text=True,
    )
    assert backwards.returncode == 2 and "before" in backwards.stderr
    assert "Traceback" not in backwards.stderr


def test_any_folder_name_works(tmp_path: Path) -> None:
    """The output path reaches DuckDB as a value, not as SQL text, so quotes in it are harmless."""
    out = tmp_path / 'it\'s a "folder"; drop table x'
    assert sample.main(["--users", "200", "--out", str(out)]) == 0
    assert pd.read_csv(out / "raw_users.csv")["user_id"].tolist() == list(range(1, 201))
