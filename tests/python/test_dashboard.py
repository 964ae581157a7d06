"""The dashboard shows the marts' own numbers, offers exactly what it shows for download, opens the view of a
link and says what to do without a warehouse (Streamlit's AppTest runs the real app script; the filters are
test_dashboard_filters.py)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from builds import Build
from helpers import (
    IN_LABELS,
    TAB_IDS,
    Shown,
    by_name,
    decoded,
    every_tab_by_name,
    funnel_totals,
    open_tab,
    plotted_numbers,
    shown_in_every_tab,
)
from reference import records

from jobmetrics import guarded
from jobmetrics.columns import UNITS
from jobmetrics.kpis import format_value, signed
from jobmetrics.views import display, figures

pytestmark = pytest.mark.build


def test_kpi_cards_show_kpi_summary_and_mrr_monthly(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    kpis = default_company.query("select * from marts.kpi_summary")
    cards = {metric.label: metric.value for metric in app.metric}
    deltas = {metric.label: metric.proto.delta for metric in app.metric}
    for row in records(kpis):
        assert cards[row["label"]] == format_value(row["value"], row["unit"]), row["label"]
        assert deltas[row["label"]] == signed(row["change"], row["unit"]), row["label"]  # as every surface shows it
    latest = default_company.query(
        "select mrr, active_customers, net_new_mrr from marts.mrr_monthly "
        "where is_complete_month order by month desc limit 1"
    ).iloc[0]
    assert cards["MRR"] == format_value(latest.mrr, "money")
    assert deltas["MRR"] == ("-" if latest.net_new_mrr < 0 else "+") + format_value(abs(latest.net_new_mrr), "money")
    assert cards["Active customers"] == format_value(latest.active_customers, "count")
    statuses = " ".join(markdown.value for markdown in app.markdown)
    assert "warning" in statuses and "ok" in statuses


def test_every_chart_and_table_downloads_exactly_what_it_shows(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    assert [link.proto.label for link in app.get("page_link")] == list(TAB_IDS)
    pairs = shown_in_every_tab(app)
    assert len(pairs) >= 13
    for shown in pairs:
        if shown.kind == "dataframe":
            assert_table_is_its_download(shown)
            continue
        plotted = plotted_numbers(shown.element.proto.spec)
        offered = shown.download.select_dtypes("number").to_numpy().ravel()
        offered_set = {round(float(v), 9) for v in offered if not np.isnan(v)}
        assert plotted, shown.name
        missing = {round(n, 9) for n in plotted} - offered_set
        assert not missing, f"{shown.name} plots values its download lacks: {sorted(missing)[:5]}"
        assert len(plotted) >= len(shown.download), f"{shown.name} offers rows it does not plot"
        plotted_set = {round(n, 9) for n in plotted}
        for column in shown.download.select_dtypes("number").columns.difference(IN_LABELS.get(shown.name, [])):
            values = {round(float(v), 9) for v in shown.download[column].dropna()}
            assert values & plotted_set, f"{shown.name} offers {column}, which it does not plot"


def assert_table_is_its_download(shown: Shown) -> None:
    """The table's cells are the download's values; a column shown as text (it has an undefined value) shows
    each value in its unit, and a dash where there is none."""
    screen = shown.element.value.reset_index(drop=True)
    download = shown.download.reset_index(drop=True)
    assert list(screen.columns) == list(download.columns), shown.name
    for column in download.columns:
        if column in display.NAMED:
            assert screen[column].tolist() == [display.words(str(v)) for v in download[column]], (shown.name, column)
        elif pd.api.types.is_string_dtype(screen[column]) and pd.api.types.is_numeric_dtype(download[column]):
            units = UNITS
            if shown.name.startswith("experiment_") and shown.name != "experiment_lifts":
                units = display.experiment_units(shown.name.removeprefix("experiment_"), list(download.columns))
            expected = [format_value(None if pd.isna(v) else v, units[column]) for v in download[column]]
            assert screen[column].tolist() == expected, (shown.name, column)
        else:
            left = pd.read_csv(io.StringIO(screen[[column]].to_csv(index=False)))[column]
            pd.testing.assert_series_equal(left, download[column], check_dtype=False, obj=f"{shown.name}.{column}")


def display_values(element: Any) -> pd.DataFrame:
    """What a styled table shows in each cell (Streamlit sends the Styler's display values as Arrow)."""
    styler = element.proto.arrow_data.styler
    return pd.DataFrame(pa.ipc.open_stream(styler.display_values).read_all().to_pandas())


def test_tables_show_money_rates_and_undefined_values_as_people_read_them(default_company: Build, run_app: Any) -> None:
    tables = every_tab_by_name(run_app(default_company.db))
    channels = tables["channel_performance"]
    screen, cells = channels.element.value, display_values(channels.element)
    by_channel = dict(zip(screen["acquisition_channel"], screen.index, strict=True))
    paid, unpaid = by_channel["Paid search"], by_channel["Organic search"]
    row = {column: cells.iloc[screen.index.get_loc(paid), i] for i, column in enumerate(screen.columns)}
    assert re.fullmatch(r"\$\d{1,3}(,\d{3})*\.\d\d", row["spend_usd"]), row
    assert re.fullmatch(r"\$\d+\.\d\d", row["cac"]) and re.fullmatch(r"\d+\.\d\dx", row["ltv_to_cac"]), row
    assert re.fullmatch(r"\d+\.\d mo", row["cac_payback_months"]), row
    assert screen.loc[unpaid, "cac"] == "—" and screen.loc[unpaid, "ltv_to_cac"] == "—"
    segments = tables["segment_performance"]
    seg_cells = display_values(segments.element)
    rates = seg_cells.iloc[:, list(segments.element.value.columns).index("conversion_rate")]
    assert all(re.fullmatch(r"\d+\.\d%", value) for value in rates), rates.tolist()
    for shown in tables.values():
        if shown.kind == "dataframe":
            text = " ".join(map(str, display_values(shown.element).to_numpy().ravel()))
            assert not re.search(r"\b(None|nan|NaN)\b", text), shown.name


def test_every_line_runs_in_time_order_legends_sit_under_charts_and_unpaid_channels_have_no_cac_line(
    default_company: Build, run_app: Any
) -> None:
    charts = every_tab_by_name(run_app(default_company.db))
    for shown in charts.values():
        if shown.kind != "plotly_chart":
            continue
        spec = json.loads(shown.element.proto.spec)
        for trace in spec["data"]:
            if trace.get("type") == "scatter" and "lines" in trace.get("mode", "lines"):
                xs = list(decoded(trace["x"]))
                assert xs == sorted(xs), (shown.name, trace.get("name"))
        legend = spec["layout"].get("legend", {})  # under the plot, so a phone's 390 px go to the plot
        if sum(trace.get("showlegend", True) for trace in spec["data"]) > 1:
            assert legend.get("orientation") == "h" and legend.get("y", 1) < 0, shown.name
    cac = json.loads(charts["channel_monthly"].element.proto.spec)
    paid = default_company.query("select acquisition_channel from marts.channel_performance where spend_usd > 0")
    expected = {display.words(name) for name in paid["acquisition_channel"] if name != "all"}
    assert {trace["name"] for trace in cac["data"]} == expected
    assert cac["layout"]["xaxis"]["title"]["text"] == "Month" and cac["layout"]["yaxis"]["title"]["text"] == "CAC"


def test_the_funnel_and_mrr_charts_are_the_marts(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db)
    overview = by_name(app)
    assert "conversion_funnel" not in overview  # only the open tab is computed and drawn
    mrr = overview["mrr"].download
    funnel_chart = by_name(open_tab(app, "Funnel"))["conversion_funnel"]
    funnel = funnel_chart.download
    assert funnel["users"].tolist() == funnel_totals(default_company)["users"].tolist()
    drawn = json.loads(funnel_chart.element.proto.spec)["data"][0]["y"]  # the steps in words, not column values
    assert list(drawn) == [display.words(step) for step in funnel["step"]] and "Signed up" in drawn
    for by in ("segment", "acquisition_channel"):  # the steps of the grouped bars in the same words
        grouped = json.loads(by_name(app)[f"conversion_funnel_by_{by}"].element.proto.spec)["layout"]["yaxis"]
        assert grouped["labelalias"] == {step: display.words(step) for step in funnel["step"]}, by
    last_12 = default_company.query("select month, mrr from marts.mrr_monthly order by month desc limit 12")
    assert mrr["mrr"].tolist() == last_12.sort_values("month")["mrr"].tolist()


def test_conversion_by_signup_month_draws_one_line_per_window_hollow_where_90_days_are_open(
    default_company: Build, run_app: Any
) -> None:
    app = open_tab(run_app(default_company.db), "Funnel")
    spec = json.loads(by_name(app)["conversion_by_signup_month"].element.proto.spec)
    months = default_company.query(
        "select signup_month, has_full_90_day_window from marts.conversion_by_signup_month order by signup_month"
    )
    expected = ["circle" if full else "circle-open" for full in months["has_full_90_day_window"]]
    assert not all(months["has_full_90_day_window"]) and any(months["has_full_90_day_window"])  # both kinds drawn
    lines = {trace["name"]: trace for trace in spec["data"]}
    assert list(lines) == ["Within 7 days", "Within 30 days", "Within 90 days"]
    for trace in lines.values():  # unbroken: every month on the window's one line
        assert len(list(decoded(trace["x"]))) == len(months) and list(trace["marker"]["symbol"]) == expected


def test_a_missing_warehouse_says_to_build(tmp_path: Path, run_app: Any) -> None:
    app = run_app(tmp_path / "none.duckdb")
    assert "make build" in app.error[0].value


def test_without_a_complete_month_the_board_pack_says_so(default_company: Build, tmp_path: Path, run_app: Any) -> None:
    # a warehouse without kpi_history (built before it existed) has no complete month to print
    older = tmp_path / "older.duckdb"
    shutil.copy(default_company.db, older)
    with duckdb.connect(str(older)) as con:
        con.execute("drop table marts.kpi_history")
    app = run_app(older)
    assert "The board pack needs a complete month of data." in [caption.value for caption in app.sidebar.caption]
    assert not app.error


def test_an_unreadable_warehouse_says_to_build(tmp_path: Path, run_app: Any) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a database" * 100)
    app = run_app(broken)
    assert "make build" in app.error[0].value


def test_the_ask_tab_answers_offline(default_company: Build, run_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(default_company.manifest))
    app = run_app(default_company.db, tab="ask")
    app.text_input(key="question").input("What's our churn rate?").run()
    assert not app.exception
    answer = " ".join(markdown.value for markdown in app.markdown)
    assert "churned_customers / previous month's active_customers" in answer
    app.text_input(key="question").input("Why do people love us?").run()
    assert "ANTHROPIC_API_KEY" in app.error[0].value


def test_a_link_opens_the_view_and_the_view_writes_its_link(default_company: Build, run_app: Any) -> None:
    app = run_app(
        default_company.db, tab="channels", **{"from": "2025-03", "to": "2025-05"}, channels=["paid_search", "referral"]
    )
    assert app.session_state["page"] == "Channels and segments"
    assert app.select_slider[0].value == (date(2025, 3, 1), date(2025, 5, 1))
    assert app.multiselect(key="channels").value == ["paid_search", "referral"]
    channels = by_name(app)["channel_performance"].download
    assert set(channels["acquisition_channel"]) == {"paid_search", "referral", "all"}
    mrr = by_name(open_tab(app, "Overview"))["mrr"].download
    assert sorted(pd.to_datetime(mrr["month"]).dt.strftime("%Y-%m")) == ["2025-03", "2025-04", "2025-05"]
    open_tab(app, "Channels and segments")
    app.multiselect(key="segments").set_value(["career_changer"]).run()
    app.select_slider[0].set_value((date(2025, 6, 1), date(2025, 8, 1))).run()
    assert app.query_params["segments"] in ("career_changer", ["career_changer"])
    assert (app.query_params["from"], app.query_params["to"]) == ("2025-06", "2025-08")
    assert app.session_state["page"] == "Channels and segments"


def test_the_sql_tab_answers_a_select_from_its_link(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db, tab="sql", q="select 42 as answer")
    assert app.session_state["page"] == "SQL"
    results = by_name(app)["sql_result"]
    assert results.download["answer"].tolist() == [42]
    mrr = run_app(default_company.db, tab="sql", q="select month, mrr from marts.mrr_monthly order by month")
    expected = default_company.query("select mrr from marts.mrr_monthly order by month")["mrr"]
    assert by_name(mrr)["sql_result"].download["mrr"].tolist() == pytest.approx(expected.tolist())


REFUSED = [
    ("drop table marts.mrr_monthly", "only SELECT"),
    ("copy marts.mrr_monthly to '/tmp/out.csv'", "only SELECT"),
    ("attach '/tmp/other.duckdb' as other", "only SELECT"),
    ("pragma database_list", "only SELECT"),
    ("select 1; select 2", "exactly one statement"),
    ("select * from read_csv('/etc/passwd')", "disabled"),
    ("select no_such_column from marts.mrr_monthly", "Referenced column"),
]


@pytest.mark.parametrize(("statement", "why"), REFUSED)
def test_the_sql_guard_refuses_anything_but_one_select(default_company: Build, statement: str, why: str) -> None:
    with pytest.raises(guarded.QueryRefused, match=why) as refused:
        guarded.query(default_company.db, statement)
    assert "Traceback" not in str(refused.value)
    assert "Error:" not in str(refused.value)  # one sentence, not DuckDB's "Binder Error:" kind


def test_the_sql_tab_shows_a_refusal_in_a_sentence_and_changes_nothing(
    default_company: Build, run_app: Any, tmp_path: Path
) -> None:
    db = tmp_path / "jobmetrics.duckdb"
    db.write_bytes(default_company.db.read_bytes())
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    app = run_app(db, tab="sql")
    for statement, why in [REFUSED[0], REFUSED[-1]]:
        app.text_area(key="q").input(statement).run()
        assert not app.exception, statement
        warnings = [warning.value for warning in app.warning]
        assert len(warnings) == 1 and warnings[0].startswith("Not run:") and why in warnings[0], (statement, warnings)
        assert "Traceback" not in warnings[0]
    for statement, _ in REFUSED:
        with contextlib.suppress(guarded.QueryRefused):
            guarded.query(db, statement)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_the_ask_answer_keeps_its_lines_and_lists() -> None:
    text = "Churn\nNow: 9.2%.\nBy segment:\n- a 1%\n- b 2%\nDone."
    assert display.answer_markdown(text) == "Churn  \nNow: 9.2%.  \nBy segment:  \n\n- a 1%\n- b 2%\nDone.  "


def test_the_report_builder_link_shows_mrr_by_month(
    default_company: Build, run_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(default_company.manifest))
    app = run_app(default_company.db, tab="report", metrics="mrr", group_by="metric_time__month")
    assert app.session_state["page"] == "Report builder"
    report = by_name(app)["report"].download
    monthly = default_company.query("select month, mrr from marts.mrr_monthly order by month")
    assert pd.to_datetime(report["metric_time__month"]).tolist() == pd.to_datetime(monthly["month"]).tolist()
    assert report["mrr"].tolist() == pytest.approx(monthly["mrr"].tolist(), abs=0.005)
    # money to the cent, as finance reads it (a sum of doubles printed 67112.79999999808 here before)
    assert all(len(repr(value).split(".")[-1]) <= 2 for value in report["mrr"]), report["mrr"].tolist()
    app.multiselect(key="metrics").set_value(["mrr", "new_mrr"]).run()
    assert app.query_params["metrics"] == ["mrr", "new_mrr"]


def test_the_report_builder_never_draws_a_rate_on_a_money_axis(
    default_company: Build, run_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MRR and conversion by channel: a panel each, money with "$" and the rate in percent, every channel in the
    colour it has on the other tabs."""
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(default_company.manifest))
    app = run_app(
        default_company.db,
        tab="report",
        metrics=["mrr", "free_to_paid_conversion_rate"],
        group_by=["metric_time__month", "user__acquisition_channel"],
    )
    spec = json.loads(by_name(app)["report_chart"].element.proto.spec)
    axes = {name: axis for name, axis in spec["layout"].items() if name.startswith("yaxis")}
    assert {(axis.get("tickprefix"), axis.get("tickformat")) for axis in axes.values()} == {(None, ".0%"), ("$", "~s")}
    assert {axis["title"]["text"] for axis in axes.values()} == {"MRR", "Free to paid conversion rate"}
    channels = sorted(
        set(default_company.query("select acquisition_channel from marts.dim_users")["acquisition_channel"])
    )
    expected = {display.words(name): colour for name, colour in display.colours(channels).items()}
    drawn = {trace["name"]: trace["line"]["color"] for trace in spec["data"]}
    assert drawn == expected


def test_the_experiments_tab_reads_each_experiment_and_warns_of_a_broken_one(
    default_company: Build, run_app: Any
) -> None:
    verdicts = default_company.query("select experiment_id, verdict from marts.experiment_summary")
    verdict = dict(zip(verdicts["experiment_id"], verdicts["verdict"], strict=True))
    app = run_app(default_company.db, tab="experiments")
    assert app.session_state["page"] == "Experiments"
    assert app.selectbox[0].value == "onboarding_checklist"
    assert app.success[0].value == f"Verdict: {verdict['onboarding_checklist']}."
    assert not app.error
    lifts = by_name(app)["experiment_lifts"].download
    results = default_company.query(
        "select metric, variant, absolute_lift from marts.experiment_results "
        "where experiment_id = 'onboarding_checklist' and not is_control"
    )
    assert sorted(lifts["absolute_lift"].round(9)) == sorted(results["absolute_lift"].round(9))
    broken = run_app(default_company.db, tab="experiments", experiment="pricing_page")
    assert broken.error[0].value.startswith("Sample-ratio mismatch (p = ")
    assert not broken.success
    assert broken.query_params["experiment"] == "pricing_page"


def test_the_churn_tab_draws_each_groups_survival_and_says_whether_they_differ(
    default_company: Build, run_app: Any
) -> None:
    app = run_app(default_company.db, tab="churn", survival_by="plan")
    assert app.session_state["page"] == "Churn"
    assert app.radio(key="survival_by").value == "plan"
    curves = by_name(app)["churn_survival"].download
    expected = default_company.query(
        "select group_value, months_since_start, survival from marts.churn_survival where grouped_by = 'plan' "
        "order by group_value, months_since_start"
    )
    # drawn and downloaded as drawn: each plan from 100% at 0 months, then row t at t + 1 months paid
    wanted = []
    for plan, rows in expected.groupby("group_value", sort=True):
        wanted += [(plan, 0, 1.0)] + [
            (plan, t + 1, s) for t, s in zip(rows.months_since_start, rows.survival, strict=True)
        ]
    assert [tuple(row) for row in curves[["group_value", "months_paid"]].values.tolist()] == [w[:2] for w in wanted]
    assert curves["survival"].tolist() == pytest.approx([w[2] for w in wanted], rel=1e-12)
    p_value = default_company.query("select p_value from marts.churn_survival_tests where grouped_by = 'plan'")
    p = p_value["p_value"].iloc[0]
    sentence = f"These groups' survival differs (log-rank {'p < 0.001' if p < 0.001 else f'p = {p:.3f}'})."
    assert sentence in [markdown.value for markdown in app.markdown]
    milestones = by_name(app)["churn_survival_milestones"].download.set_index("plan")
    annual = expected[expected["group_value"] == "premium_annual"].set_index("months_since_start")["survival"]
    # still paying after 6 months is paying for more than 5 whole months
    assert milestones.loc["Premium annual", "after_6_months"] == pytest.approx(annual[5], rel=1e-12)
    drawn = figures.survival_curves(display.colours(sorted(set(curves["group_value"]))))(curves)
    assert (milestones.loc["Premium annual", "after_1_month"], 1.0) == (annual[0], curves["survival"].max())
    line = next(trace for trace in drawn.data if trace.name == "premium_annual")
    assert (line.x[0], line.y[0]) == (0, 1.0)  # every spell is paying when it starts
    assert line.y[6] == pytest.approx(annual[5], rel=1e-12) and line.x[6] == 6
    overall = run_app(default_company.db, tab="churn")
    assert overall.query_params["survival_by"] == "overall"
    assert not [
        markdown.value for markdown in overall.markdown if markdown.value.startswith(("These groups", "No detect"))
    ]


def test_the_churn_tab_lists_who_may_leave_and_the_backtest(default_company: Build, run_app: Any) -> None:
    risk = default_company.query("select * from marts.churn_risk order by churn_probability_30d desc, user_id")
    app = run_app(default_company.db, tab="churn")
    top = by_name(app)["churn_risk"].download
    riskiest = risk[risk["risk_decile"] == 10]
    assert top["user_id"].tolist() == riskiest["user_id"].tolist()
    first = riskiest.iloc[0]
    assert top["driver_1"].iloc[0] == f"{first['driver_1']} ({first['driver_1_contribution']:+.2f})"
    assert top["expected_mrr_at_risk"].tolist() == pytest.approx(riskiest["expected_mrr_at_risk"].tolist(), abs=0.005)
    at_risk = (
        f"**{format_value(risk['expected_mrr_at_risk'].sum(), 'money')}** of {format_value(risk['mrr'].sum(), 'money')}"
    )
    assert any(at_risk in markdown.value for markdown in app.markdown)

    app.radio(key="risk_view").set_value("Everyone").run()
    everyone = by_name(app)["churn_risk"]
    assert len(everyone.download) == len(risk) > 1000  # the download has everyone: the table draws the first 1,000
    assert len(everyone.element.value) == 1000
    assert any("The 1,000 likeliest to leave of" in caption.value for caption in app.caption)

    calibration = by_name(app)["churn_model_calibration"].download
    expected = default_company.query("select scored_by, risk_decile, observed_rate from marts.churn_model_evaluation")
    assert len(calibration) == len(expected) == 30
    summary = by_name(app)["churn_model_evaluation"].download.set_index("scored_by")
    model = expected.query("scored_by == 'model'")
    auc = default_company.query(
        "select any_value(auc) as auc from marts.churn_model_evaluation where scored_by = 'model'"
    )
    assert summary.loc["model", "auc"] == pytest.approx(auc["auc"].iloc[0])
    assert len(model) == 10


def test_the_experiments_tab_says_when_there_are_none(edge_company: Build, run_app: Any) -> None:
    app = run_app(edge_company.db, tab="experiments")
    assert any(info.value.startswith("No experiments yet") for info in app.info)


def test_the_survival_grouping_of_a_link_is_read_as_the_page_words_it(default_company: Build, run_app: Any) -> None:
    for asked in ("channel", "Channel", "acquisition_channel"):
        app = run_app(default_company.db, tab="churn", survival_by=asked)
        assert app.radio(key="survival_by").value == "acquisition_channel", asked
        assert not app.warning
    unknown = run_app(default_company.db, tab="churn", survival_by="weather")
    assert unknown.radio(key="survival_by").value == "overall"
    assert [warning.value for warning in unknown.warning] == [
        "Survival cannot be grouped by 'weather'; it can be by overall, segment, channel, plan. Showing overall."
    ]


def test_the_health_check_lists_every_kpi_what_needs_attention_first(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db, tab="overview")
    statuses = by_name(app)["kpi_statuses"]
    shown = statuses.download["status"].tolist()
    kpis = default_company.query(
        "select status from marts.kpi_summary union all select status from marts.churn_risk_kpi"
    )
    assert sorted(shown) == sorted(kpis["status"])  # every KPI
    rank = {"critical": 0, "warning": 1, "no_data": 2, "ok": 3}
    assert [rank[status] for status in shown] == sorted(rank[status] for status in shown)
    assert shown[0] == "warning"  # the sample's gross MRR churn and paid LTV:CAC


def test_the_ask_tab_says_it_is_offline_and_what_it_can_answer(default_company: Build, run_app: Any) -> None:
    app = run_app(default_company.db, tab="ask")
    assert any(caption.value.startswith("Offline (no ANTHROPIC_API_KEY") for caption in app.caption)
    assert app.text_input(key="question").placeholder == "What's our churn rate?"  # a question it can answer


def test_active_users_and_stickiness_start_with_a_whole_month_of_data(default_company: Build, run_app: Any) -> None:
    """The sample's data starts on 1 Jan 2025, so MAU and stickiness are whole from 30 Jan; before it they would
    count part of a month (MAU climbing for four weeks)."""
    app = run_app(default_company.db, tab="product", **{"from": "2025-01"})
    shown = by_name(app)
    for name in ("active_users", "stickiness"):
        assert pd.to_datetime(shown[name].download["date_day"]).min() == pd.Timestamp("2025-01-30"), name
    traces = json.loads(shown["active_users"].element.proto.spec)["data"]
    assert {trace["name"] for trace in traces} == {"Daily active users", "Weekly active users", "Monthly active users"}
    assert all(trace["line"]["color"] in figures.ACTIVE_USER_COLOURS.values() for trace in traces)
