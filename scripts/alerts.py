"""Report KPI statuses and recent anomalies from the warehouse, for people, machines and Slack.

Exit codes: 0 all ok, 1 warnings only, 2 something critical (cron and CI can act on them);
3 the warehouse cannot be read; 4 the webhook could not be reached (the report is still printed).
A KPI with no data counts as a warning; an anomaly counts only when its direction is bad.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import duckdb
from warehouse import DEFAULT_DB, WarehouseUnavailable, connect_read_only, fetch_dicts

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_NO_WAREHOUSE, EXIT_WEBHOOK_FAILED = 0, 1, 2, 3, 4
SEVERITY_RANK = {"ok": 0, "warning": 1, "critical": 2}


def read_report(con: duckdb.DuckDBPyConnection, days: int) -> dict:
    """KPIs of the latest complete month and anomalies of the last `days` days up to as_of_date."""
    kpis = fetch_dicts(con, "select * from marts.kpi_summary order by label")
    as_of = fetch_dicts(con, "select max(date_day) as as_of from marts.metric_daily_scores")[0]["as_of"]
    since = as_of - timedelta(days=days - 1) if as_of else date.min
    anomalies = fetch_dicts(
        con,
        "select * from marts.metric_anomalies where date_day >= ? order by date_day, metric",
        [since],
    )
    report = {"as_of": as_of, "days": days, "kpis": kpis, "anomalies": anomalies}
    report["status"] = overall_status(report)
    return report


def overall_status(report: dict) -> str:
    levels = ["warning" if k["status"] == "no_data" else k["status"] for k in report["kpis"]]
    levels += [a["severity"] for a in report["anomalies"] if a["is_bad"]]
    return max(levels, key=SEVERITY_RANK.__getitem__, default="ok")


def exit_code(status: str) -> int:
    return {"ok": EXIT_OK, "warning": EXIT_WARNING, "critical": EXIT_CRITICAL}[status]


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return {
        "rate": f"{value:.1%}",
        "multiple": f"{value:.2f}x",
        "usd": f"${value:,.2f}",
        "months": f"{value:.1f} mo",
        "points": f"{value:.1f}",
    }.get(unit, f"{value:g}")


def kpi_lines(kpis: list[dict]) -> list[str]:
    """One aligned line per KPI: status, label, value, previous value and thresholds."""
    width = max((len(k["label"] or k["kpi"]) for k in kpis), default=0)
    lines = []
    for k in kpis:
        unit = k["unit"]
        beyond = "<" if k["direction"] == "higher_is_better" else ">"
        lines.append(
            f"  [{k['status']:<8}] {(k['label'] or k['kpi']):<{width}}  {format_value(k['value'], unit):>10}"
            f"  (prev {format_value(k['previous_value'], unit)};"
            f" warning {beyond} {format_value(k['warning'], unit)}, critical {beyond} {format_value(k['critical'], unit)})"
        )
    return lines


def anomaly_line(anomaly: dict) -> str:
    score = anomaly["anomaly_score"]
    expected = anomaly["expected_weekday"] if anomaly["expected"] is None else anomaly["expected"]
    expected_text = "n/a" if expected is None else f"{expected:,.1f}"
    harm = "" if anomaly["is_bad"] else " (not harmful)"
    return (
        f"  [{anomaly['severity']:<8}] {anomaly['date_day']:%Y-%m-%d} {anomaly['metric']} {anomaly['direction']}:"
        f" {anomaly['value']:,.1f} vs expected {expected_text} (z {score:+.1f}){harm}"
    )


def format_text(report: dict) -> str:
    month = next((k["month"] for k in report["kpis"] if k["month"]), None)
    month_text = f"{month:%b %Y}" if month else "no complete month yet"
    lines = [
        f"JobMetrics alerts as of {report['as_of']}: {report['status'].upper()}",
        f"KPIs ({month_text})",
        *kpi_lines(report["kpis"]),
        f"Anomalies (last {report['days']} days)",
        *([anomaly_line(a) for a in report["anomalies"]] or ["  none"]),
    ]
    return "\n".join(lines)


def to_json(report: dict) -> str:
    return json.dumps(report, default=str, indent=2)


def slack_payload(report: dict) -> dict:
    """A Slack incoming-webhook message (plain `text`, which every Slack-compatible receiver accepts)."""
    return {"text": "```\n" + format_text(report) + "\n```"}


class WebhookFailed(Exception):
    pass


def post_webhook(url: str, payload: dict, timeout: float = 5.0, retries: int = 1) -> None:
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


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of days, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Report KPI statuses (kpi_summary) and recent anomalies (metric_anomalies). "
        "Exit 0 all ok, 1 warnings only, 2 critical, 3 warehouse unreadable, 4 webhook failed.",
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB warehouse file (default {DEFAULT_DB})")
    parser.add_argument("--days", type=positive_int, default=7, help="anomalies of the last N days (default 7)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--webhook", metavar="URL", help="also POST the report to a Slack-compatible webhook")
    args = parser.parse_args(argv)

    try:
        with connect_read_only(args.db) as con:
            report = read_report(con, args.days)
    except WarehouseUnavailable as error:
        print(f"alerts: {error}", file=sys.stderr)
        return EXIT_NO_WAREHOUSE

    print(to_json(report) if args.json else format_text(report))
    if args.webhook:
        try:
            post_webhook(args.webhook, slack_payload(report))
        except WebhookFailed as reason:
            print(f"alerts: could not post to the webhook ({reason}); check the URL and the network.",
                  file=sys.stderr)
            return EXIT_WEBHOOK_FAILED
    return exit_code(report["status"])


if __name__ == "__main__":
    sys.exit(main())
