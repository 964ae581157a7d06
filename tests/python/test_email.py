"""`jobmetrics alerts --email` against a local SMTP server (aiosmtpd on 127.0.0.1): the digest's recipients and
content, no second message within the repeat interval, snoozing, and one clear line with exit 4 when the server
cannot be reached or refuses the login (the password never printed)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from builds import Build
from helpers import CHROMIUM_FLAGS, SCREENSHOTS, chromium
from playwright.sync_api import sync_playwright

from jobmetrics import kpis
from jobmetrics.alerts import digest, letter, monitoring
from jobmetrics.cli import alerts
from jobmetrics.kpis import format_value, signed
from jobmetrics.warehouse import connect_read_only

PASSWORD = "hunter2-do-not-print"


class Inbox:
    """What the server received: one (recipients, message) per delivery."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    received = Inbox()
    port = free_port()
    server = Controller(received, hostname="127.0.0.1", port=port)
    server.start()
    for name, value in {
        "JOBMETRICS_SMTP_HOST": "127.0.0.1",
        "JOBMETRICS_SMTP_PORT": str(port),
        "JOBMETRICS_SMTP_TLS": "none",
        "JOBMETRICS_SMTP_FROM": "alerts@jobmetrics.test",
        "JOBMETRICS_ALERT_TO": "founder@acme.test, cs@acme.test",
        "JOBMETRICS_DASHBOARD_URL": "https://metrics.acme.test/",
        "JOBMETRICS_ALERTS_CONFIG": "/nonexistent/alerts.yaml",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JOBMETRICS_ALERT_REPEAT_HOURS", raising=False)
    try:
        yield received
    finally:
        server.stop()


@pytest.fixture
def warehouse(edge_company: Build, tmp_path: Path) -> Path:
    """A copy of the edge company's warehouse: the digest's state is written beside it."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(edge_company.db, copy)
    return copy


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    return plain.get_content(), rich.get_content()


def test_the_digest_reaches_the_recipients_with_every_kpi(warehouse: Path, inbox: Inbox) -> None:
    with connect_read_only(warehouse) as con:
        report = monitoring.read_report(con, 7)
    assert alerts.main(["--db", str(warehouse), "--email"]) == monitoring.EXIT_CRITICAL
    [(to, message)] = inbox.received
    assert to == ["founder@acme.test", "cs@acme.test"]
    assert message["From"] == "alerts@jobmetrics.test"
    assert "default" not in message["Subject"]  # one company is not called "default"
    text, html = text_and_html(message)
    for kpi in report["kpis"]:
        shown = format_value(kpi["value"], kpi["unit"])
        assert f"[{kpi['status']:<8}] {kpi['label']}" in text and shown in text
        assert kpi["label"] in html and shown in html
    assert (
        "https://metrics.acme.test/?tenant=default" in text
        and 'href="https://metrics.acme.test/?tenant=default"' in html
    )


def test_the_same_alerts_are_not_sent_again_within_the_repeat_interval(
    warehouse: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts.main(["--db", str(warehouse), "--email"])
    alerts.main(["--db", str(warehouse), "--email"])
    assert len(inbox.received) == 1
    assert "default: nothing new to send" in capsys.readouterr().out
    alerts.main(["--db", str(warehouse), "--email", "--always"])
    assert len(inbox.received) == 2
    monkeypatch.setenv("JOBMETRICS_ALERT_REPEAT_HOURS", "0")
    alerts.main(["--db", str(warehouse), "--email"])
    assert len(inbox.received) == 3


def test_a_snoozed_kpi_is_not_an_alert_until_its_snooze_ends(
    warehouse: Path, inbox: Inbox, capsys: pytest.CaptureFixture[str]
) -> None:
    with connect_read_only(warehouse) as con:
        report = monitoring.read_report(con, 7)
    state = digest.State()
    every = digest.due("default", report, state, now=1000.0, repeat_seconds=3600)
    assert "kpi:customer_churn_rate:critical" in every
    digest.snooze(state, None, "customer_churn_rate", hours=2, now=1000.0)
    assert digest.due("default", report, state, now=1000.0, repeat_seconds=3600) == [
        name for name in every if name != "kpi:customer_churn_rate:critical"
    ]
    assert digest.due("default", report, state, now=1000.0 + 2 * 3600 + 1, repeat_seconds=3600) == every

    assert alerts.main(["--db", str(warehouse), "--snooze", "customer_churn_rate", "--hours", "2"]) == 0
    alerts.main(["--db", str(warehouse), "--email"])
    assert f"({len(every) - 1} new alerts)" in capsys.readouterr().out


def test_nothing_is_sent_when_nothing_warrants_it() -> None:
    calm = {"kpis": [{"kpi": "arpu", "status": "ok"}], "anomalies": [], "experiments": []}
    harmless = {"kpis": [], "anomalies": [{"is_bad": False}], "experiments": []}
    for report in (calm, harmless):
        assert digest.due("default", report, digest.State(), now=0.0, repeat_seconds=3600) == []


def test_an_unreachable_server_is_one_line_and_exit_4(
    warehouse: Path, inbox: Inbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOBMETRICS_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("JOBMETRICS_SMTP_USER", "alerts")
    monkeypatch.setenv("JOBMETRICS_SMTP_PASSWORD", PASSWORD)
    assert alerts.main(["--db", str(warehouse), "--email"]) == monitoring.EXIT_WEBHOOK_FAILED
    printed = capsys.readouterr()
    assert printed.err.count("\n") == 1 and "could not reach 127.0.0.1" in printed.err
    assert PASSWORD not in printed.err + printed.out
    assert not digest.state_path(warehouse).exists() or "kpi:" not in digest.state_path(warehouse).read_text()


def test_a_refused_login_is_one_line_and_exit_4(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    port = free_port()
    server = Controller(Inbox(), hostname="127.0.0.1", port=port, authenticator=refuse, auth_require_tls=False)
    server.start()
    try:
        for name, value in {
            "JOBMETRICS_SMTP_HOST": "127.0.0.1",
            "JOBMETRICS_SMTP_PORT": str(port),
            "JOBMETRICS_SMTP_TLS": "none",
            "JOBMETRICS_SMTP_FROM": "alerts@jobmetrics.test",
            "JOBMETRICS_SMTP_USER": "alerts",
            "JOBMETRICS_SMTP_PASSWORD": PASSWORD,
            "JOBMETRICS_ALERT_TO": "founder@acme.test",
        }.items():
            monkeypatch.setenv(name, value)
        assert alerts.main(["--db", str(warehouse), "--email"]) == monitoring.EXIT_WEBHOOK_FAILED
    finally:
        server.stop()
    printed = capsys.readouterr()
    assert printed.err.count("\n") == 1 and "refused the login of alerts" in printed.err
    assert PASSWORD not in printed.err + printed.out


def test_email_without_settings_says_what_to_set(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JOBMETRICS_SMTP_HOST", raising=False)
    monkeypatch.setenv("JOBMETRICS_SMTP_FROM", "alerts@jobmetrics.test")
    assert alerts.main(["--db", str(warehouse), "--email"]) == monitoring.EXIT_WEBHOOK_FAILED
    assert "set JOBMETRICS_SMTP_HOST" in capsys.readouterr().err


def test_the_subject_names_the_most_severe_thing_and_the_body_puts_critical_first(warehouse: Path) -> None:
    """Worked from the report: a broken experiment is critical and named first; then critical KPIs, then
    warnings; every harmful anomaly is a sentence with its day."""
    with connect_read_only(warehouse) as con:
        report = monitoring.read_report(con, 30)
    critical = [f"{e['experiment_id']} experiment is broken" for e in report["experiments"]]
    critical += [
        f"{k['label']} at {format_value(k['value'], k['unit'])}" for k in report["kpis"] if k["status"] == "critical"
    ]
    warnings = [k["label"] for k in report["kpis"] if k["status"] == "warning"]
    assert critical and warnings, "the edge company has both"
    harmful = [a for a in report["anomalies"] if a["is_bad"]]
    count = len(critical) + len(warnings) + sum(1 for k in report["kpis"] if k["status"] == "no_data") + len(harmful)
    message = letter.compose("default", report, ["cfo@acme.test"], "https://metrics.acme.test/?tenant=default")
    assert message["Subject"] == f"JobMetrics: Critical: {critical[0]} (+{count - 1} more)"
    text, html = text_and_html(message)
    attention = html[html.index("Needs attention") : html.index("Open the dashboard")]
    last_critical = max(attention.rindex(name.split(" at ")[0]) for name in critical)
    assert all(attention.index(label) > last_critical for label in warnings)
    for anomaly in harmful:
        assert f"On {anomaly['date_day']:%-d %b %Y}, " in html and f"On {anomaly['date_day']:%-d %b %Y}, " in text


def test_the_digest_leads_with_the_overviews_mrr_and_its_change(warehouse: Path) -> None:
    with connect_read_only(warehouse) as con:
        report = monitoring.read_report(con, 7)
        latest = con.execute(
            "select month, mrr, mrr - previous_mrr from marts.mrr_monthly order by month desc"
        ).fetchone()
        overview = kpis.read_overview(con)
    assert latest is not None and overview["mrr"] == latest[1]
    _, html = text_and_html(letter.compose("default", report, ["cfo@acme.test"], None))
    assert f"MRR {format_value(latest[1], 'money')} in {latest[0]:%b %Y}" in html
    assert f"{signed(latest[2], 'money')} on the month before" in html
    assert "Open the dashboard" not in html  # no link without JOBMETRICS_DASHBOARD_URL


def test_the_digest_reads_at_phone_width(warehouse: Path) -> None:
    """One column: nothing wider than a 390 px phone, and the whole of it at a desktop's 1400 px; the screenshots
    are in target/screenshots."""
    with connect_read_only(warehouse) as con:
        report = monitoring.read_report(con, 30)
    _, html = text_and_html(letter.compose("default", report, ["cfo@acme.test"], "https://metrics.acme.test/"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        for width in (390, 1400):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_content(html)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"digest-{width}.png"), full_page=True)
        browser.close()


def test_a_digest_before_any_daily_data_says_so() -> None:
    report: monitoring.Report = {
        "as_of": None,
        "days": 7,
        "status": "ok",
        "kpis": [],
        "anomalies": [],
        "experiments": [],
        "mrr": None,
    }
    message = letter.compose("default", report, ["cfo@acme.test"], None)
    text, html = text_and_html(message)
    assert "no daily data yet" in text and "no daily data yet" in html and "No month of MRR yet." in html
    assert message["Subject"] == "JobMetrics: every KPI ok"
