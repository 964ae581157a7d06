"""The digest as a person reads it: a subject that names what needs attention first, MRR and its change, what needs
attention as sentences (critical first, in colour), every KPI, the other unusual days, and the dashboard link. One
column of inline-styled HTML that reads at phone width, with the same content as plain text."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from jobmetrics.alerts.monitoring import Report, format_text
from jobmetrics.kpis import format_value, money_in, signed
from jobmetrics.tenants import DEFAULT_TENANT

SEVERITY_ORDER = {"critical": 0, "warning": 1, "no_data": 2, "ok": 3}
COLOURS = {"critical": "#b00020", "warning": "#9a5b00", "no_data": "#555555", "ok": "#1b5e20"}
TINTS = {"critical": "#fdecee", "warning": "#fff4e0", "no_data": "#f3f3f3", "ok": "#edf7ee"}
METRIC_WORDS = {"avg_match_rate": "the average match rate", "dau": "daily active users", "mrr": "MRR"}
FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2937;font-size:15px;line-height:1.45"


@dataclass(frozen=True)
class Attention:
    """One thing the digest asks a person to look at: `title` for the subject, `sentence` for the body."""

    severity: str
    title: str
    sentence: str


def status_word(status: str) -> str:
    return "OK" if status == "ok" else status.replace("_", " ").capitalize()


def kpi_attention(kpi: dict[str, Any]) -> Attention:
    label, unit = kpi["label"] or kpi["kpi"], kpi["unit"]
    if kpi["status"] == "no_data":
        return Attention("no_data", f"{label} has no value", f"{label} has no value yet (nothing to measure).")
    value = format_value(kpi["value"], unit)
    side = "below" if kpi["direction"] == "higher_is_better" else "above"
    threshold = format_value(kpi[kpi["status"]], unit)
    change = "" if kpi["change"] is None else signed(kpi["change"], unit)
    moved = f" ({change} on the month before)" if change.startswith(("+", "-")) else " (unchanged)" if change else ""
    return Attention(
        kpi["status"],
        f"{label} at {value}",
        f"{label} is {value}, {side} its {kpi['status']} threshold of {threshold}{moved}.",
    )


def anomaly_sentence(anomaly: dict[str, Any]) -> str:
    metric = METRIC_WORDS.get(anomaly["metric"], anomaly["metric"].replace("_", " "))
    expected = anomaly["expected_weekday"] if anomaly["expected"] is None else anomaly["expected"]
    harm = "" if anomaly["is_bad"] else " Not harmful."
    unit = "number" if anomaly["metric"] == "avg_match_rate" else "count"  # the others count users, scans, signups
    return (
        f"On {anomaly['date_day']:%-d %b %Y}, {metric} {'rose' if anomaly['direction'] == 'spike' else 'fell'} to "
        f"{format_value(anomaly['value'], unit)}, against about {format_value(expected, unit)} expected.{harm}"
    )


def attention(report: Report) -> list[Attention]:
    """What needs a person, most severe first: broken experiments, KPIs past a threshold, harmful anomalies."""
    items = [
        Attention(
            "critical",
            f"{e['experiment_id']} experiment is broken",
            f"The {e['experiment_id']} experiment is {e['verdict']}.",
        )
        for e in report.get("experiments", [])
    ]
    items += [kpi_attention(k) for k in report["kpis"] if k["status"] != "ok"]
    items += [
        Attention(a["severity"], f"{a['metric'].replace('_', ' ')} {a['direction']}", anomaly_sentence(a))
        for a in report["anomalies"]
        if a["is_bad"]
    ]
    return sorted(items, key=lambda item: SEVERITY_ORDER[item.severity])


def headline(report: Report) -> str:
    """MRR of the newest month and its change on the month before: the overview's figure."""
    latest = report.get("mrr")
    if not latest:
        return "No month of MRR yet."
    month = f"{latest['month']:%b %Y}" + ("" if latest["is_complete_month"] else " to date")
    return (
        f"MRR {format_value(latest['mrr'], 'money')} in {month}, "
        f"{signed(latest['mrr'] - latest['previous_mrr'], 'money')} on the month before."
    )


def as_of(report: Report) -> str:
    """The data's last day ("31 Dec 2025"), or that there is no daily data yet."""
    return f"{report['as_of']:%-d %b %Y}" if report["as_of"] else "no daily data yet"


def subject(company: str, items: list[Attention]) -> str:
    if not items:
        return f"{company}: every KPI ok"
    first, more = items[0], len(items) - 1
    return f"{company}: {status_word(first.severity)}: {first.title}" + (f" (+{more} more)" if more else "")


def item_html(item: Attention) -> str:
    return (
        f'<div style="border-left:4px solid {COLOURS[item.severity]};background:{TINTS[item.severity]};'
        f'padding:8px 12px;margin:0 0 8px">'
        f'<b style="color:{COLOURS[item.severity]}">{status_word(item.severity)}</b> {html.escape(item.sentence)}'
        "</div>"
    )


def kpi_html(kpi: dict[str, Any]) -> str:
    unit = kpi["unit"]
    side = "<" if kpi["direction"] == "higher_is_better" else ">"
    change = "" if kpi["change"] is None else signed(kpi["change"], unit)
    thresholds = (
        f"warning {side} {format_value(kpi['warning'], unit)}, critical {side} {format_value(kpi['critical'], unit)}"
    )
    colour = COLOURS[kpi["status"]]
    return (
        '<tr style="border-top:1px solid #e5e7eb">'
        f'<td style="padding:8px 4px"><span style="color:{colour};font-weight:bold">{status_word(kpi["status"])}'
        f"</span> {html.escape(kpi['label'] or kpi['kpi'])}"
        f'<br><span style="color:#6b7280;font-size:13px">{html.escape(thresholds)}</span></td>'
        '<td style="padding:8px 4px;text-align:right;white-space:nowrap">'
        f"{html.escape(format_value(kpi['value'], unit))}"
        f'<br><span style="color:#6b7280;font-size:13px">{html.escape(change)}</span></td></tr>'
    )


def body_html(company: str, report: Report, items: list[Attention], link: str | None) -> str:
    kpis = sorted(report["kpis"], key=lambda k: (SEVERITY_ORDER[k["status"]], k["label"] or k["kpi"]))
    others = [anomaly_sentence(a) for a in report["anomalies"] if not a["is_bad"]]
    button = (
        f'<p style="margin:16px 0"><a href="{html.escape(link, quote=True)}" style="display:inline-block;'
        'background:#1d4ed8;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none">'
        "Open the dashboard</a></p>"
        if link
        else ""
    )
    section = 'style="font-size:16px;margin:20px 0 8px"'
    return (
        f'<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="margin:0;padding:12px"><div style="max-width:600px;margin:0 auto;{FONT}">'
        f'<h1 style="font-size:20px;margin:0">{html.escape(company)}</h1>'
        f'<p style="margin:2px 0 12px;color:#6b7280">{status_word(report["status"])} as of '
        f"{as_of(report)}</p>"
        f'<p style="font-size:17px;margin:0 0 12px"><b>{html.escape(headline(report))}</b></p>'
        + (f"<h2 {section}>Needs attention</h2>" + "".join(item_html(item) for item in items) if items else "")
        + button
        + f'<h2 {section}>Every KPI</h2><table style="width:100%;border-collapse:collapse">'
        + "".join(kpi_html(k) for k in kpis)
        + "</table>"
        + (
            f"<h2 {section}>Other unusual days (last {report['days']} days)</h2>"
            + "".join(f'<p style="margin:0 0 6px">{html.escape(sentence)}</p>' for sentence in others)
            if others
            else ""
        )
        + "</div></body></html>"
    )


def compose(tenant: str, report: Report, to: list[str], link: str | None) -> EmailMessage:
    """The digest for one tenant's report."""
    with money_in(report.get("currency", "USD")):
        company = "JobMetrics" if tenant == DEFAULT_TENANT else f"JobMetrics {tenant}"  # one company goes unnamed
        items = attention(report)
        message = EmailMessage()
        message["To"] = ", ".join(to)
        message["Subject"] = subject(company, items)
        needs = [f"- {item.severity.upper()}: {item.sentence}" for item in items]
        text = "\n".join(
            [
                f"{company}, as of {as_of(report)}: {headline(report)}",
                *(["", "Needs attention:", *needs] if needs else []),
                "",
                format_text(report),
                *([f"\nDashboard: {link}"] if link else []),
            ]
        )
        message.set_content(text + "\n")
        message.add_alternative(body_html(company, report, items, link), subtype="html")
        return message
