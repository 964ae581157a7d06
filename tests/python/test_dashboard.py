"""The dashboard shows the marts' own numbers, offers them for download, and says what to do without a
warehouse (Streamlit's AppTest runs the real app script)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builds import PROJECT_ROOT, Build
from streamlit.testing.v1 import AppTest

from jobmetrics.kpis import format_value

pytestmark = pytest.mark.build

APP = str(PROJECT_ROOT / "dashboard" / "app.py")


def run_app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("JOBMETRICS_DB", str(db))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def test_kpi_cards_show_kpi_summary(default_company: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(default_company.db, monkeypatch)
    kpis = default_company.query("select * from marts.kpi_summary")
    cards = {metric.label: metric.value for metric in app.metric}
    deltas = {metric.label: metric.proto.delta for metric in app.metric}
    for row in kpis.itertuples():
        assert cards[row.label] == format_value(row.value, row.unit), row.label
        sign = "-" if row.change < 0 else "+"
        assert deltas[row.label] == sign + format_value(abs(row.change), row.unit), row.label
    statuses = " ".join(markdown.value for markdown in app.markdown)
    assert "warning" in statuses and "ok" in statuses


def test_every_chart_offers_its_data(default_company: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(default_company.db, monkeypatch)
    names = {button.proto.label for button in app.get("download_button")}
    assert names == {"Download CSV"}
    assert len(app.get("download_button")) >= 10
    assert len(app.tabs) == 6


def test_a_missing_warehouse_says_to_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = run_app(tmp_path / "none.duckdb", monkeypatch)
    assert "make build" in app.error[0].value


def test_the_ask_tab_answers_offline(default_company: Build, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(default_company.manifest))
    app = run_app(default_company.db, monkeypatch)
    app.text_input[0].input("What's our churn rate?").run()
    assert not app.exception
    answer = " ".join(markdown.value for markdown in app.markdown)
    assert "churned_customers / previous month's active_customers" in answer
    app.text_input[0].input("Why do people love us?").run()
    assert "ANTHROPIC_API_KEY" in app.error[0].value
