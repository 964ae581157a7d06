"""Churn risk (docs/metrics.md, Churn risk): the observations rebuilt from the raw files, the backtest's figures
equal to scikit-learn's on its own predictions and meeting the goals on the sample, no leakage from data after
as_of_date, and a planted driver found by the model."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builds import PROJECT_ROOT, SAMPLE, Build, build_from, project_parse, shared_build
from conftest import models_only
from reference import Row, add_months, latest_date, load_raw, paying_spells, records
from sklearn.metrics import brier_score_loss, roc_auc_score

from jobmetrics.stats import churn_risk

pytestmark = pytest.mark.build

SCORERS = ["model", "segment_and_plan_rate", "days_since_last_scan_rate"]
CHURN_RISK_ONLY = models_only("+churn_risk", "+churn_model_evaluation")
LEAK_CUTOFF = date(2025, 10, 31)


def observation_dates(as_of: date) -> list[date]:
    """as_of_date, and the weeks from the first whose 30 days have passed (5) to 56."""
    return [as_of] + [as_of - timedelta(days=7 * week) for week in range(5, 57)]


def covers(spell: Row, day: date) -> bool:
    return bool(spell["start_date"] <= day and (spell["end_date"] is None or spell["end_date"] > day))


def reference_observations(folder: Path) -> pd.DataFrame:
    """int_churn_observations rebuilt from the raw files, spell by spell and scan by scan."""
    raw = load_raw(folder)
    as_of = latest_date(raw)
    spells = records(paying_spells(raw, as_of))
    months = raw["raw_plans"].set_index("plan_id")["billing_interval_months"]
    subs_of: dict[int, list[Row]] = {}
    for sub in records(raw["raw_subscriptions"]):
        subs_of.setdefault(int(sub["user_id"]), []).append(sub)
    scan_days = {user: sorted(days) for user, days in raw["raw_scans"].groupby("user_id")["scan_date"]}
    rows = []
    for day in observation_dates(as_of):
        later = day + timedelta(days=30)
        paying_later = {s["user_id"] for s in spells if covers(s, later)}
        for spell in (s for s in spells if covers(s, day)):
            known = [s for s in subs_of[spell["user_id"]] if s["start_date"] <= day]
            ended = [s["end_reason"] for s in known if s["end_date"] is not None and s["end_date"] <= day]
            current = max(
                (s for s in known if s["end_date"] is None or s["end_date"] > day),
                key=lambda s: (pd.Timestamp(s["started_at"]), s["plan_id"]),
            )
            interval = int(months[current["plan_id"]])
            renewals = 1
            while add_months(current["start_date"], interval * renewals) <= day:
                renewals += 1
            recent = [d for d in scan_days.get(spell["user_id"], []) if day - timedelta(days=56) < d <= day]
            rows.append(
                {
                    "observation_date": pd.Timestamp(day),
                    "user_id": spell["user_id"],
                    "plan_id": current["plan_id"],
                    "tenure_days": (day - spell["start_date"]).days,
                    "is_first_period": renewals == 1,
                    "days_to_renewal": (add_months(current["start_date"], interval * renewals) - day).days,
                    "scans_last_28_days": sum(d > day - timedelta(days=28) for d in recent),
                    "scans_previous_28_days": sum(d <= day - timedelta(days=28) for d in recent),
                    "days_since_last_scan": (day - max(recent)).days if recent else 56,
                    "earlier_payment_failures": ended.count("payment_failed"),
                    "earlier_plan_changes": ended.count("plan_change"),
                    "earlier_cancellations": ended.count("cancelled"),
                    "churned_within_30_days": (spell["user_id"] not in paying_later) if later <= as_of else None,
                }
            )
    return pd.DataFrame(rows)


def test_the_observations_equal_the_raw_files_worked_through(default_company: Build) -> None:
    expected = reference_observations(SAMPLE).sort_values(["observation_date", "user_id"], ignore_index=True)
    built = default_company.query(
        f"select {', '.join(expected.columns)} from intermediate.int_churn_observations "
        "order by observation_date, user_id"
    )
    built["observation_date"] = pd.to_datetime(built["observation_date"])
    built["churned_within_30_days"] = (
        built["churned_within_30_days"].astype(object).where(built["churned_within_30_days"].notna(), None)
    )
    assert len(built) == len(expected)
    pd.testing.assert_frame_equal(built, expected, check_dtype=False)


def test_beyond_the_cap_labelled_rows_are_sampled_and_kept_whole(shared_dir: Path, default_company: Build) -> None:
    def make(work: Path) -> Build:
        cap = ["--vars", "{churn_labelled_rows_max: 5000}"]
        return build_from(SAMPLE, work, *cap, *models_only("+int_churn_observations"))

    sampled = shared_build(shared_dir, "churn_sampled", make).query("select * from intermediate.int_churn_observations")
    everyone = default_company.query("select * from intermediate.int_churn_observations")
    keys = ["observation_date", "user_id"]
    scored = sampled[sampled["weeks_before_as_of"] == 0].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(
        scored, everyone[everyone["weeks_before_as_of"] == 0].sort_values(keys, ignore_index=True)
    )
    labelled = sampled[sampled["weeks_before_as_of"] > 0]
    assert len(everyone) - len(scored) > 30_000 and 4_000 <= len(labelled) <= 6_000
    # rows are sampled, not whole customers: most customers kept have fewer rows than they have in all
    kept = labelled.groupby("user_id").size()
    every_row = everyone[everyone["weeks_before_as_of"] > 0].groupby("user_id").size()
    assert (kept < every_row.loc[kept.index]).mean() > 0.8
    same = labelled.merge(everyone, on=keys, suffixes=("", "_everyone"))
    assert len(same) == len(labelled)
    for column in [c for c in labelled.columns if c not in keys]:
        assert same[column].equals(same[f"{column}_everyone"]), column


def test_the_evaluation_equals_scikit_learn_on_the_same_predictions(default_company: Build) -> None:
    predictions = default_company.query("select * from intermediate.int_churn_backtest_predictions")
    evaluation = default_company.query("select * from marts.churn_model_evaluation")
    assert sorted(evaluation["scored_by"].unique()) == sorted(SCORERS)
    for scorer, rows in predictions.groupby("scored_by"):
        mart = evaluation[evaluation["scored_by"] == scorer].sort_values("risk_decile")
        truth, probability = rows["churned"].astype(int), rows["churn_probability_30d"]
        assert mart["auc"].tolist() == pytest.approx([roc_auc_score(truth, probability)] * 10, abs=1e-12)
        assert mart["brier_score"].tolist() == pytest.approx([brier_score_loss(truth, probability)] * 10, abs=1e-12)
        ordered = rows.sort_values(["churn_probability_30d", "observation_date", "user_id"])
        # SQL's ntile: the first len % 10 deciles one row larger
        sizes = [len(ordered) // 10 + (decile < len(ordered) % 10) for decile in range(10)]
        bounds = np.cumsum([0, *sizes])
        deciles = [ordered.iloc[bounds[d] : bounds[d + 1]] for d in range(10)]
        assert mart["predictions"].tolist() == sizes
        assert mart["mean_predicted"].tolist() == pytest.approx([d["churn_probability_30d"].mean() for d in deciles])
        observed = [d["churned"].mean() for d in deciles]
        assert mart["observed_rate"].tolist() == pytest.approx(observed)
        assert mart["top_decile_lift"].tolist() == pytest.approx([observed[-1] / rows["churned"].mean()] * 10)


def test_the_model_beats_both_baselines_out_of_time_on_the_sample(default_company: Build) -> None:
    evaluation = default_company.query("select * from marts.churn_model_evaluation")
    by_scorer = evaluation.groupby("scored_by").agg(
        auc=("auc", "first"), brier=("brier_score", "first"), worst=("calibration_error", "max")
    )
    model = by_scorer.loc["model"]
    assert model["auc"] >= 0.75
    assert model["worst"] <= 0.03
    for baseline in ["segment_and_plan_rate", "days_since_last_scan_rate"]:
        assert model["auc"] > by_scorer.loc[baseline, "auc"]
        assert model["brier"] < by_scorer.loc[baseline, "brier"]


def backtest_markdown(evaluation: pd.DataFrame) -> str:
    first = evaluation.iloc[0]
    lines = [
        f"Held out: 12 weekly dates from {first['held_out_from']:%Y-%m-%d} to {first['held_out_until']:%Y-%m-%d} "
        f"({evaluation.loc[evaluation['scored_by'] == 'model', 'predictions'].sum():,} predictions per scorer).",
        "",
        "| Scored by | AUC | Brier score | Top-decile lift | Largest calibration error |",
        "|---|---|---|---|---|",
    ]
    for scorer in SCORERS:
        rows = evaluation[evaluation["scored_by"] == scorer]
        lines.append(
            f"| `{scorer}` | {rows['auc'].iloc[0]:.3f} | {rows['brier_score'].iloc[0]:.4f} | "
            f"{rows['top_decile_lift'].iloc[0]:.2f} | {rows['calibration_error'].max():.3f} |"
        )
    return "\n".join(lines)


def test_the_docs_show_the_samples_backtest(default_company: Build) -> None:
    expected = backtest_markdown(default_company.query("select * from marts.churn_model_evaluation"))
    assert expected in (PROJECT_ROOT / "docs" / "metrics.md").read_text(), expected


def test_every_customer_paying_today_is_scored_with_drivers(default_company: Build) -> None:
    risk = default_company.query("select * from marts.churn_risk")
    raw = load_raw(SAMPLE)
    as_of = latest_date(raw)
    spells = paying_spells(raw, as_of)
    paying = spells[(spells["start_date"] <= as_of) & spells["end_date"].isna()]
    assert sorted(risk["user_id"]) == sorted(paying["user_id"])
    assert risk["churn_probability_30d"].between(0, 1).all()
    assert risk["expected_mrr_at_risk"].tolist() == pytest.approx(
        (risk["churn_probability_30d"] * risk["mrr"]).tolist()
    )
    ranked = risk.sort_values(["churn_probability_30d", "user_id"])
    assert ranked["risk_decile"].is_monotonic_increasing and set(ranked["risk_decile"]) == set(range(1, 11))
    assert risk[["driver_1", "driver_2", "driver_3"]].notna().all().all()
    strongest = risk[["driver_1_contribution", "driver_2_contribution", "driver_3_contribution"]].abs()
    assert (strongest.diff(axis=1).iloc[:, 1:] <= 1e-12).all().all()


def cut_at(source: Path, out: Path, cutoff: date) -> None:
    """The raw files as they stood at the end of `cutoff`: nothing later, later ends not yet happened."""
    out.mkdir(parents=True)
    end = pd.Timestamp(cutoff + timedelta(days=1))
    users = pd.read_csv(source / "raw_users.csv", dtype=str)
    users[pd.to_datetime(users["signup_at"]) < end].to_csv(out / "raw_users.csv", index=False)
    subs = pd.read_csv(source / "raw_subscriptions.csv", dtype=str)
    subs = subs[pd.to_datetime(subs["started_at"]) < end].copy()
    later = pd.to_datetime(subs["ended_at"]) >= end
    subs.loc[later, ["ended_at", "end_reason"]] = None
    subs.to_csv(out / "raw_subscriptions.csv", index=False)
    scans = pd.read_csv(source / "raw_scans.csv", dtype=str)
    scans[pd.to_datetime(scans["scanned_at"]) < end].to_csv(out / "raw_scans.csv", index=False)
    spend = pd.read_csv(source / "raw_marketing_spend.csv", dtype=str)
    spend[pd.to_datetime(spend["spend_date"]) < end].to_csv(out / "raw_marketing_spend.csv", index=False)
    shutil.copy(source / "raw_plans.csv", out / "raw_plans.csv")


def test_scores_do_not_change_with_data_after_as_of_date(shared_dir: Path) -> None:
    as_of = ["--vars", f"{{as_of_date: '{LEAK_CUTOFF}'}}", *CHURN_RISK_ONLY]

    with_later_data = shared_build(shared_dir, "churn_risk_whole", lambda work: build_from(SAMPLE, work, *as_of))

    def cut(work: Path) -> Build:
        cut_at(SAMPLE, work / "raw", LEAK_CUTOFF)
        return build_from(work / "raw", work, *as_of, parsed=with_later_data)  # the same vars: the same parse

    without = shared_build(shared_dir, "churn_risk_cut", cut)
    scored = "select * from marts.churn_risk order by user_id"
    whole = with_later_data.query(scored)
    assert len(whole) > 1000 and (whole["as_of_date"] == pd.Timestamp(LEAK_CUTOFF)).all()
    pd.testing.assert_frame_equal(whole, without.query(scored))
    evaluation = "select * from marts.churn_model_evaluation order by scored_by, risk_decile"
    pd.testing.assert_frame_equal(with_later_data.query(evaluation), without.query(evaluation))


def quiet_company(out: Path, users: int = 3000, seed: int = 7) -> None:
    """A company where the only cause of churn is going quiet: customers on monthly plans scan every few days
    until a random day they stop; at each renewal, one quiet for three weeks or more cancels with probability
    0.7, anyone else with 0.03, whatever their plan, segment or channel."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True)
    shutil.copy(SAMPLE / "raw_plans.csv", out / "raw_plans.csv")
    shutil.copy(SAMPLE / "raw_marketing_spend.csv", out / "raw_marketing_spend.csv")
    sample_users = pd.read_csv(SAMPLE / "raw_users.csv")
    start = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 240, users), unit="D")
    pd.DataFrame(
        {
            "user_id": np.arange(1, users + 1),
            "signup_at": start.strftime("%Y-%m-%d %H:%M:%S"),
            "acquisition_channel": rng.choice(sample_users["acquisition_channel"].unique(), users),
            "segment": rng.choice(sample_users["segment"].unique(), users),
            "country": "US",
        }
    ).to_csv(out / "raw_users.csv", index=False)
    as_of = pd.Timestamp("2025-12-31 23:59:59")
    plans = rng.choice(["basic_monthly", "premium_monthly", "pro_monthly"], users)
    quiet_from = start + pd.to_timedelta(rng.exponential(100, users), unit="D")
    subscriptions, scans = [], []
    for user in range(users):
        ended = None
        renewal = 1
        while (at := start[user] + pd.DateOffset(months=renewal)) <= as_of:
            quiet = at - quiet_from[user] >= pd.Timedelta(days=21)
            if rng.random() < (0.7 if quiet else 0.03):
                ended = at
                break
            renewal += 1
        subscriptions.append((user + 1, user + 1, plans[user], start[user], ended, "cancelled" if ended else None))
        last = min(quiet_from[user], ended or as_of, as_of)
        scan_at = start[user] + pd.Timedelta(hours=1)
        while scan_at < last:
            scans.append((user + 1, scan_at))
            scan_at += pd.Timedelta(days=float(rng.uniform(1, 5)))
    frame = pd.DataFrame(
        subscriptions, columns=["subscription_id", "user_id", "plan_id", "started_at", "ended_at", "end_reason"]
    )
    for column in ["started_at", "ended_at"]:
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.to_csv(out / "raw_subscriptions.csv", index=False)
    scan_frame = pd.DataFrame(scans, columns=["user_id", "scanned_at"]).sort_values(["scanned_at", "user_id"])
    scan_frame.insert(0, "scan_id", np.arange(1, len(scan_frame) + 1))
    scan_frame["scanned_at"] = scan_frame["scanned_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    scan_frame["job_id"] = 1
    scan_frame["match_rate"] = 60
    scan_frame.to_csv(out / "raw_scans.csv", index=False)


def test_a_planted_driver_is_the_top_driver_of_the_riskiest(shared_dir: Path) -> None:
    def make(work: Path) -> Build:
        quiet_company(work / "raw")
        return build_from(work / "raw", work, *CHURN_RISK_ONLY, parsed=project_parse(shared_dir))

    built = shared_build(shared_dir, "churn_risk_quiet", make)
    riskiest = built.query("select * from marts.churn_risk where risk_decile = 10")
    assert len(riskiest) >= 20
    about_scans = riskiest["driver_1"].str.startswith("no scans in the last")
    assert about_scans.mean() >= 0.9, riskiest["driver_1"].value_counts()
    evaluation = built.query("select scored_by, any_value(auc) as auc from marts.churn_model_evaluation group by 1")
    auc = evaluation.set_index("scored_by")["auc"]
    assert auc["model"] > auc["segment_and_plan_rate"] + 0.2


def test_the_mrr_at_risk_is_a_kpi_with_thresholds(default_company: Build) -> None:
    risk = default_company.query("select * from marts.churn_risk")
    kpi = default_company.query("select * from marts.churn_risk_kpi").iloc[0]
    thresholds = pd.read_csv(PROJECT_ROOT / "seeds" / "kpi_thresholds.csv").set_index("kpi").loc["mrr_at_risk_30d"]
    share = risk["expected_mrr_at_risk"].sum() / risk["mrr"].sum()
    assert kpi["value"] == pytest.approx(share, rel=1e-12)
    assert (kpi["warning"], kpi["critical"]) == (thresholds["warning"], thresholds["critical"])
    assert kpi["status"] == (
        "critical" if share > thresholds["critical"] else "warning" if share > thresholds["warning"] else "ok"
    )


def test_the_drivers_add_up_to_the_score(default_company: Build) -> None:
    rows = churn_risk.with_derived_features(default_company.query("select * from intermediate.int_churn_observations"))
    fitted = churn_risk.fit(churn_risk.labelled(rows))
    assert fitted.model is not None and fitted.average_row is not None
    today = rows[rows["weeks_before_as_of"] == 0]
    probability = fitted.probabilities(today)
    logistic = fitted.model.named_steps["logistic"]
    average = logistic.intercept_[0] + fitted.average_row @ logistic.coef_[0]
    contributions = fitted.contributions(today)
    log_odds = np.log(probability / (1 - probability))
    assert log_odds.tolist() == pytest.approx((average + contributions.sum(axis=1)).tolist(), abs=1e-9)
    mart = default_company.query("select * from marts.churn_risk").set_index("user_id").loc[today["user_id"]]
    assert mart["churn_probability_30d"].tolist() == pytest.approx(probability.tolist(), abs=1e-12)
    strongest = contributions.abs().idxmax(axis=1)
    chosen = [contributions.at[index, feature] for index, feature in strongest.items()]
    assert mart["driver_1_contribution"].tolist() == pytest.approx(chosen, abs=1e-12)
