"""The alert report: KPI statuses, recent anomalies and broken experiments as text, JSON or a Slack message, and
its exit code.

A KPI with no data counts as a warning; an anomaly counts only when its direction hurts the business; an
experiment with a sample-ratio mismatch is critical (its readout cannot be trusted, and it may still be running).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from typing import Any

import duckdb

from jobmetrics.kpis import format_value, kpi_lines, kpi_month, money_in, read_kpis, read_reporting_currency
from jobmetrics.warehouse import Row, fetch_dicts

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_NO_WAREHOUSE, EXIT_WEBHOOK_FAILED = 0, 1, 2, 3, 4
SEVERITY_RANK = {"ok": 0, "warning": 1, "critical": 2}

Report = dict[str, Any]


def read_report(con: duckdb.DuckDBPyConnection, days: int) -> Report:
    """KPIs of the latest complete month and anomalies of the last `days` days up to as_of_date."""
    kpis = read_kpis(con)
    as_of = fetch_dicts(con, "select max(date_day) as as_of from marts.metric_daily_scores")[0]["as_of"]
    since = as_of - timedelta(days=days - 1) if as_of else date.min
    anomalies = fetch_dicts(
        con,
        "select * from marts.metric_anomalies where date_day >= ? order by date_day, metric",
        [since],
    )
    broken = fetch_dicts(
        con,
        "select experiment_id, srm_p_value, verdict from marts.experiment_summary where srm_flag "
        "order by experiment_id",
    )
    latest = fetch_dicts(
        con, "select month, is_complete_month, mrr, previous_mrr from marts.mrr_monthly order by month desc limit 1"
    )
    report: Report = {
        "as_of": as_of,
        "days": days,
        "currency": read_reporting_currency(con),
        "mrr": latest[0] if latest else None,
        "kpis": kpis,
        "anomalies": anomalies,
        "experiments": broken,
    }
    report["status"] = overall_status(report)
    return report


def overall_status(report: Report) -> str:
    levels = ["warning" if k["status"] == "no_data" else k["status"] for k in report["kpis"]]
    levels += [a["severity"] for a in report["anomalies"] if a["is_bad"]]
    levels += ["critical" for _ in report.get("experiments", [])]
    return max(levels, key=SEVERITY_RANK.__getitem__, default="ok")


def exit_code(status: str) -> int:
    return {"ok": EXIT_OK, "warning": EXIT_WARNING, "critical": EXIT_CRITICAL}[status]


def anomaly_line(anomaly: Row) -> str:
    score = anomaly["anomaly_score"]
    expected = anomaly["expected_weekday"] if anomaly["expected"] is None else anomaly["expected"]
    expected_text = format_value(expected, "number")
    harm = "" if anomaly["is_bad"] else " (not harmful)"
    return (
        f"  [{anomaly['severity']:<8}] {anomaly['date_day']:%Y-%m-%d} {anomaly['metric']} {anomaly['direction']}:"
        f" {anomaly['value']:,.1f} vs expected {expected_text} (z {score:+.1f}){harm}"
    )


def format_text(report: Report) -> str:
    with money_in(report.get("currency", "USD")):
        return text_lines(report)


def text_lines(report: Report) -> str:
    month = kpi_month(report["kpis"])
    month_text = f"{month:%b %Y}" if month else "no complete month yet"
    lines = [
        f"JobMetrics alerts as of {report['as_of']}: {report['status'].upper()}",
        f"KPIs ({month_text})",
        *kpi_lines(report["kpis"]),
        f"Anomalies (last {report['days']} days)",
        *([anomaly_line(a) for a in report["anomalies"]] or ["  none"]),
        "Experiments",
        *(
            [f"  [critical] {e['experiment_id']}: {e['verdict']}" for e in report["experiments"]]
            or ["  no sample-ratio mismatch"]
        ),
    ]
    return "\n".join(lines)


def to_json(report: Report) -> str:
    return json.dumps(report, default=str, indent=2)


def slack_payload(report: Report) -> dict[str, str]:
    """A Slack incoming-webhook message (plain `text`, which every Slack-compatible receiver accepts)."""
    return {"text": "```\n" + format_text(report) + "\n```"}


class WebhookFailed(Exception):
    pass


def post_webhook(url: str, payload: dict[str, str], timeout: float = 5.0, retries: int = 1) -> None:
    """POST the payload as JSON; one retry after a short pause; raise WebhookFailed with the reason."""
    body = json.dumps(payload).encode()
    reason = ""
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if 200 <= response.status < 300:
                    return
                reason = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            reason = f"HTTP {error.code} {error.reason}"
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = str(getattr(error, "reason", error)) or type(error).__name__
        except ValueError as error:  # not a URL at all
            raise WebhookFailed(str(error)) from error
        if attempt < retries:
            time.sleep(1.0)
    raise WebhookFailed(reason)
