"""The email digest of `jobmetrics alerts --email`: for one tenant, which alerts are due, and the message that
reports them (plain text and HTML).

An alert is a KPI that is not ok, a harmful anomaly of the window or an experiment with a sample-ratio mismatch,
named by what it is and its status: the same alert is not sent again within the repeat interval, and a snoozed
KPI is not due until its snooze ends. What was sent and what is snoozed lives beside the warehouse file
(`<warehouse>.alerts.json`), so every run of the command, and the watcher, share it.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from jobmetrics import paths, tenants
from jobmetrics.alerts import letter, mail
from jobmetrics.alerts.monitoring import Report, read_report
from jobmetrics.warehouse import connect_read_only

REPEAT_HOURS_DEFAULT = 24.0
CONFIG_NAME = "config/alerts.yaml"
ALL_TENANTS = "*"


def state_path(published: Path) -> Path:
    return published.with_suffix(".alerts.json")


@dataclass
class State:
    """When each alert was last sent ("tenant|alert" -> epoch seconds) and until when KPIs are snoozed
    ("tenant|kpi", tenant * for every tenant -> epoch seconds)."""

    sent: dict[str, float] = field(default_factory=dict)
    snoozed: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        saved = json.loads(path.read_text())
        return cls(dict(saved.get("sent", {})), dict(saved.get("snoozed", {})))

    def save(self, path: Path) -> None:
        staged = path.with_suffix(path.suffix + ".new")
        staged.write_text(json.dumps({"sent": self.sent, "snoozed": self.snoozed}, indent=2, sort_keys=True))
        staged.replace(path)

    def is_snoozed(self, tenant: str, kpi: str, now: float) -> bool:
        return any(self.snoozed.get(f"{who}|{kpi}", 0.0) > now for who in (tenant, ALL_TENANTS))


def repeat_hours() -> float:
    setting = os.environ.get("JOBMETRICS_ALERT_REPEAT_HOURS")
    return float(setting) if setting else REPEAT_HOURS_DEFAULT


def alerts(report: Report) -> dict[str, str]:
    """Each alert of a report: its name (what it is and its status) and the kpi it belongs to ('' if none)."""
    found: dict[str, str] = {}
    for kpi in report["kpis"]:
        if kpi["status"] != "ok":
            found[f"kpi:{kpi['kpi']}:{kpi['status']}"] = kpi["kpi"]
    for anomaly in report["anomalies"]:
        if anomaly["is_bad"]:
            name = f"anomaly:{anomaly['date_day']:%Y-%m-%d}:{anomaly['metric']}:{anomaly['direction']}"
            found[f"{name}:{anomaly['severity']}"] = ""
    for experiment in report.get("experiments", []):
        found[f"experiment:{experiment['experiment_id']}:critical"] = ""
    return found


def due(tenant: str, report: Report, state: State, now: float, repeat_seconds: float) -> list[str]:
    """The alerts of the report that are neither snoozed nor sent within the repeat interval."""
    return [
        name
        for name, kpi in alerts(report).items()
        if not (kpi and state.is_snoozed(tenant, kpi, now))
        and now - state.sent.get(f"{tenant}|{name}", -math.inf) >= repeat_seconds
    ]


def mark_sent(tenant: str, report: Report, state: State, now: float) -> None:
    for name in alerts(report):
        state.sent[f"{tenant}|{name}"] = now


def recipients(tenant: str) -> list[str]:
    """The tenant's recipients from the alerts configuration (JOBMETRICS_ALERTS_CONFIG, default
    config/alerts.yaml: `recipients: {tenant: [addresses]}`), else JOBMETRICS_ALERT_TO (comma-separated)."""
    config = paths.from_root(os.environ.get("JOBMETRICS_ALERTS_CONFIG", CONFIG_NAME))
    if config.exists():
        listed = (yaml.safe_load(config.read_text()) or {}).get("recipients", {}).get(tenant)
        if listed:
            found = [str(address).strip() for address in ([listed] if isinstance(listed, str) else listed)]
            return checked_addresses(found, f"{config}, recipients of {tenant}")
    found = [address.strip() for address in os.environ.get("JOBMETRICS_ALERT_TO", "").split(",") if address.strip()]
    return checked_addresses(found, "JOBMETRICS_ALERT_TO")


def checked_addresses(addresses: list[str], where: str) -> list[str]:
    """The addresses when each is one plain email address (a line break would start another mail header);
    MailNotConfigured naming the first that is not."""
    for address in addresses:
        if not ADDRESS.fullmatch(address):
            raise mail.MailNotConfigured(f"{where}: {address!r} is not one email address; write one address per entry")
    return addresses


ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")


def dashboard_link(tenant: str) -> str | None:
    url = os.environ.get("JOBMETRICS_DASHBOARD_URL")
    if not url:
        return None
    return f"{url.rstrip('/')}/?tenant={tenant}"


def counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def snooze(state: State, tenant: str | None, kpi: str, hours: float, now: float | None = None) -> float:
    until = (now if now is not None else time.time()) + hours * 3600
    state.snoozed[f"{tenant or ALL_TENANTS}|{kpi}"] = until
    return until


@dataclass
class Outcome:
    """What one run of the digests did: a line per tenant sent or skipped, one per tenant that failed, and each
    tenant's status."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


def send_digests(
    published: Path, only: str | None, days: int, always: bool, settings: mail.SmtpSettings, now: float | None = None
) -> Outcome:
    """Each tenant's digest (or the one named), sent when an alert is due or `always`; the state beside the
    warehouse records what was sent."""
    now = now if now is not None else time.time()
    state_file = state_path(published)
    state = State.load(state_file)
    outcome = Outcome()
    names: list[str | None] = [only] if only else [*tenants.published_tenants(published)] or [None]
    for name in names:
        tenant = name or "default"
        with connect_read_only(tenants.reader_path(published, name)) as con:
            report = read_report(con, days)
        outcome.statuses.append(report["status"])
        pending = due(tenant, report, state, now, repeat_hours() * 3600)
        if not pending and not always:
            outcome.lines.append(f"{tenant}: nothing new to send ({report['status']})")
            continue
        to = recipients(tenant)
        if not to:
            outcome.failures.append(f"{tenant}: no recipients; set JOBMETRICS_ALERT_TO or list them in {CONFIG_NAME}")
            continue
        try:
            mail.send(settings, letter.compose(tenant, report, to, dashboard_link(tenant)))
        except mail.MailFailed as reason:
            outcome.failures.append(f"{tenant}: not sent: {reason}; check the JOBMETRICS_SMTP_ settings")
            continue
        mark_sent(tenant, report, state, now)
        outcome.lines.append(f"{tenant}: sent to {', '.join(to)} ({counted(len(pending), 'new alert', 'new alerts')})")
    state.save(state_file)
    return outcome
