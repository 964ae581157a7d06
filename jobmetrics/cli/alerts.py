"""`make alerts`: KPI statuses and recent anomalies, for people, machines and Slack.

Exit codes: 0 all ok, 1 warnings only, 2 something critical (cron and CI can act on them);
3 the warehouse cannot be read; 4 the webhook could not be reached (the report is still printed).
"""

from __future__ import annotations

import argparse
import sys

from jobmetrics import monitoring
from jobmetrics.cli import options
from jobmetrics.warehouse import WarehouseUnavailable, connect_read_only


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of days, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics alerts",
        description="Report KPI statuses (kpi_summary) and recent anomalies (metric_anomalies). "
        "Exit 0 all ok, 1 warnings only, 2 critical, 3 warehouse unreadable, 4 webhook failed.",
    )
    options.reader(parser)
    parser.add_argument("--days", type=positive_int, default=7, help="anomalies of the last N days (default 7)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--webhook", metavar="URL", help="also POST the report to a Slack-compatible webhook")
    args = parser.parse_args(argv)

    try:
        with connect_read_only(options.reader_db(args)) as con:
            report = monitoring.read_report(con, args.days)
    except WarehouseUnavailable as error:
        print(f"jobmetrics alerts: {error}", file=sys.stderr)
        return monitoring.EXIT_NO_WAREHOUSE

    print(monitoring.to_json(report) if args.json else monitoring.format_text(report))
    if args.webhook:
        try:
            monitoring.post_webhook(args.webhook, monitoring.slack_payload(report))
        except monitoring.WebhookFailed as reason:
            print(
                f"jobmetrics alerts: could not post to the webhook ({reason}); check the URL and the network.",
                file=sys.stderr,
            )
            return monitoring.EXIT_WEBHOOK_FAILED
    return monitoring.exit_code(report["status"])
