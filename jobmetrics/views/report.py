"""The board pack: one tenant's month (the latest complete one unless asked) as a PDF. The KPI table with status
and change, MRR trend and movements, the cohort heatmap, the funnel, channel economics, the month's anomalies,
and churn risk and experiments where the warehouse has them. Charts are the dashboard's Plotly figures
(jobmetrics.views.figures); numbers are formatted as the KPI overview formats them (kpis.format_value); headless
Chromium prints the page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from jobmetrics import kpis, marts, paths
from jobmetrics.tenants import DEFAULT_TENANT
from jobmetrics.views import browser, figures
from jobmetrics.views.display import words
from jobmetrics.warehouse import Row, WarehouseUnavailable, connect_read_only

MONTHS_SHOWN = 12
RISKIEST_SHOWN = 10
STYLE = """
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; margin: 0; }
h1 { font-size: 18pt; margin: 0 0 4pt 0; }
h2 { font-size: 13pt; margin: 16pt 0 6pt 0; page-break-after: avoid; }
p.note { color: #555; margin: 0 0 6pt 0; }
table { border-collapse: collapse; width: 100%; margin-bottom: 6pt; page-break-inside: avoid; }
th, td { border-bottom: 1px solid #ddd; padding: 3pt 5pt; text-align: left; }
td.number, th.number { text-align: right; white-space: nowrap; }
.status-ok { color: #1b7f3b; } .status-warning { color: #b36b00; } .status-critical { color: #c0392b; }
.chart { page-break-inside: avoid; }
section { break-inside: avoid; }  /* a heading on the page of its table or chart (a taller section still breaks) */
@page { size: A4; margin: 14mm; }
"""


class ReportUnavailable(WarehouseUnavailable):
    """The board pack cannot be made for what was asked; str() says why and what to ask instead."""


@dataclass(frozen=True)
class Section:
    title: str
    body: str


def month_of(text: str) -> date:
    """A `YYYY-MM` month as its first day."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ReportUnavailable(f"--month {text!r} is not a month written YYYY-MM") from None


def default_path(tenant: str, month: date) -> Path:
    return paths.PROJECT_ROOT / "reports" / tenant / f"jobmetrics-{month:%Y-%m}.pdf"


def complete_months(db: Path) -> list[date]:
    history = marts.read(db, "kpi_history")
    return sorted({month.date() for month in pd.to_datetime(history["month"]).dropna()})


def latest_complete_month(db: Path) -> date:
    months = complete_months(db)
    if not months:
        raise ReportUnavailable("the warehouse has no complete month yet; a board pack covers a complete month")
    return months[-1]


def table(frame: pd.DataFrame, numbers: list[str] | None = None) -> str:
    """An HTML table of already formatted values, headed in words; `numbers` are right-aligned."""
    right = set(numbers or [])
    head = "".join(f'<th class="{"number" if c in right else ""}">{html.escape(words(str(c)))}</th>' for c in frame)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"number" if column in right else ""}">{html.escape(str(value))}</td>'
            for column, value in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def chart(figure: go.Figure, first: bool, height: int = 330) -> str:
    """A dashboard figure as a static drawing; the first carries plotly.js for the page."""
    drawn = figures.in_words(figure).update_layout(width=700, height=height, template="plotly_white")
    markup = drawn.to_html(full_html=False, include_plotlyjs="inline" if first else False, config={"staticPlot": True})
    return f'<div class="chart">{markup}</div>'


def kpi_section(statuses: list[Row], headline: list[tuple[str, str]]) -> Section:
    figures_table = pd.DataFrame(headline, columns=["figure", "value"])
    rows = pd.DataFrame(
        [
            {
                "status": k["status"].replace("_", " "),
                "metric": k["label"] or k["kpi"],
                "value": kpis.format_value(k["value"], k["unit"]),
                "previous month": kpis.format_value(k["previous_value"], k["unit"]),
                "change": kpis.signed(k["change"], k["unit"]),
                "warning": kpis.format_value(k["warning"], k["unit"]),
                "critical": kpis.format_value(k["critical"], k["unit"]),
            }
            for k in statuses
        ]
    )
    numbers = ["value", "previous month", "change", "warning", "critical"]
    return Section("Key metrics", table(figures_table, ["value"]) + table(rows, numbers))


def revenue_sections(db: Path, month: date) -> list[Section]:
    monthly = marts.read(db, "mrr_monthly")
    monthly = monthly[pd.to_datetime(monthly["month"]).dt.date <= month].sort_values("month").tail(MONTHS_SHOWN)
    trend = chart(figures.mrr_trend(monthly[["month", "mrr"]]), first=True, height=260)
    movements = chart(figures.mrr_movements(figures.mrr_bridge(monthly)), first=False)
    cohorts = marts.read(db, "cohort_retention")
    cohort_months = pd.to_datetime(cohorts["cohort_month"]).dt.date
    recent = sorted(set(cohort_months[cohort_months <= month]))[-MONTHS_SHOWN:]
    shown = cohorts[cohort_months.isin(recent)]
    heatmap = chart(figures.cohort_heatmap(shown, "logo_retention_rate"), first=False, height=420)
    return [
        Section("MRR", trend),
        Section("MRR movements (contraction and churn below zero)", movements),
        Section(
            "Logo retention by cohort: % of each cohort's customers still paying, by months since their start", heatmap
        ),
    ]


def growth_sections(db: Path) -> list[Section]:
    funnel = chart(figures.funnel(figures.funnel_steps(marts.read(db, "conversion_funnel"))), first=False)
    channels = marts.read(db, "channel_performance").sort_values(["is_paid", "acquisition_channel"], ascending=False)
    spent = channels["spend_usd"] > 0
    economics = pd.DataFrame(
        {
            "acquisition_channel": [words(name) for name in channels["acquisition_channel"]],
            "spend_usd": [kpis.format_value(value, "money") for value in channels["spend_usd"]],
            "new_customers": [kpis.format_value(value, "count") for value in channels["new_customers"]],
            "cac": [
                kpis.format_value(cac, "money") if spends else kpis.MISSING
                for cac, spends in zip(channels["cac"], spent, strict=True)
            ],
            "ltv": [kpis.format_value(value, "money") for value in channels["ltv"]],
            "ltv_to_cac": [
                kpis.format_value(v, "multiple") if s else kpis.MISSING
                for v, s in zip(channels["ltv_to_cac"], spent, strict=True)
            ],
        }
    )
    return [
        Section("Free-to-paid funnel", f'<p class="note">{figures.FUNNEL_NOTE}</p>' + funnel),
        Section("Channel economics (whole period)", table(economics, [*economics.columns[1:]])),
    ]


def anomaly_section(db: Path, month: date) -> Section:
    anomalies = marts.read(db, "metric_anomalies")
    day = pd.to_datetime(anomalies["date_day"]).dt.date
    in_month = anomalies[(day >= month) & (day < (pd.Timestamp(month) + pd.offsets.MonthBegin(1)).date())]
    in_month = in_month.sort_values(["is_bad", "date_day"], ascending=[False, True])
    if in_month.empty:
        return Section("Anomalies this month", '<p class="note">None: every monitored metric stayed in its range.</p>')
    rows = pd.DataFrame(
        {
            "date_day": [f"{value:%-d %b %Y}" for value in pd.to_datetime(in_month["date_day"])],
            "metric": [words(name) for name in in_month["metric"]],
            "direction": in_month["direction"],
            "harmful": ["yes" if bad else "no" for bad in in_month["is_bad"]],
            "value": [f"{value:,.1f}" for value in in_month["value"]],
            "expected": [f"{value:,.1f}" for value in in_month["expected"]],
        }
    )
    return Section("Anomalies this month (harmful first)", table(rows, ["value", "expected"]))


def churn_risk_section(db: Path) -> Section | None:
    try:
        risk = marts.read(db, "churn_risk")
        evaluation = marts.read(db, "churn_model_evaluation")
    except WarehouseUnavailable:  # built by an engine without the churn-risk models
        return None
    riskiest = risk.sort_values("expected_mrr_at_risk", ascending=False).head(RISKIEST_SHOWN)
    rows = pd.DataFrame(
        {
            "user_id": riskiest["user_id"].astype(str),
            "plan_name": riskiest["plan_name"],
            "mrr": [kpis.format_value(value, "money") for value in riskiest["mrr"]],
            "churn_probability_30d": [kpis.format_value(value, "rate") for value in riskiest["churn_probability_30d"]],
            "expected_mrr_at_risk": [kpis.format_value(value, "money") for value in riskiest["expected_mrr_at_risk"]],
            "main_driver": riskiest["driver_1"],
        }
    )
    model = evaluation[evaluation["scored_by"] == "model"]
    note = ""
    if not model.empty:
        first = model.iloc[0]
        note = (
            f'<p class="note">On {int(model["predictions"].sum()):,} held-out predictions the model ranks leavers '
            f"above stayers {first['auc']:.0%} of the time (AUC {first['auc']:.3f}).</p>"
        )
    return Section(
        f"Who may leave in the next 30 days (the {RISKIEST_SHOWN} largest expected losses)",
        note + table(rows, ["mrr", "churn_probability_30d", "expected_mrr_at_risk"]),
    )


def experiment_section(db: Path) -> Section | None:
    try:
        summary = marts.read(db, "experiment_summary")
    except WarehouseUnavailable:
        return None
    if summary.empty:
        return None
    rows = pd.DataFrame(
        {
            "experiment": [words(name) for name in summary["experiment_id"]],
            "users": [kpis.format_value(value, "count") for value in summary["users"]],
            "verdict": summary["verdict"],
        }
    )
    return Section("Experiments", table(rows, ["users"]))


def month_figures(db: Path, month: date) -> list[tuple[str, str]]:
    """The headline of an earlier month: its MRR, customers and ARPU from mrr_monthly."""
    monthly = marts.read(db, "mrr_monthly")
    row = monthly[pd.to_datetime(monthly["month"]).dt.date == month].iloc[0]
    return [
        ("MRR", kpis.format_value(row["mrr"], "money")),
        ("Active customers", kpis.format_value(row["active_customers"], "count")),
        ("ARPU", kpis.format_value(row["arpu"], "money")),
    ]


def month_statuses(db: Path, month: date) -> list[Row]:
    """Each KPI as it stood in `month` (kpi_history), ordered as the overview orders them."""
    history = marts.read(db, "kpi_history")
    rows = history[pd.to_datetime(history["month"]).dt.date == month].sort_values("label")
    return [
        {str(key): (None if pd.isna(value) else value) for key, value in row.items()} for row in rows.to_dict("records")
    ]


def compose(db: Path, tenant: str, month: date) -> str:
    """The board pack's page for the tenant file `db` and one of its complete months. The latest month's pack
    holds what `jobmetrics overview` prints and the churn-risk KPI and list, which are scored as of today."""
    months = complete_months(db)
    if month not in months:
        there = f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}" if months else "none yet"
        raise ReportUnavailable(f"{month:%Y-%m} is not a complete month of this warehouse (complete months: {there})")
    latest = month == months[-1]
    with connect_read_only(db) as con:
        overview = kpis.read_overview(con)
        statuses = kpis.read_kpis(con) if latest else month_statuses(db, month)
    with kpis.money_in(overview["reporting_currency"] or "USD"):
        return page(db, tenant, month, overview, statuses, latest)


def page(db: Path, tenant: str, month: date, overview: Row, statuses: list[Row], latest: bool) -> str:
    same_month = pd.Timestamp(overview["month"]).date() == month
    headline = kpis.overview_rows(overview) if same_month else month_figures(db, month)
    built = datetime.fromtimestamp(marts.version(db))
    sections = [
        kpi_section(statuses, headline),
        *revenue_sections(db, month),
        *growth_sections(db),
        anomaly_section(db, month),
    ]
    extra = (churn_risk_section(db) if latest else None, experiment_section(db))
    sections += [section for section in extra if section is not None]
    body = "".join(f"<section><h2>{html.escape(section.title)}</h2>{section.body}</section>" for section in sections)
    # one company (its raw files in one folder) is not named: "default" is no company's name
    title = (
        f"JobMetrics board pack, {month:%B %Y}"
        if tenant == DEFAULT_TENANT
        else f"JobMetrics board pack: {tenant}, {month:%B %Y}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f'<p class="note">Data as of {overview["as_of_date"]:%-d %b %Y}, built at {built:%-d %b %Y %H:%M}. '
        "Definitions: docs/metrics.md.</p>"
        f"{body}</body></html>"
    )


def write(db: Path, tenant: str, month: date, out: Path) -> Path:
    """Print the board pack to `out` (raises browser.PrintFailed, ReportUnavailable)."""
    browser.print_pdf(compose(db, tenant, month), out)
    return out


def pdf_bytes(db: Path, tenant: str) -> bytes:
    """The latest complete month's board pack as bytes: the dashboard's download."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jobmetrics-report-") as work:
        out = write(db, tenant, latest_complete_month(db), Path(work) / "board-pack.pdf")
        return out.read_bytes()
