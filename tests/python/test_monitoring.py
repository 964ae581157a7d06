"""Monitoring: KPI statuses, the anomaly detector on real and planted incidents, alerts.py and its
webhook."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from builds import COMPANIES, PROJECT_ROOT, Build
from reference import cell, compute, load_raw

from jobmetrics.alerts import monitoring
from jobmetrics.cli import alerts


def test_kpi_summary_on_the_edge_company(edge_company: Build) -> None:
    """April is the latest complete month (as_of_date is Apr 30); values worked out in test_edge_company."""
    kpis = edge_company.query("select * from marts.kpi_summary").set_index("kpi")
    assert set(kpis["month"].dt.date) == {date(2025, 4, 1)}
    expected = {
        "mrr_growth_rate": ((150 - 170) / 170, (170 - 290) / 290, "critical"),
        "customer_churn_rate": (1 / 5, 1 / 5, "critical"),
        "gross_mrr_churn_rate": (50 / 170, 150 / 290, "critical"),
        "net_mrr_retention": (120 / 170, 140 / 290, "critical"),
        "quick_ratio": (30 / 50, 30 / 150, "critical"),
        "arpu": (30.0, 34.0, "warning"),
        "conversion_rate": (7 / 8, 7 / 8, "ok"),  # by Mar 31 all 8 had signed up and 7 had subscribed
        "month1_logo_retention": (1.0, 1.0, "ok"),  # April: the March cohort (user 2); March: February's (4, 8)
        "avg_match_rate": (81.0, 75.0, "ok"),  # April: one scan of 81; March: one of 75
    }
    for kpi, (value, previous, status) in expected.items():
        row = kpis.loc[kpi]
        assert (row.value, row.previous_value, row.status) == (pytest.approx(value), pytest.approx(previous), status), (
            kpi
        )
    # blended LTV:CAC up to April equals the `all` row of channel_performance
    blended = edge_company.query("select * from marts.channel_performance where acquisition_channel = 'all'")
    assert kpis.loc["ltv_to_cac", "value"] == pytest.approx(blended["ltv_to_cac"].iloc[0])
    assert kpis.loc["ltv_to_cac", "status"] == "warning"  # 2.19: between 1 and 3
    assert kpis.loc["cac_payback_months", "value"] == pytest.approx(blended["cac_payback_months"].iloc[0])
    # paid LTV:CAC: the customers of the paid channels (users 1 and 3 of paid_search, 6 of paid_social) and the
    # spend on paid channels only (paid_search 325, paid_social 50, partnerships 10; content's 80 is not paid)
    paid = compute(load_raw(COMPANIES / "edge_company")).paid
    assert paid["new_customers"] == 3 and paid["spend_usd"] == pytest.approx(385.0)
    assert kpis.loc["paid_ltv_to_cac", "value"] == pytest.approx(paid["ltv_to_cac"])
    assert paid["ltv_to_cac"] < blended["ltv_to_cac"].iloc[0]
    assert kpis.loc["paid_ltv_to_cac", "status"] == "warning"  # 1.16: between 1 and 3
    assert str(cell(kpis, "customer_churn_rate", "description")).startswith("churned_customers / previous month")


def seed_kpis() -> pd.DataFrame:
    return pd.read_csv(PROJECT_ROOT / "seeds" / "kpi_thresholds.csv")


def test_no_complete_month_means_no_data(edge_company_mid_january: Build) -> None:
    kpis = edge_company_mid_january.query("select * from marts.kpi_summary")
    monthly = seed_kpis().query("measured_in == 'kpi_monthly'")
    assert len(kpis) == len(monthly) and set(kpis["status"]) == {"no_data"} and kpis["month"].isna().all()


def test_default_data_raises_few_alarms(default_company: Build) -> None:
    anomalies = default_company.query("select * from marts.metric_anomalies")
    scored = default_company.query("select count(anomaly_score) as n from marts.metric_daily_scores")["n"].iloc[0]
    assert scored > 2000  # six metrics scored on most days of the year
    assert len(anomalies) < scored / 200, anomalies  # fewer than one alarm per 200 scored metric-days
    harmful = anomalies[anomalies["is_bad"]]
    assert len(harmful) <= 5 and (harmful["severity"] == "critical").sum() <= 1, harmful


def test_planted_signup_spike_is_critical(planted: Build) -> None:
    flagged = planted.query("select * from marts.metric_anomalies where date_day = '2025-06-11' and metric = 'signups'")
    assert len(flagged) == 1
    assert (flagged["direction"].iloc[0], flagged["severity"].iloc[0]) == ("spike", "critical")
    assert not flagged["is_bad"].iloc[0]  # more signups hurt nobody


def test_planted_day_without_scans_is_critical(planted: Build) -> None:
    flagged = planted.query("select * from marts.metric_anomalies where date_day = '2025-09-17' and metric = 'scans'")
    assert len(flagged) == 1 and flagged["value"].iloc[0] == 0
    assert (flagged["direction"].iloc[0], flagged["severity"].iloc[0], bool(flagged["is_bad"].iloc[0])) == (
        "drop",
        "critical",
        True,
    )


def test_scores_exclude_the_day_itself(planted: Build) -> None:
    """Recompute the 28-day expectation for the spike day by hand from scans_daily."""
    daily = planted.query("select date_day, signups from marts.scans_daily order by date_day").set_index("date_day")
    days = pd.to_datetime(daily.index)
    window = daily["signups"][(days >= pd.Timestamp(2025, 5, 14)) & (days <= pd.Timestamp(2025, 6, 10))]
    assert len(window) == 28
    score = planted.query(
        "select * from marts.metric_daily_scores where date_day = '2025-06-11' and metric = 'signups'"
    ).iloc[0]
    assert score.expected == pytest.approx(window.mean())

    scaled = 2 * (window + 0.375) ** 0.5  # counts are scored on 2 * sqrt(x + 3/8), with a stddev of at least 1
    spike = 2 * (float(daily["signups"][days == pd.Timestamp(2025, 6, 11)].iloc[0]) + 0.375) ** 0.5
    expected_z = (spike - scaled.mean()) / max(scaled.std(), 1.0)
    assert score.z_score == pytest.approx(expected_z)
    assert expected_z > 4  # 5x the usual signups is far outside the noise


class Receiver(BaseHTTPRequestHandler):
    """A stand-in for a Slack incoming webhook: records bodies, answers with the next scripted status."""

    statuses: list[int] = []
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


Webhook = tuple[str, type[Receiver]]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    Receiver.statuses, Receiver.bodies = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_alerts_report_and_exit_codes(edge_company: Build, capsys: pytest.CaptureFixture[str]) -> None:
    before = digest(edge_company.db)
    assert alerts.main(["--db", str(edge_company.db)]) == monitoring.EXIT_CRITICAL
    text = capsys.readouterr().out
    assert "CRITICAL" in text and "[critical] Customer churn" in text and "[ok      ] Free-to-paid" in text
    assert alerts.main(["--db", str(edge_company.db), "--json"]) == monitoring.EXIT_CRITICAL
    report = json.loads(capsys.readouterr().out)
    # every KPI of the seed: those of kpi_summary and the churn-risk one
    assert report["status"] == "critical" and len(report["kpis"]) == len(seed_kpis())
    assert "MRR at risk in the next 30 days" in text
    assert digest(edge_company.db) == before  # read-only


def test_alerts_exit_codes_follow_the_worst_status() -> None:
    def report(kpi_statuses: list[str], anomalies: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        return {"kpis": [{"status": s} for s in kpi_statuses], "anomalies": list(anomalies)}

    assert monitoring.overall_status(report(["ok", "ok"])) == "ok"
    assert monitoring.overall_status(report(["ok", "warning"])) == "warning"
    assert monitoring.overall_status(report(["ok", "no_data"])) == "warning"
    assert monitoring.overall_status(report(["warning", "critical"])) == "critical"
    harmless_spike = {"severity": "critical", "is_bad": False}
    assert monitoring.overall_status(report(["ok"], (harmless_spike,))) == "ok"
    assert monitoring.overall_status(report(["ok"], ({"severity": "critical", "is_bad": True},))) == "critical"
    broken_experiment = {**report(["ok"]), "experiments": [{"experiment_id": "pricing_page"}]}
    assert monitoring.overall_status(broken_experiment) == "critical"
    assert [monitoring.exit_code(s) for s in ("ok", "warning", "critical")] == [0, 1, 2]


def test_webhook_receives_the_report(edge_company: Build, webhook: Webhook, capsys: pytest.CaptureFixture[str]) -> None:
    url, receiver = webhook
    assert alerts.main(["--db", str(edge_company.db), "--webhook", url]) == monitoring.EXIT_CRITICAL
    assert len(receiver.bodies) == 1 and "Customer churn" in receiver.bodies[0]["text"]


def test_webhook_retries_once(edge_company: Build, webhook: Webhook) -> None:
    url, receiver = webhook
    receiver.statuses = [503]
    assert alerts.main(["--db", str(edge_company.db), "--webhook", url]) == monitoring.EXIT_CRITICAL
    assert len(receiver.bodies) == 2


def test_webhook_failure_is_one_clear_line(
    edge_company: Build, webhook: Webhook, capsys: pytest.CaptureFixture[str]
) -> None:
    url, receiver = webhook
    receiver.statuses = [500, 500]
    assert alerts.main(["--db", str(edge_company.db), "--webhook", url]) == monitoring.EXIT_WEBHOOK_FAILED
    err = capsys.readouterr().err
    assert "HTTP 500" in err and "Traceback" not in err and len(receiver.bodies) == 2
    assert (
        alerts.main(["--db", str(edge_company.db), "--webhook", "http://127.0.0.1:9/nothing"])
        == monitoring.EXIT_WEBHOOK_FAILED
    )
    assert "could not post" in capsys.readouterr().err


def test_alerts_without_a_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert alerts.main(["--db", str(tmp_path / "none.duckdb")]) == monitoring.EXIT_NO_WAREHOUSE
    assert "make build" in capsys.readouterr().err
