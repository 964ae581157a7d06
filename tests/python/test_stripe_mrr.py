"""MRR from Stripe's tables, against the vendors' worked examples and cases worked by hand (stripe_companies.py
describes each company and where its numbers come from). One build holds the four companies as tenants."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import reference_stripe
import stripe_companies
from builds import JOBMETRICS, Build, build_from, project_parse, shared_build

from jobmetrics.alerts import letter, monitoring
from jobmetrics.ask import engine, offline
from jobmetrics.ask.catalog import load_catalog
from jobmetrics.cli import overview
from jobmetrics.kpis import signed
from jobmetrics.pipeline import contract, raw
from jobmetrics.views import report

pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def stripe_build(shared_dir: Path) -> Build:
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        raw_dir = work / "raw"
        stripe_companies.write_all(raw_dir)
        return build_from(raw_dir, work, "--vars", f"{{as_of_date: '{stripe_companies.AS_OF}'}}", parsed=parsed)

    return shared_build(shared_dir, "stripe-examples", make)


def monthly(build: Build, tenant: str) -> pd.DataFrame:
    frame = build.query(f"select * from marts.mrr_monthly where tenant_id = '{tenant}' order by month")
    return frame.set_index(frame["month"].dt.strftime("%Y-%m"))


def user_mrr(build: Build, tenant: str, month: str) -> dict[int, float]:
    frame = build.query(
        f"select user_id, mrr from marts.fct_mrr where tenant_id = '{tenant}' and month = date '{month}-01' and mrr > 0"
    )
    return dict(zip(frame["user_id"], frame["mrr"], strict=True))


def test_stripe_glossary_example_is_12500(stripe_build: Build) -> None:
    """Stripe's glossary: 100 x $100 a month + 50 x $600 a year = $12,500."""
    december = monthly(stripe_build, "stripe-glossary").loc["2025-12"]
    assert december.mrr == pytest.approx(12_500)
    assert december.active_customers == 150
    assert december.new_mrr == pytest.approx(10_000)
    assert december.reporting_currency == "USD"


def test_chartmogul_walkthrough_movements(stripe_build: Build) -> None:
    """ChartMogul: a yearly $2,000 plan for 4 seats is new MRR of $166.67; then expansion, contraction, churn
    and reactivation on the days they happen (a prorated seat change moves MRR on its day)."""
    months = monthly(stripe_build, "chartmogul")
    expected = {  # month: (mrr, new, expansion, contraction, churned, reactivation)
        "2025-01": (166.666667, 166.666667, 0, 0, 0, 0),
        "2025-02": (166.666667, 0, 0, 0, 0, 0),
        "2025-03": (186.666667, 0, 20, 0, 0, 0),
        "2025-06": (145, 0, 0, 41.666667, 0, 0),
        "2025-08": (125, 0, 0, 20, 0, 0),
        "2025-09": (0, 0, 0, 0, 125, 0),
        "2025-10": (0, 0, 0, 0, 0, 0),
        "2025-11": (100, 0, 0, 0, 0, 100),
        "2025-12": (100, 0, 0, 0, 0, 0),
    }
    for month, values in expected.items():
        row = months.loc[month]
        found = (row.mrr, row.new_mrr, row.expansion_mrr, row.contraction_mrr, row.churned_mrr, row.reactivation_mrr)
        assert found == pytest.approx(values, abs=1e-6), month
    assert months.loc["2025-09"].churned_mrr_involuntary == 0


def test_discounts_come_off_and_tax_never_counts(stripe_build: Build) -> None:
    """ProfitWell: $120 a year with 10% off is $9; $10 a month with 10% off is $9, then $10 when the coupon ends.
    Baremetrics: a 50% coupon makes $10 into $5. Tax is never MRR."""
    assert user_mrr(stripe_build, "discounts", "2025-01") == pytest.approx({1: 9, 2: 9, 3: 5, 4: 50})
    assert user_mrr(stripe_build, "discounts", "2025-04") == pytest.approx({1: 9, 2: 10, 3: 5, 4: 50})
    months = monthly(stripe_build, "discounts")
    assert months.loc["2025-04"].expansion_mrr == pytest.approx(1)
    # given up to discounts: $1 on the yearly plan, $1 on the monthly coupon (to March), $5 on the 50% coupon
    assert months.loc["2025-01"].discount_mrr == pytest.approx(7)
    assert months.loc["2025-04"].discount_mrr == pytest.approx(6)


def test_hand_worked_currencies_intervals_trials_pauses_and_failures(stripe_build: Build) -> None:
    january = user_mrr(stripe_build, "hand-worked", "2025-01")
    assert january == pytest.approx({1: 8.04, 4: 30, 5: 40, 6: 110, 7: 25})  # the trial (user 3) is never a customer
    december = user_mrr(stripe_build, "hand-worked", "2025-12")
    assert december == pytest.approx({1: 8.04, 2: 7 * 52 / 12, 4: 30, 6: 120, 7: 25}, abs=1e-6)
    assert user_mrr(stripe_build, "hand-worked", "2025-03")[7] == pytest.approx(25)  # not the $999 draft
    months = monthly(stripe_build, "hand-worked")
    assert (months.loc["2025-04"].churned_mrr, months.loc["2025-04"].churned_mrr_involuntary) == pytest.approx((40, 40))
    assert (months.loc["2025-05"].churned_mrr, months.loc["2025-05"].churned_mrr_involuntary) == pytest.approx((30, 0))
    assert months.loc["2025-06"].reactivation_mrr == pytest.approx(30)


def test_an_fx_only_month_moves_mrr_through_fx_mrr_alone(stripe_build: Build) -> None:
    """The euro customer pays €100 throughout; the rate goes from 1.10 to 1.20 on March 1."""
    march = monthly(stripe_build, "hand-worked").loc["2025-03"]
    assert march.fx_mrr == pytest.approx(10)
    assert march.mrr - march.previous_mrr == pytest.approx(10)
    movements = (march.new_mrr, march.reactivation_mrr, march.expansion_mrr, march.contraction_mrr, march.churned_mrr)
    assert movements == pytest.approx((0, 0, 0, 0, 0))
    rows = stripe_build.query(
        "select currency, mrr_in_currency, fx_rate from marts.fct_mrr "
        "where tenant_id = 'hand-worked' and user_id = 6 and month = date '2025-03-01'"
    )
    assert rows.to_dict("records") == [{"currency": "EUR", "mrr_in_currency": 100.0, "fx_rate": 1.2}]


def test_trials_are_never_mrr_and_convert_when_paid_after_they_end(stripe_build: Build) -> None:
    frame = stripe_build.query("select * from marts.trial_conversion where tenant_id = 'trials' order by trial_month")
    frame["trial_month"] = frame["trial_month"].dt.strftime("%Y-%m")
    rows = [
        tuple(row) for row in frame[["trial_month", "trials_started", "trials_converted", "all_trials_ended"]].values
    ]
    assert rows == [("2025-01", 1, 0, True), ("2025-02", 1, 1, True), ("2025-12", 1, 0, False)]
    assert list(frame["conversion_rate"]) == [0, 1, 0]
    assert user_mrr(stripe_build, "trials", "2025-01") == {}
    assert user_mrr(stripe_build, "trials", "2025-12") == pytest.approx({2: 20})


def test_the_bridge_adds_up_in_every_month_of_every_company(stripe_build: Build) -> None:
    frame = stripe_build.query("select * from marts.mrr_monthly")
    bridge = (
        frame.new_mrr
        + frame.reactivation_mrr
        + frame.expansion_mrr
        - frame.contraction_mrr
        - frame.churned_mrr
        + frame.fx_mrr
    )
    assert (frame.mrr - frame.previous_mrr - bridge).abs().max() < 1e-6
    assert stripe_build.returncode == 0, stripe_build.output[-3000:]


def test_the_gate_refuses_a_currency_without_any_rate(tmp_path: Path) -> None:
    company = stripe_companies.hand_worked()
    company.fx_rates = [rate for rate in company.fx_rates if rate[1].upper() != "JPY"]
    company.write(tmp_path / "raw")
    failures = [str(f) for f in contract.validate(raw.find_raw_files(tmp_path / "raw"), None)]
    assert failures == [
        "stripe/price.csv: currency: currencies with no rate into USD in fx_rates.csv (add their rates there): JPY",
        "stripe/invoice.csv: currency: currencies with no rate into USD in fx_rates.csv (add their rates there): JPY",
    ]


def refused(
    shared_dir: Path, name: str, change: Callable[[stripe_companies.StripeCompany], None], refusing_node: str
) -> Build:
    """The hand-worked companies changed, built as far as the node that must refuse them: it and everything it
    reads, with their tests (the rest of the project cannot change whether that node refuses)."""
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        company = stripe_companies.hand_worked()
        change(company)
        company.write(work / "raw")
        as_of = f"{{as_of_date: '{stripe_companies.AS_OF}'}}"
        return build_from(work / "raw", work, "--vars", as_of, "--select", f"+{refusing_node}", parsed=parsed)

    return shared_build(shared_dir, name, make, must_pass=False)


def test_dbt_refuses_a_day_without_a_rate_naming_currency_and_day(shared_dir: Path) -> None:
    """The euro's rate known only from June: January's snapshot cannot be converted."""

    def rates_from_june(company: stripe_companies.StripeCompany) -> None:
        company.fx_rates = [("2025-01-01", "jpy", 0.0067), ("2025-06-01", "eur", 1.2)]

    build = refused(shared_dir, "stripe-late-rate", rates_from_june, "every_billed_currency_has_a_rate")
    assert build.returncode != 0
    assert "No exchange rate into the reporting currency" in build.output
    assert "(currency=EUR first_day=2025-01-31)" in build.output, build.output[-3000:]


def test_dbt_refuses_a_user_billed_in_two_currencies(shared_dir: Path) -> None:
    """User 1 pays in yen, and through a second customer in euros."""

    def second_customer_in_euros(company: stripe_companies.StripeCompany) -> None:
        company.tables["customer"].append({"id": "cus_1_eu", "metadata": '{"user_id": 1}', "email": ""})
        subscription = company.subscription("cus_1_eu", "2025-02-01")
        company.monthly("cus_1_eu", subscription, "price_euro", 10000, ["2025-02-01", "2025-03-01"])

    build = refused(shared_dir, "stripe-two-currencies", second_customer_in_euros, "int_billing_lines")
    assert build.returncode != 0
    assert "A user is billed in more than one currency" in build.output, build.output[-3000:]
    assert "bill each user in one: (user_id=1 value_field=eur, jpy)" in build.output.lower()


def test_billing_monthly_reconciles_with_the_invoices_to_the_cent(stripe_build: Build) -> None:
    """Computed here from the invoices as written, in cents (yen whole)."""
    company = stripe_companies.hand_worked()
    expected: dict[tuple[str, str], dict[str, int]] = {}
    for invoice in company.tables["invoice"]:
        if invoice["status"] not in ("paid", "open", "uncollectible"):
            continue
        key = (str(invoice["created"])[:7], str(invoice["currency"]).upper())
        sums = expected.setdefault(key, {"invoiced": 0, "paid": 0, "uncollectible": 0, "tax": 0, "invoices": 0})
        sums["invoiced"] += int(str(invoice["total"]))
        sums[str(invoice["status"])] = sums.get(str(invoice["status"]), 0) + int(str(invoice["total"]))
        sums["tax"] += int(str(invoice["tax"]))
        sums["invoices"] += 1
    frame = stripe_build.query("select * from marts.billing_monthly where tenant_id = 'hand-worked'")
    found: dict[tuple[str, str], dict[str, int]] = {}
    for row in frame.to_dict("records"):
        cents = 1 if row["currency"] == "JPY" else 100
        found[(row["month"].strftime("%Y-%m"), row["currency"])] = {
            name: round(float(row[f"{name}_in_currency"]) * cents)
            for name in ("invoiced", "paid", "uncollectible", "tax")
        } | {"invoices": int(row["invoices"])}
    assert found == expected
    may = frame[(frame.currency == "EUR") & (frame.month.dt.month == 5)].iloc[0]
    assert may.invoiced == pytest.approx(100 * 1.2)  # €100 at May's rate
    assert (frame.reporting_currency == "USD").all()


@pytest.fixture(scope="module")
def stripe_sample(shared_dir: Path) -> Build:
    """`jobmetrics sample --stripe` at 3,000 users, built."""
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        done = subprocess.run(
            [JOBMETRICS, "sample", "--users", "3000", "--stripe", str(work / "raw")], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return build_from(work / "raw", work, "--vars", "{as_of_date: '2025-12-31'}", parsed=parsed)

    return shared_build(shared_dir, "stripe-sample", make)


def test_the_stripe_sample_matches_the_reference_implementation(stripe_sample: Build) -> None:
    """Every month's MRR, customers and movements from the Stripe-shaped sample (several currencies, seats, seat
    changes prorated mid-period, metered usage, setup fees, coupons, VAT, trials, failed and open invoices) equal
    reference_stripe.py's, computed from the files."""
    raw_dir = stripe_sample.workdir / "raw"
    first = pd.to_datetime(pd.read_csv(raw_dir / "raw_users.csv")["signup_at"]).min().date().replace(day=1)
    expected = reference_stripe.monthly(raw_dir, date(2025, 12, 31), first)
    frame = stripe_sample.query("select * from marts.mrr_monthly order by month")
    assert [month.date() for month in frame["month"]] == list(expected)
    columns = [
        "mrr",
        "active_customers",
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "churned_mrr_involuntary",
        "fx_mrr",
    ]
    for row in frame.to_dict("records"):
        wanted = expected[row["month"].date()]
        for column in columns:
            # each user's terms are rounded to 6 decimals and fx_mrr takes what they leave (docs/metrics.md)
            allowed = 2e-6 * wanted.get("paying_at_both", 0) if column == "fx_mrr" else 1e-5
            assert row[column] == pytest.approx(wanted.get(column, 0), rel=1e-9, abs=allowed), (row["month"], column)
    lines = pd.read_csv(raw_dir / "stripe" / "invoice_line_item.csv")
    prices = pd.read_csv(raw_dir / "stripe" / "price.csv").set_index("id")
    assert lines["proration"].sum() > 0 and (lines["type"] == "invoiceitem").sum() > 0  # rules 1 and 2 exercised
    assert (prices.loc[lines["price_id"], "recurring_usage_type"] == "metered").sum() > 0
    currencies = set(stripe_sample.query("select distinct currency from marts.fct_mrr")["currency"])
    assert currencies == {"USD", "EUR", "GBP", "INR"}
    assert frame["fx_mrr"].abs().sum() > 0 and frame["churned_mrr_involuntary"].sum() > 0
    assert frame["discount_mrr"].sum() > 0


def test_the_dashboard_shows_billing_trials_and_the_fx_bar(stripe_sample: Build, run_app: Any) -> None:
    """A Stripe company's overview has the billing table (the mart's rows, newest first) and an MRR bridge with the
    exchange-rates and failed-payments bars; its funnel tab has the trials."""
    app = run_app(stripe_sample.db)
    assert "Billing: invoices by month and currency (company-wide)" in [header.value for header in app.subheader]
    assert any(caption.value.startswith("Money is in USD.") for caption in app.caption)
    shown = next(frame.value for frame in app.dataframe if "invoiced" in frame.value.columns)
    billing = stripe_sample.query("select * from marts.billing_monthly order by month desc, currency")
    assert list(shown["invoiced"]) == pytest.approx(list(billing["invoiced"].round(2)))
    bridge = next(chart for chart in app.get("plotly_chart") if "Exchange rates" in chart.proto.spec)
    names = {trace.get("name") for trace in json.loads(bridge.proto.spec)["data"]}
    assert {"Exchange rates", "Churned MRR (failed payments)", "Churned MRR (cancelled)"} <= names
    funnel = run_app(stripe_sample.db, tab="funnel")
    trials = next(frame.value for frame in funnel.dataframe if "trials_started" in frame.value.columns)
    expected = stripe_sample.query("select * from marts.trial_conversion order by trial_month desc")
    assert list(trials["trials_started"]) == list(expected["trials_started"])


def test_ask_answers_fx_and_trial_questions_from_the_same_columns(stripe_sample: Build, shared_dir: Path) -> None:
    with duckdb.connect(str(stripe_sample.db), read_only=True) as con:
        catalog = load_catalog(project_parse(shared_dir).manifest)
        fx = offline.answer(con, catalog, "How much MRR did FX cost us?") or ""
        trials = offline.answer(con, catalog, "What is our trial conversion?") or ""
    year = stripe_sample.query(
        "select sum(fx_mrr) as fx from (select fx_mrr from marts.mrr_monthly order by month desc limit 12)"
    )
    assert f"Exchange rates changed MRR by {signed(year.fx.iloc[0], 'money')} over the last 12 months" in fx
    ended = stripe_sample.query(
        "select sum(trials_started) as started, sum(trials_converted) as converted from marts.trial_conversion "
        "where all_trials_ended"
    ).iloc[0]
    assert f"Of the {int(ended.started):,} trials that have ended, {int(ended.converted):,} converted" in trials


@pytest.fixture(scope="module")
def euro_company(shared_dir: Path) -> Build:
    """stripe_companies.euro_reporting, built with EUR as the reporting currency."""
    parsed = project_parse(shared_dir)

    def make(work: Path) -> Build:
        stripe_companies.euro_reporting().write(work / "raw")
        variables = f"{{as_of_date: '{stripe_companies.AS_OF}', reporting_currency: eur}}"
        return build_from(work / "raw", work, "--vars", variables, parsed=parsed, artifacts=True)

    return shared_build(shared_dir, "stripe-euro", make)


def test_a_company_reporting_in_euros_is_converted_into_euros(euro_company: Build) -> None:
    december = euro_company.query("select * from marts.mrr_monthly where month = date '2025-12-01'").iloc[0]
    assert (december.mrr, december.active_customers, december.arpu) == pytest.approx((199, 2, 99.5))
    assert december.reporting_currency == "EUR"
    dollar = euro_company.query("select * from marts.fct_mrr where user_id = 2 and month = date '2025-12-01'")
    assert (dollar.currency.iloc[0], dollar.mrr_in_currency.iloc[0], dollar.fx_rate.iloc[0]) == ("USD", 110, 0.9)


def test_every_surface_shows_money_in_the_reporting_currency(
    euro_company: Build, run_app: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """MRR €199.00 and ARPU €99.50 (worked out in stripe_companies.euro_reporting), never in dollars: the
    dashboard, `jobmetrics overview`, the board pack, the alerts, the digest and ask."""
    db = euro_company.db
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(euro_company.manifest))  # ask reads the marts' descriptions
    app = run_app(db)
    assert next(metric.value for metric in app.metric if metric.label.startswith("MRR")) == "€199.00"
    assert any(caption.value.startswith("Money is in EUR.") for caption in app.caption)
    prefixes = {
        json.loads(chart.proto.spec)["layout"].get("yaxis", {}).get("tickprefix") for chart in app.get("plotly_chart")
    }
    assert "€" in prefixes and "$" not in prefixes  # the MRR trend's and the bridge's axes
    assert overview.main(["--db", str(db)]) == 0
    printed = capsys.readouterr().out
    assert "€199.00" in printed and "€99.50" in printed
    pack = report.compose(db, "default", date(2025, 12, 1))
    axes = {json.loads(f'"{prefix}"') for prefix in re.findall(r'"tickprefix":\s*"([^"]*)"', pack)}
    assert axes == {"€"}  # the board pack's MRR trend and bridge
    with duckdb.connect(str(db), read_only=True) as con:
        alerts = monitoring.read_report(con, 7)
    mail = letter.compose("default", alerts, ["cfo@example.com"], None)
    html_mail = next(part for part in mail.walk() if part.get_content_type() == "text/html").get_content()
    asked = engine.answer(engine.Request(db=db, question="What is our MRR?")).text
    for surface, text in {
        "board pack": re.sub(r"<script.*?</script>", "", pack, flags=re.DOTALL),  # Plotly's own code has "$"
        "alerts": monitoring.format_text(alerts),
        "digest": html_mail,
        "ask": asked,
    }.items():
        assert "€" in text and "$" not in text, surface
    assert "€199.00" in pack and "€99.50" in pack and "€199.00" in asked and "€99.50" in html_mail
