"""`make alerts`: KPI statuses and recent anomalies, for people, machines, Slack and email.

Exit codes: 0 all ok, 1 warnings only, 2 something critical (cron and CI can act on them);
3 the warehouse cannot be read; 4 the webhook or the mail server could not be reached, or mail is not set up
(the report is still printed).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

import pandas as pd

from jobmetrics import paths, tenants
from jobmetrics.alerts import digest, mail, monitoring
from jobmetrics.cli import options
from jobmetrics.warehouse import WarehouseUnavailable, connect_read_only


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of days, got {text}")
    return value


def snooze(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.hours is None:
        parser.error("--snooze needs --hours N")
    known = sorted(pd.read_csv(paths.SEEDS_DIR / "kpi_thresholds.csv")["kpi"])
    if args.snooze not in known:
        parser.error(f"--snooze {args.snooze}: no such KPI (KPIs: {', '.join(known)})")
    published = args.db or paths.warehouse_path()
    state_file = digest.state_path(published)
    state = digest.State.load(state_file)
    until = digest.snooze(state, args.tenant or tenants.chosen(), args.snooze, args.hours)
    state.save(state_file)
    print(f"jobmetrics alerts: {args.snooze} is not emailed until {datetime.fromtimestamp(until):%Y-%m-%d %H:%M}")
    return monitoring.EXIT_OK


def email(args: argparse.Namespace) -> int:
    try:
        settings = mail.settings_from_env()
        outcome = digest.send_digests(
            args.db or paths.warehouse_path(), args.tenant or tenants.chosen(), args.days, args.always, settings
        )
    except mail.MailNotConfigured as error:
        print(f"jobmetrics alerts: email is not set up: {error}", file=sys.stderr)
        return monitoring.EXIT_WEBHOOK_FAILED
    except WarehouseUnavailable as error:
        print(f"jobmetrics alerts: {error}", file=sys.stderr)
        return monitoring.EXIT_NO_WAREHOUSE
    for line in outcome.lines:
        print(f"jobmetrics alerts --email: {line}")
    for line in outcome.failures:
        print(f"jobmetrics alerts --email: {line}", file=sys.stderr)
    if outcome.failures:
        return monitoring.EXIT_WEBHOOK_FAILED
    worst = max(outcome.statuses, key=monitoring.SEVERITY_RANK.__getitem__, default="ok")
    return monitoring.exit_code(worst)


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
    parser.add_argument(
        "--email",
        action="store_true",
        help="email each tenant's digest (or --tenant's) when an alert is new: SMTP from JOBMETRICS_SMTP_HOST, "
        "_PORT, _USER, _PASSWORD, _FROM, _TLS; recipients from JOBMETRICS_ALERT_TO or config/alerts.yaml",
    )
    parser.add_argument("--always", action="store_true", help="with --email: send even when no alert is new")
    parser.add_argument(
        "--snooze", metavar="KPI", help="silence one KPI's email alerts for --hours (of --tenant, else every tenant)"
    )
    parser.add_argument("--hours", type=options.positive("hours"), help="how long --snooze lasts")
    args = parser.parse_args(argv)
    if args.snooze:
        return snooze(parser, args)
    if args.email:
        return email(args)

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
