"""The dashboard with a users file, in headless Chromium: nothing before sign-in, a wrong password, the lockout,
sign-out, an expired session, and two tenants (a viewer of one never sees a number of the other, in any tab)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from builds import PROJECT_ROOT, Build
from helpers import (
    CHROMIUM_FLAGS,
    TAB_IDS,
    assert_no_error,
    chromium,
    free_port,
    screenshot,
    serving,
    shown_page,
    wait_until_serving,
)
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from jobmetrics.kpis import format_value
from jobmetrics.views import signin

pytestmark = pytest.mark.build

VIEWER, ADMIN, LOCKED = "viewer@edge.example", "admin@example.com", "locked@edge.example"
PASSWORDS = {VIEWER: "edge viewer secret", ADMIN: "admin secret", LOCKED: "locked secret"}
SHORT_SESSION_HOURS = 0.004  # 14.4 seconds
JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signin") / "users.yaml"
    for email, grant in ((VIEWER, ["--tenant", "edge"]), (ADMIN, ["--role", "admin"]), (LOCKED, ["--tenant", "edge"])):
        done = subprocess.run(
            [JOBMETRICS, "users", "--users", str(path), "add", email, *grant, "--password-stdin"],
            input=PASSWORDS[email],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def signin_url(four_tenants: Build, users_file: Path) -> Iterator[str]:
    with serving({"JOBMETRICS_DB": str(four_tenants.db), "JOBMETRICS_USERS": str(users_file)}) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own browser context: no cookie from another test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    yield context.new_page()
    context.close()


def settled(page: Page) -> None:
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=60_000)


def sign_in_form(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    settled(page)


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    app = page.get_by_test_id("stApp")
    page.get_by_role("button", name="Sign in").click()
    # every run before sign-in takes at least 0.7 s (streamlit-authenticator's pause), so the run is seen
    expect(app).to_have_attribute("data-test-script-state", "running", timeout=10_000)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)
    settled(page)


def signed_in_as(email: str) -> re.Pattern[str]:
    """The sidebar's line as shown: the address as text, an invisible word joiner after its @ so it is no link."""
    local, _, domain = email.partition("@")
    return re.compile(rf"^Signed in as {re.escape(local)}@\u2060?{re.escape(domain)}$")


def signed_in(page: Page, email: str) -> None:
    expect(page.get_by_text(signed_in_as(email))).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stSidebar"] a[href^="mailto:"]').count() == 0
    expect(page.get_by_role("link", name="Overview", exact=True)).to_be_visible(timeout=60_000)
    settled(page)


def nothing_of_the_warehouse(page: Page) -> None:
    """No number, chart, table or company name: the title and the form only."""
    text = page.inner_text("body").replace(signin.LOCKED, "")
    assert not re.search(r"\d", text), text
    assert not {"edge", "sample", "parquet", "subscriptions"} & set(re.findall(r"[a-z]+", text.lower())), text
    for testid in ("stSidebarUserContent", "stMetric", "stPlotlyChart", "stDataFrame", "stPageLink"):
        shown = page.locator(f'[data-testid="{testid}"]')
        assert shown.count() == 0 or not shown.first.inner_text().strip(), testid


def test_nothing_is_shown_before_sign_in(page: Page, signin_url: str) -> None:
    # a link straight to a query of another tenant shows the form and nothing else
    sign_in_form(page, f"{signin_url}/?tab=sql&tenant=sample&q=select%20*%20from%20marts.mrr_monthly")
    nothing_of_the_warehouse(page)
    form = page.locator('[data-testid="stForm"]')
    box = form.bounding_box()
    assert box is not None and 400 <= box["width"] <= 700, box  # a readable width on a desktop, not the page's
    screenshot(page, "signin")
    page.set_viewport_size({"width": 390, "height": 844})
    nothing_of_the_warehouse(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_box = form.bounding_box()
    assert phone_box is not None and phone_box["width"] >= 320, phone_box  # the phone's width
    screenshot(page, "signin-phone")


def test_a_wrong_password_or_email_gets_one_sentence(page: Page, signin_url: str) -> None:
    sign_in_form(page, signin_url)
    sign_in(page, VIEWER, "not the password")
    expect(page.get_by_text(signin.WRONG, exact=True)).to_be_visible()
    sign_in(page, "nobody@edge.example", PASSWORDS[VIEWER])
    expect(page.get_by_text(signin.WRONG, exact=True)).to_be_visible()
    nothing_of_the_warehouse(page)


def test_five_failures_lock_the_user_and_no_one_else(page: Page, browser: Browser, signin_url: str) -> None:
    sign_in_form(page, signin_url)
    for _ in range(5):
        sign_in(page, LOCKED, "a wrong guess")
        expect(page.get_by_text(signin.WRONG, exact=True)).to_be_visible()
    sign_in(page, LOCKED, PASSWORDS[LOCKED])  # the right password, too late
    expect(page.get_by_text(signin.LOCKED, exact=True)).to_be_visible()
    nothing_of_the_warehouse(page)
    other = browser.new_context().new_page()  # a new session counts the same failures
    try:
        sign_in_form(other, signin_url)
        sign_in(other, LOCKED, PASSWORDS[LOCKED])
        expect(other.get_by_text(signin.LOCKED, exact=True)).to_be_visible()
        sign_in_form(other, signin_url)
        sign_in(other, VIEWER, PASSWORDS[VIEWER])
        signed_in(other, VIEWER)
    finally:
        other.context.close()


def test_sign_out_ends_the_session_for_good(page: Page, signin_url: str) -> None:
    sign_in_form(page, signin_url)
    sign_in(page, VIEWER, PASSWORDS[VIEWER])
    signed_in(page, VIEWER)
    page.reload()  # the cookie signs the same browser in again
    signed_in(page, VIEWER)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    settled(page)
    nothing_of_the_warehouse(page)
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    settled(page)
    nothing_of_the_warehouse(page)
    sign_in(page, VIEWER, PASSWORDS[VIEWER])  # and back in with the password, in the same tab
    signed_in(page, VIEWER)
    page.get_by_role("link", name="Funnel", exact=True).click()
    settled(page)
    expect(page.get_by_text(signed_in_as(VIEWER))).to_be_visible()


def test_a_session_ends_after_its_hours(page: Page, four_tenants: Build, users_file: Path) -> None:
    env = {"JOBMETRICS_DB": str(four_tenants.db), "JOBMETRICS_USERS": str(users_file)}
    with serving({**env, "JOBMETRICS_SESSION_HOURS": str(SHORT_SESSION_HOURS)}) as url:
        sign_in_form(page, url)
        sign_in(page, VIEWER, PASSWORDS[VIEWER])
        signed_in(page, VIEWER)
        page.wait_for_timeout(SHORT_SESSION_HOURS * 3600 * 1000 + 1000)
        page.get_by_role("link", name="Funnel", exact=True).click()
        expect(page.get_by_text(signin.ENDED, exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        settled(page)
        assert page.locator('[data-testid="stTabs"]').count() == 0
        page.reload()  # nor does the cookie, which has expired with the session
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        settled(page)
        nothing_of_the_warehouse(page)


def headline_numbers(build: Build, tenant: str) -> set[str]:
    """A tenant's KPI values and latest MRR as the dashboard formats them."""
    kpis = build.query(f"select value, unit from marts.kpi_summary where tenant_id = '{tenant}' and value is not null")
    mrr = build.query(
        f"select mrr from marts.mrr_monthly where tenant_id = '{tenant}' and is_complete_month order by month desc"
    )
    return {format_value(value, unit) for value, unit in kpis.itertuples(index=False)} | {
        format_value(mrr.iloc[0, 0], "money")
    }


def test_a_viewer_of_one_tenant_never_sees_another(page: Page, signin_url: str, four_tenants: Build) -> None:
    edge, sample = headline_numbers(four_tenants, "edge"), headline_numbers(four_tenants, "sample")
    only_sample = {number for number in sample - edge if len(re.sub(r"\D", "", number)) >= 3}
    assert len(only_sample) >= 5, only_sample
    sign_in_form(page, f"{signin_url}/?tenant=sample")  # a link to the other tenant
    sign_in(page, VIEWER, PASSWORDS[VIEWER])
    signed_in(page, VIEWER)
    assert page.get_by_label("Company").count() == 0  # one tenant granted: no choice of company
    mrr = format_value(
        four_tenants.query(
            "select mrr from marts.mrr_monthly where tenant_id = 'edge' and is_complete_month order by month desc"
        ).iloc[0, 0],
        "money",
    )
    expect(shown_page(page).get_by_text(mrr, exact=True)).to_be_visible(timeout=60_000)
    for name in TAB_IDS:
        page.get_by_role("link", name=name, exact=True).click()
        settled(page)
        page.wait_for_timeout(500)
        shown = page.inner_text("body")
        assert not [number for number in only_sample if number in shown], name
        assert_no_error(page)

    query = "select tenant_id, count(*) as months from marts.mrr_monthly group by tenant_id"
    page.goto(f"{signin_url}/?tab=sql&tenant=sample&q={query.replace(' ', '%20')}")
    download_button = shown_page(page).get_by_role("button", name="Download CSV")
    expect(download_button).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        download_button.click()
    tenants_read = pd.read_csv(download.value.path())
    assert tenants_read["tenant_id"].tolist() == ["edge"]

    page.goto(f"{signin_url}/?tab=ask&tenant=sample")
    question = shown_page(page).get_by_role("textbox")
    expect(question).to_be_visible(timeout=60_000)
    settled(page)
    question.fill("What's our churn rate?")
    question.press("Enter")
    expect(shown_page(page).get_by_text("churned_customers / previous month's active_customers")).to_be_visible(
        timeout=60_000
    )
    shown = page.inner_text("body")
    assert not [number for number in only_sample if number in shown]


def test_an_admin_chooses_among_every_tenant(page: Page, signin_url: str) -> None:
    sign_in_form(page, signin_url)
    sign_in(page, ADMIN, PASSWORDS[ADMIN])
    signed_in(page, ADMIN)
    page.get_by_label("Company").click()
    options = page.get_by_role("option")
    expect(options).to_have_count(4, timeout=60_000)
    assert options.all_inner_texts() == ["edge", "edge-parquet", "no-subscriptions", "sample"]
    assert_no_error(page)


def test_a_viewers_report_link_with_typed_sql_reads_no_file_and_no_other_tenant(
    page: Page, signin_url: str, four_tenants: Build
) -> None:
    """The report builder's old free-text filter, as a viewer of edge: the file read, the COPY and the ATTACH of
    another tenant's file (item 1 of the security probe) are a sentence, and nothing else is shown or written."""
    edge, sample = headline_numbers(four_tenants, "edge"), headline_numbers(four_tenants, "sample")
    only_sample = {number for number in sample - edge if len(re.sub(r"\D", "", number)) >= 3}
    other = four_tenants.db.parent / "tenants" / "sample.duckdb"
    written = Path("written-by-a-viewer.csv")
    payloads = [
        "cast((select content from read_text('/etc/passwd')) as integer) = 1",
        f"1 = 1; COPY (SELECT 1) TO '{written}'; ATTACH '{other}' AS g (READ_ONLY); SELECT * FROM g.marts.mrr_monthly",
    ]
    sign_in_form(page, signin_url)
    sign_in(page, VIEWER, PASSWORDS[VIEWER])
    signed_in(page, VIEWER)
    for payload in payloads:
        link = f"{signin_url}/?tab=report&metrics=mrr&group_by=metric_time__month&where={quote(payload)}"
        page.goto(link)
        expect(shown_page(page).get_by_text("is not a dimension, an operator and values")).to_be_visible(timeout=60_000)
        settled(page)
        shown = page.inner_text("body")
        assert "root:" not in shown
        assert not [number for number in only_sample if number in shown]
        assert "where=" not in page.url
    assert not written.exists() and not (PROJECT_ROOT / written).exists()
    screenshot(page, "report-refused")


def test_a_viewers_sql_past_its_memory_is_one_sentence(page: Page, signin_url: str) -> None:
    sign_in_form(page, signin_url)
    sign_in(page, VIEWER, PASSWORDS[VIEWER])
    signed_in(page, VIEWER)
    started = time.monotonic()
    too_big = quote("select length(repeat('x', 2000000000))")
    page.goto(f"{signin_url}/?tab=sql&q={too_big}")
    expect(shown_page(page).get_by_text("Not run: the query used more than the 1,024 MB it may use")).to_be_visible(
        timeout=60_000
    )
    assert time.monotonic() - started < 20  # 20 to 40 s and 4 to 8 GB in the dashboard's own process before
    page.goto(f"{signin_url}/?tab=sql&q={quote('select no_such_column from marts.mrr_monthly')}")
    refusal = shown_page(page).get_by_text("Not run: ")
    expect(refusal).to_be_visible(timeout=60_000)
    assert "Error:" not in refusal.inner_text() and "Exception" not in refusal.inner_text()


def test_a_change_to_a_users_record_ends_their_sessions(browser: Browser, signin_url: str, users_file: Path) -> None:
    """`users remove` then `users add` with a new password: the old cookie no longer signs in, and an open
    session ends on its next click."""
    email, password = "changing@edge.example", "first password"
    add = [JOBMETRICS, "users", "--users", str(users_file), "add", email, "--tenant", "edge", "--password-stdin"]
    assert subprocess.run(add, input=password, capture_output=True, text=True, timeout=60).returncode == 0
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        open_page = context.new_page()
        sign_in_form(open_page, signin_url)
        sign_in(open_page, email, password)
        signed_in(open_page, email)
        open_page.wait_for_timeout(1100)  # the cookie's issue time is to the second
        remove = [JOBMETRICS, "users", "--users", str(users_file), "remove", email]
        assert subprocess.run(remove, capture_output=True, text=True, timeout=60).returncode == 0
        done = subprocess.run(add, input="second password", capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        ended = open_page.get_by_text(signin.ENDED, exact=True)
        funnel = open_page.get_by_role("link", name="Funnel", exact=True)
        # the next run ends the session: a click starts it, unless the sign-in cookie's own rerun came first
        expect(funnel.or_(ended)).to_be_visible(timeout=60_000)
        with contextlib.suppress(PlaywrightTimeoutError):
            funnel.click(timeout=10_000)
        expect(ended).to_be_visible(timeout=60_000)
        cookie_page = context.new_page()  # the same browser's cookie, on a new page
        sign_in_form(cookie_page, signin_url)
        nothing_of_the_warehouse(cookie_page)
    finally:
        context.close()


def test_streamlit_run_directly_without_users_shows_nothing(page: Page, four_tenants: Build, tmp_path: Path) -> None:
    """`streamlit run dashboard/app.py` with no address and no users file listens on every address: the page
    refuses to show anything (it read the unset address as 127.0.0.1 before, and showed every tenant)."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "dashboard" / "app.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=tmp_path,
        env={**os.environ, "JOBMETRICS_DB": str(four_tenants.db), "JOBMETRICS_USERS": str(tmp_path / "none.yaml")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        page.goto(f"{wait_until_serving(port, server)}/?tenant=sample", timeout=60_000)
        expect(page.get_by_text("This dashboard listens beyond this machine without sign-in")).to_be_visible(
            timeout=60_000
        )
        settled(page)
        nothing_of_the_warehouse(page)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
