"""`jobmetrics dashboard` in a real browser: every tab opens in headless Chromium without an error, shows its key
numbers, and leaves a screenshot under target/screenshots/ (`make screenshots` writes them to docs/img/, where
the README shows them, by setting JOBMETRICS_SCREENSHOTS)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from builds import PROJECT_ROOT, Build
from helpers import CHROMIUM_FLAGS, TAB_IDS, assert_no_error, chromium, pdf_text, screenshot, serving, shown_page
from playwright.sync_api import Page, expect, sync_playwright
from reference import records

from jobmetrics.kpis import format_value

pytestmark = pytest.mark.build

README_IMAGES = PROJECT_ROOT / "docs" / "img"


@pytest.fixture(scope="module")
def dashboard_url(default_company: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard of the sample, open (no users file), as on this machine."""
    no_users = tmp_path_factory.mktemp("open") / "users.yaml"
    env = {"JOBMETRICS_DB": str(default_company.db), "JOBMETRICS_MANIFEST": str(default_company.manifest)}
    with serving({**env, "JOBMETRICS_USERS": str(no_users)}) as url:
        yield url


@pytest.fixture(scope="module")
def page(dashboard_url: str) -> Iterator[Page]:
    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(dashboard_url)
        expect(page.get_by_role("heading", name="JobMetrics")).to_be_visible(timeout=60_000)
        yield page
        browser.close()


def open_tab(page: Page, name: str) -> None:
    """Click a page's link and wait for the page, its path in the URL (the overview's is /), to finish drawing."""
    page.get_by_role("link", name=name, exact=True).click()
    path = "" if name == "Overview" else TAB_IDS[name]
    expect(page).to_have_url(re.compile(rf"/{path}(\?|$)"), timeout=60_000)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)


def test_overview_shows_mrr_and_kpis(page: Page, default_company: Build) -> None:
    open_tab(page, "Overview")
    latest = default_company.query(
        "select mrr from marts.mrr_monthly where is_complete_month order by month desc limit 1"
    ).iloc[0]
    expect(shown_page(page).get_by_text(format_value(latest.mrr, "money"), exact=True)).to_be_visible()
    churn = default_company.query("select value from marts.kpi_summary where kpi = 'customer_churn_rate'").iloc[0]
    expect(shown_page(page).get_by_text(format_value(churn.value, "rate"), exact=True).first).to_be_visible()
    assert_no_error(page)
    screenshot(page, "overview")


def test_funnel_shows_signups(page: Page, default_company: Build) -> None:
    open_tab(page, "Funnel")
    steps = default_company.query("select step, sum(users) as users from marts.conversion_funnel group by step")
    for step in records(steps):
        expect(shown_page(page).locator("svg text").filter(has_text=f"{int(step['users']):,}").first).to_be_visible()
    assert_no_error(page)
    screenshot(page, "funnel")


def test_cohorts_show_the_heatmap(page: Page) -> None:
    open_tab(page, "Cohorts")
    expect(shown_page(page).locator(".heatmaplayer").first).to_be_visible()
    expect(shown_page(page).locator("svg text").filter(has_text="100").first).to_be_visible()
    assert_no_error(page)
    screenshot(page, "cohorts")


def test_channels_and_segments_show_monthly_cac(page: Page, default_company: Build) -> None:
    open_tab(page, "Channels and segments")
    channels = default_company.query(
        "select acquisition_channel, is_paid from marts.channel_performance where acquisition_channel <> 'all'"
    )
    legend = shown_page(page).locator(".legend")
    expect(legend).to_be_visible()
    for channel in records(channels):
        # The legend names channels as people write them: `paid_search` is "Paid search".
        in_words = str(channel["acquisition_channel"]).replace("_", " ").capitalize()
        entry = legend.get_by_text(in_words, exact=True)
        expect(entry).to_be_visible() if channel["is_paid"] else expect(entry).to_have_count(0)
    assert_no_error(page)
    screenshot(page, "channels")


def test_product_shows_lift_and_target_share(page: Page, default_company: Build) -> None:
    open_tab(page, "Product")
    iterations = default_company.query("select * from marts.match_rate_by_iteration limit 1").iloc[0]
    share = format_value(iterations.share_of_jobs_reaching_target, "rate")
    expect(shown_page(page).get_by_text(share, exact=True)).to_be_visible()
    assert_no_error(page)
    screenshot(page, "product")


def test_experiments_show_the_verdict_and_the_lifts(page: Page, dashboard_url: str, default_company: Build) -> None:
    page.goto(f"{dashboard_url}/?tab=experiments")
    verdict = default_company.query(
        "select verdict from marts.experiment_summary where experiment_id = 'onboarding_checklist'"
    ).iloc[0]
    expect(shown_page(page).get_by_text(f"Verdict: {verdict.verdict}.")).to_be_visible(timeout=60_000)
    expect(shown_page(page).locator(".js-plotly-plot")).to_have_count(1, timeout=60_000)
    assert_no_error(page)
    screenshot(page, "experiments")
    browser = page.context.browser
    assert browser is not None
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        phone.goto(f"{dashboard_url}/?tab=experiments&experiment=pricing_page")
        expect(phone.get_by_text("Sample-ratio mismatch (p = ")).to_be_visible(timeout=60_000)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page is wider than the phone"
        screenshot(phone, "experiments-phone")
    finally:
        phone.close()


def test_churn_shows_survival_curves_with_their_test_and_who_may_leave(
    page: Page, dashboard_url: str, default_company: Build
) -> None:
    page.goto(f"{dashboard_url}/?tab=churn&survival_by=plan")
    expect(shown_page(page).get_by_text("These groups' survival differs")).to_be_visible(timeout=60_000)
    expect(shown_page(page).locator(".js-plotly-plot")).to_have_count(2, timeout=60_000)
    expect(shown_page(page).locator(".legend").get_by_text("Premium annual")).to_be_visible()
    at_risk = default_company.query("select sum(expected_mrr_at_risk) as usd, sum(mrr) as mrr from marts.churn_risk")
    sentence = f"{format_value(at_risk['usd'].iloc[0], 'money')} of {format_value(at_risk['mrr'].iloc[0], 'money')} MRR"
    expect(shown_page(page).get_by_text(sentence)).to_be_visible()
    expect(shown_page(page).locator(".legend").get_by_text("Churn-risk model")).to_be_visible()
    expect(shown_page(page).locator(".legend").get_by_text("Segment and plan rate")).to_be_visible()
    assert_no_error(page)
    # the tab scrolls inside Streamlit's own container: a window as tall as the tab shows all of it
    page.set_viewport_size({"width": 1400, "height": 3000})
    try:
        screenshot(page, "churn")
    finally:
        page.set_viewport_size({"width": 1400, "height": 1600})
    browser = page.context.browser
    assert browser is not None
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        phone.goto(f"{dashboard_url}/?tab=churn&survival_by=segment")
        expect(phone.get_by_text("Paid at least 1, 3, 6 and 12 whole months")).to_be_visible(timeout=60_000)
        expect(phone.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)
        expect(shown_page(phone).locator(".js-plotly-plot")).to_have_count(2, timeout=60_000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "the page is wider than the phone"
        links = phone.locator('[data-testid="stMain"] [data-testid="stPageLink"]').all()
        assert len(links) == len(TAB_IDS)
        for link in links:  # every page's link in view, none behind a menu or a scroll arrow
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (link.inner_text(), box)
        screenshot(phone, "churn-phone")
    finally:
        phone.close()


def test_sql_tab_runs_the_query_of_its_link(page: Page, dashboard_url: str) -> None:
    page.goto(f"{dashboard_url}/sql?q=select%20month,%20mrr%20from%20marts.mrr_monthly%20order%20by%20month")
    expect(shown_page(page).get_by_text("Download CSV")).to_be_visible(timeout=60_000)
    expect(shown_page(page).locator('[data-testid="stDataFrame"]')).to_be_visible()
    assert "q=select" in page.url
    assert_no_error(page)
    screenshot(page, "sql")


def test_report_builder_draws_the_metrics_of_its_link(page: Page, dashboard_url: str) -> None:
    page.goto(f"{dashboard_url}/report?metrics=mrr&metrics=new_mrr&group_by=metric_time__month")
    expect(shown_page(page).locator(".legend").get_by_text("New MRR")).to_be_visible(timeout=60_000)
    expect(shown_page(page).locator('[data-testid="stDataFrame"]')).to_be_visible()
    assert_no_error(page)
    screenshot(page, "report")


def test_the_overview_fits_a_phone(page: Page, dashboard_url: str, default_company: Build) -> None:
    browser = page.context.browser
    assert browser is not None
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        phone.goto(dashboard_url)
        expect(phone.get_by_role("heading", name="JobMetrics")).to_be_visible(timeout=60_000)
        latest = default_company.query(
            "select mrr from marts.mrr_monthly where is_complete_month order by month desc limit 1"
        ).iloc[0]
        expect(phone.get_by_text(format_value(latest.mrr, "money"), exact=True)).to_be_visible(timeout=60_000)
        assert_no_error(phone)
        screenshot(phone, "overview-phone")
    finally:
        phone.close()


def test_ask_answers_offline(page: Page, dashboard_url: str) -> None:
    # opened by its link: a tab switch reruns the app, which could land while the question is being typed
    page.goto(f"{dashboard_url}/?tab=ask")
    question = shown_page(page).get_by_role("textbox")
    expect(question).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)
    question.fill("What's our churn rate?")
    question.press("Enter")
    expect(shown_page(page).get_by_text("churned_customers / previous month's active_customers")).to_be_visible(
        timeout=60_000
    )
    assert_no_error(page)
    screenshot(page, "ask")


def test_the_board_pack_downloads_as_the_report_writes_it(
    page: Page, dashboard_url: str, default_company: Build
) -> None:
    page.goto(dashboard_url)
    button = page.get_by_role("button", name=re.compile(r"^Board pack, \w+ \d{4} \(PDF\)$"))
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download(timeout=180_000) as download:
        button.click()
    assert re.fullmatch(r"jobmetrics-default-\d{4}-\d{2}\.pdf", download.value.suggested_filename)
    text = " ".join(pdf_text(Path(download.value.path())).split())
    latest = default_company.query(
        "select mrr from marts.mrr_monthly where is_complete_month order by month desc limit 1"
    ).iloc[0]
    assert format_value(latest.mrr, "money") in text and "JobMetrics board pack, " in text
    assert_no_error(page)


def test_the_docs_show_every_screenshot() -> None:
    assert "docs/img/dashboard-overview.png" in (PROJECT_ROOT / "README.md").read_text()
    page = (PROJECT_ROOT / "docs" / "dashboard.md").read_text()
    for name in (
        "overview",
        "overview-phone",
        "funnel",
        "cohorts",
        "channels",
        "product",
        "experiments",
        "experiments-phone",
        "sql",
        "report",
        "ask",
        "signin",
        "signin-phone",
    ):
        assert f"img/dashboard-{name}.png" in page, name
        assert (README_IMAGES / f"dashboard-{name}.png").exists(), name
