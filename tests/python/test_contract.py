"""The raw-data contract is declared once (models/staging/_sources.yml) and both doors apply it alike: for
every declared rule, the same broken row is refused by the gate (files, JOBMETRICS_RAW_DIR) and by dbt's
tests on the raw source (tables another tool loaded, JOBMETRICS_RAW_SCHEMA), each naming the column."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from builds import COMPANIES, Build, dbt_build, shared_build

from jobmetrics.pipeline import contract, raw

EDGE = COMPANIES / "edge_company"
TIME = "2025-03-01 10:00:00"
PERIOD = "2025-03-01 00:00:00,2025-04-01 00:00:00"
# an invoice line ({} = its id and its invoice's), in Fivetran's columns
LINE = "{},{},1000,usd,1," + PERIOD + ",false,price_a,,sub_1,si_1,subscription"
# A company billed through Stripe, valid: the broken rows above come after these rows.
STRIPE = {
    "customer": 'id,metadata,email\ncus_1,"{""user_id"": ""1""}",one@example.com\n'
    'cus_2,"{""user_id"": 2}",two@example.com',
    "subscription": f"id,customer_id,status,start_date,ended_at,trial_start,trial_end,cancel_at_period_end\n"
    f"sub_1,cus_1,active,{TIME},,,,false",
    "subscription_item": "id,subscription_id,quantity\nsi_1,sub_1,1",
    "price": "id,currency,unit_amount,recurring_interval,recurring_interval_count,recurring_usage_type\n"
    "price_a,usd,1000,month,1,licensed",
    "invoice": f"id,customer_id,status,currency,subtotal,tax,total,created\nin_1,cus_1,paid,usd,1000,0,1000,{TIME}",
    "invoice_line_item": "id,invoice_id,amount,currency,quantity,period_start,period_end,proration,price_id,plan_id,"
    "subscription_id,subscription_item_id,type\n" + LINE.format("il_1", "in_1"),
    "fx_rates": "date,currency,rate\n2025-01-01,eur,1.1",
}
# the columns a file may leave out, given to the edge company's files in the broken folder: (name, value)
LEFT_OUT = {
    "raw_plans": ("currency", "usd"),
    "raw_subscriptions": ("quantity", "1"),
    "raw_marketing_spend": ("currency", "usd"),
}

# (table, the rule's flag: column__test) -> a CSV line that breaks that rule and no other
BROKEN_ROWS = {
    ("raw_users", "user_id__not_null_columns"): f",{TIME},referral,career_changer,US",
    ("raw_users", "user_id__unique_within_tenant"): f"1,{TIME},referral,career_changer,US",
    ("raw_users", "signup_at__not_null_columns"): "901,,referral,career_changer,US",
    ("raw_users", "acquisition_channel__not_null_columns"): f"902,{TIME},,career_changer,US",
    ("raw_users", "acquisition_channel__in_reference_list"): f"903,{TIME},podcast,career_changer,US",
    ("raw_users", "segment__not_null_columns"): f"904,{TIME},referral,,US",
    ("raw_users", "segment__in_reference_list"): f"905,{TIME},referral,student,US",
    ("raw_users", "country__not_null_columns"): f"906,{TIME},referral,career_changer,",
    ("raw_users", "country__matches_pattern"): f"907,{TIME},referral,career_changer,1x",
    ("raw_users", "signup_at__plausible_timestamp"): "908,9999-12-31 00:00:00,referral,career_changer,US",
    ("raw_plans", "plan_id__not_null_columns"): ",Nameless,1,10.00",
    ("raw_plans", "plan_id__unique_within_tenant"): "basic,Basic again,1,30.00",
    ("raw_plans", "billing_interval_months__not_null_columns"): "gold,Gold,,10.00",
    ("raw_plans", "billing_interval_months__one_of"): "silver,Silver,2,10.00",
    ("raw_plans", "price_usd__not_null_columns"): "bronze,Bronze,1,",
    ("raw_plans", "price_usd__accepted_range"): "tin,Tin,1,0",
    ("raw_plans", "price_usd__finite"): "lead,Lead,1,inf",
    (
        "raw_subscriptions",
        "ended_at__expression_is_true",
    ): "92,1,basic,2025-03-05 10:00:00,2025-03-01 10:00:00,cancelled",
    ("raw_subscriptions", "end_reason__expression_is_true"): "93,1,basic,2025-03-05 10:00:00,,cancelled",
    ("raw_subscriptions", "subscription_id__not_null_columns"): f",1,basic,{TIME},,",
    ("raw_subscriptions", "subscription_id__unique_within_tenant"): f"11,1,basic,{TIME},,",
    ("raw_subscriptions", "user_id__not_null_columns"): f"94,,basic,{TIME},,",
    ("raw_subscriptions", "user_id__relationships_within_tenant"): f"95,999,basic,{TIME},,",
    ("raw_subscriptions", "plan_id__not_null_columns"): f"96,1,,{TIME},,",
    ("raw_subscriptions", "plan_id__relationships_within_tenant"): f"97,1,platinum,{TIME},,",
    ("raw_subscriptions", "started_at__not_null_columns"): "98,1,basic,,,",
    ("raw_subscriptions", "end_reason__one_of"): f"99,1,basic,{TIME},2025-03-02 10:00:00,refunded",
    ("raw_subscriptions", "started_at__plausible_timestamp"): "88,1,basic,1999-12-31 10:00:00,,",
    ("raw_subscriptions", "ended_at__plausible_timestamp"): f"89,1,basic,{TIME},9999-12-31 00:00:00,cancelled",
    ("raw_scans", "scan_id__not_null_columns"): f",1,{TIME},201,50",
    ("raw_scans", "scan_id__unique_within_tenant"): f"1,1,{TIME},201,50",
    ("raw_scans", "user_id__not_null_columns"): f"61,,{TIME},201,50",
    ("raw_scans", "user_id__relationships_within_tenant"): f"62,999,{TIME},201,50",
    ("raw_scans", "scanned_at__not_null_columns"): "63,1,,201,50",
    ("raw_scans", "job_id__not_null_columns"): f"64,1,{TIME},,50",
    ("raw_scans", "match_rate__not_null_columns"): f"65,1,{TIME},201,",
    ("raw_scans", "match_rate__accepted_range"): f"66,1,{TIME},201,140",
    ("raw_scans", "match_rate__finite"): f"67,1,{TIME},201,nan",
    ("raw_scans", "scanned_at__plausible_timestamp"): "68,1,9999-12-31 00:00:00,201,50",
    # paid_search is spent on 2025-01-01 already: the same channel in other case is the same channel
    ("raw_marketing_spend", "spend_date, channel__unique_combination_within_tenant"): "2025-01-01,Paid_Search,5.00",
    ("raw_marketing_spend", "spend_date__not_null_columns"): ",paid_search,5.00",
    ("raw_marketing_spend", "channel__not_null_columns"): "2025-03-03,,5.00",
    ("raw_marketing_spend", "channel__in_reference_list"): "2025-03-04,tv,5.00",
    ("raw_marketing_spend", "spend_usd__not_null_columns"): "2025-03-05,paid_search,",
    ("raw_marketing_spend", "spend_usd__accepted_range"): "2025-03-06,paid_search,-1",
    ("raw_marketing_spend", "spend_usd__finite"): "2025-03-07,paid_search,inf",
    ("raw_marketing_spend", "spend_date__plausible_timestamp"): "1999-01-01,paid_search,5.00",
    # onboarding's control and treatment are in EXPERIMENTS below
    ("raw_experiments", "experiment_id__not_null_columns"): ",solo,true,1",
    ("raw_experiments", "variant__not_null_columns"): "pricing,,true,1",
    ("raw_experiments", "is_control__not_null_columns"): "onboarding,extra,,1",
    ("raw_experiments", "weight__not_null_columns"): "onboarding,heavy,false,",
    ("raw_experiments", "weight__accepted_range"): "onboarding,unseen,false,0",
    ("raw_experiments", "weight__finite"): "onboarding,infinite,false,inf",
    ("raw_experiments", "experiment_id, variant__unique_combination_within_tenant"): "onboarding, Treatment ,false,1",
    ("raw_experiments", "is_control__one_per_group_within_tenant"): "tips,a,true,1\ntips,b,true,1",
    ("raw_experiment_assignments", "experiment_id__not_null_columns"): f",1,control,{TIME}",
    ("raw_experiment_assignments", "user_id__not_null_columns"): f"onboarding,,control,{TIME}",
    ("raw_experiment_assignments", "user_id__relationships_within_tenant"): f"onboarding,999,control,{TIME}",
    ("raw_experiment_assignments", "variant__not_null_columns"): f"onboarding,1,,{TIME}",
    ("raw_experiment_assignments", "assigned_at__not_null_columns"): "onboarding,1,control,",
    ("raw_experiment_assignments", "assigned_at__plausible_timestamp"): "onboarding,1,control,1999-01-01 00:00:00",
    ("raw_experiment_assignments", "variant__relationships_combination_within_tenant"): f"onboarding,1,purple,{TIME}",
    # the columns a file may leave out: the broken folder gives the edge company's files these columns
    ("raw_plans", "currency__matches_pattern"): "copper,Copper,1,10.00,dollars",
    ("raw_subscriptions", "quantity__accepted_range"): f"87,1,basic,{TIME},,,0",
    ("raw_marketing_spend", "currency__matches_pattern"): "2025-03-08,paid_search,5.00,us dollars",
    # Stripe's tables and the rates: a company billed through Stripe (STRIPE below), whose users are the edge's
    ("fx_rates", "date, currency__unique_combination_within_tenant"): "2025-01-01,EUR,1.2",
    ("fx_rates", "date__not_null_columns"): ",eur,1.1",
    ("fx_rates", "date__plausible_timestamp"): "1999-01-01,eur,1.1",
    ("fx_rates", "currency__not_null_columns"): "2025-02-01,,1.1",
    ("fx_rates", "currency__matches_pattern"): "2025-02-02,euro,1.1",
    ("fx_rates", "rate__not_null_columns"): "2025-02-03,eur,",
    ("fx_rates", "rate__finite"): "2025-02-04,eur,inf",
    ("fx_rates", "rate__accepted_range"): "2025-02-05,eur,0",
    ("customer", "id__not_null_columns"): ',"{""user_id"": ""2""}",a@example.com',
    ("customer", "id__unique_within_tenant"): 'cus_1,"{""user_id"": ""2""}",b@example.com',
    ("customer", "metadata__json_key_in_within_tenant"): 'cus_9,"{""user_id"": ""999""}",c@example.com',
    ("subscription", "id__not_null_columns"): f",cus_1,active,{TIME},,,,false",
    ("subscription", "id__unique_within_tenant"): f"sub_1,cus_1,active,{TIME},,,,false",
    ("subscription", "customer_id__not_null_columns"): f"sub_n1,,active,{TIME},,,,false",
    ("subscription", "customer_id__relationships_within_tenant"): f"sub_n2,cus_404,active,{TIME},,,,false",
    ("subscription", "status__not_null_columns"): f"sub_n3,cus_1,,{TIME},,,,false",
    ("subscription", "start_date__not_null_columns"): "sub_n4,cus_1,active,,,,,false",
    ("subscription", "start_date__plausible_timestamp"): "sub_n5,cus_1,active,1999-01-01 00:00:00,,,,false",
    ("subscription", "ended_at__plausible_timestamp"): f"sub_n6,cus_1,canceled,{TIME},9999-12-31 00:00:00,,,false",
    ("subscription", "trial_start__plausible_timestamp"): f"sub_n7,cus_1,active,{TIME},,1999-01-01 00:00:00,,false",
    ("subscription", "trial_end__plausible_timestamp"): f"sub_n8,cus_1,active,{TIME},,,9999-12-31 00:00:00,false",
    ("subscription_item", "id__not_null_columns"): ",sub_1,1",
    ("subscription_item", "id__unique_within_tenant"): "si_1,sub_1,1",
    ("subscription_item", "subscription_id__not_null_columns"): "si_n1,,1",
    ("subscription_item", "subscription_id__relationships_within_tenant"): "si_n2,sub_404,1",
    ("subscription_item", "quantity__accepted_range"): "si_n3,sub_1,-1",
    ("price", "id__not_null_columns"): ",usd,1000,month,1,licensed",
    ("price", "id__unique_within_tenant"): "price_a,usd,1000,month,1,licensed",
    ("price", "currency__not_null_columns"): "price_n1,,1000,month,1,licensed",
    ("price", "currency__matches_pattern"): "price_n2,dollars,1000,month,1,licensed",
    ("price", "unit_amount__accepted_range"): "price_n3,usd,-5,month,1,licensed",
    ("price", "recurring_interval__one_of"): "price_n4,usd,1000,fortnight,1,licensed",
    ("price", "recurring_interval_count__accepted_range"): "price_n5,usd,1000,month,0,licensed",
    ("price", "recurring_usage_type__one_of"): "price_n6,usd,1000,month,1,tiered",
    ("invoice", "id__not_null_columns"): f",cus_1,paid,usd,1000,0,1000,{TIME}",
    ("invoice", "id__unique_within_tenant"): f"in_1,cus_1,paid,usd,1000,0,1000,{TIME}",
    ("invoice", "customer_id__not_null_columns"): f"in_n1,,paid,usd,1000,0,1000,{TIME}",
    ("invoice", "customer_id__relationships_within_tenant"): f"in_n2,cus_404,paid,usd,1000,0,1000,{TIME}",
    ("invoice", "status__not_null_columns"): f"in_n3,cus_1,,usd,1000,0,1000,{TIME}",
    ("invoice", "status__one_of"): f"in_n4,cus_1,refunded,usd,1000,0,1000,{TIME}",
    ("invoice", "currency__not_null_columns"): f"in_n5,cus_1,paid,,1000,0,1000,{TIME}",
    ("invoice", "currency__matches_pattern"): f"in_n6,cus_2,paid,us$,1000,0,1000,{TIME}",
    ("invoice", "currency__one_value_per_group_within_tenant"): f"in_n7,cus_1,paid,eur,1000,0,1000,{TIME}",
    ("invoice", "subtotal__not_null_columns"): f"in_n8,cus_1,paid,usd,,0,1000,{TIME}",
    ("invoice", "total__not_null_columns"): f"in_n9,cus_1,paid,usd,1000,0,,{TIME}",
    ("invoice", "created__not_null_columns"): "in_n10,cus_1,paid,usd,1000,0,1000,",
    ("invoice", "created__plausible_timestamp"): "in_n11,cus_1,paid,usd,1000,0,1000,9999-12-31 00:00:00",
    ("invoice_line_item", "invoice_id, id__unique_combination_within_tenant"): LINE.format("il_1", "in_1"),
    ("invoice_line_item", "price_id__expression_is_true"): LINE.format("il_n1", "in_1").replace("price_a", ""),
    ("invoice_line_item", "period_end__expression_is_true"): LINE.format("il_n2", "in_1").replace(
        PERIOD, "2025-04-01 00:00:00,2025-03-01 00:00:00"
    ),
    ("invoice_line_item", "id__not_null_columns"): LINE.format("", "in_1"),
    ("invoice_line_item", "invoice_id__not_null_columns"): LINE.format("il_n3", ""),
    ("invoice_line_item", "invoice_id__relationships_within_tenant"): LINE.format("il_n4", "in_404"),
    ("invoice_line_item", "amount__not_null_columns"): LINE.format("il_n5", "in_1").replace(",1000,", ",,"),
    ("invoice_line_item", "currency__not_null_columns"): LINE.format("il_n6", "in_1").replace(",usd,", ",,"),
    ("invoice_line_item", "quantity__accepted_range"): LINE.format("il_n7", "in_1").replace(",usd,1,", ",usd,-1,"),
    ("invoice_line_item", "period_start__not_null_columns"): LINE.format("il_n8", "in_1").replace(
        PERIOD, ",2025-04-01"
    ),
    ("invoice_line_item", "period_start__plausible_timestamp"): LINE.format("il_n9", "in_1").replace(
        PERIOD, "1999-01-01 00:00:00,2025-04-01 00:00:00"
    ),
    ("invoice_line_item", "period_end__not_null_columns"): LINE.format("il_n10", "in_1").replace(PERIOD, "2025-03-01,"),
    ("invoice_line_item", "period_end__plausible_timestamp"): LINE.format("il_n11", "in_1").replace(
        PERIOD, "2025-03-01 00:00:00,9999-12-31 00:00:00"
    ),  # a period may end up to five years ahead, not ever
    ("invoice_line_item", "price_id__relationships_within_tenant"): LINE.format("il_n12", "in_1").replace(
        "price_a", "price_404"
    ),
    ("invoice_line_item", "plan_id__relationships_within_tenant"): LINE.format("il_n13", "in_1").replace(
        "price_a,", ",plan_404"
    ),
    ("invoice_line_item", "subscription_id__relationships_within_tenant"): LINE.format("il_n14", "in_1").replace(
        "sub_1", "sub_404"
    ),
    ("invoice_line_item", "type__not_null_columns"): LINE.format("il_n15", "in_1").removesuffix("subscription"),
    ("invoice_line_item", "type__one_of"): LINE.format("il_n16", "in_1").replace(",subscription", ",tax"),
}
# The edge company runs no experiments: the broken rows above come after these valid ones.
EXPERIMENTS = {
    "raw_experiments": (
        "experiment_id,variant,is_control,weight\nonboarding,control,true,1\nonboarding,treatment,false,1"
    ),
    "raw_experiment_assignments": f"experiment_id,user_id,variant,assigned_at\nonboarding,1,treatment,{TIME}",
}
# what both doors say of a broken rule, by the test's name (the words are macros/raw_contract.sql's); the gate
# says of a value missing from a reference list which file to add it to
WORDS = {
    "not_null_columns": "empty values",
    "unique_within_tenant": "duplicate values",
    "relationships_within_tenant": "values with no match in",
    "in_reference_list": "values with no match in",
    "one_of": "values outside",
    "accepted_range": "values outside",
    "finite": "values that are not finite numbers",
    "plausible_timestamp": "dates before 2000-01-01 or more than",
    "matches_pattern": "values that are not",
    "json_key_in_within_tenant": "values whose key user_id names no user_id",
    "one_value_per_group_within_tenant": "groups with more than one value",
    "expression_is_true": "rows breaking",
    "unique_combination_within_tenant": "duplicate combinations",
    "one_per_group_within_tenant": "not one control per experiment",
    "relationships_combination_within_tenant": (
        "combinations of experiment_id, lower(trim(variant)) with no match in raw_experiments"
    ),
}
GATE_WORDS = WORDS | {"in_reference_list": "is not in seeds/"}
# each rule once: a table's non-empty columns are one dbt test, and each column's rule is proven on its own
DECLARED = [rule for tests in raw.declared_tests().values() for test in tests for rule in test.per_column()]


def test_every_number_must_be_finite_and_every_date_plausible() -> None:
    """NaN, infinity and dates like 9999-12-31 are refused in every column that can hold them, by both doors."""
    for table, columns in raw.contract().items():
        declared = {test.flag for test in raw.declared_tests()[table]}
        for column, kind in columns.items():
            if kind == "double":
                assert f"{column}__finite" in declared, (table, column)
            if kind in ("timestamp", "date"):
                assert f"{column}__plausible_timestamp" in declared, (table, column)


def test_every_declared_rule_has_a_broken_row() -> None:
    assert {(test.table, test.flag) for test in DECLARED} == set(BROKEN_ROWS)
    assert {test.name for test in DECLARED} <= set(WORDS)


def broken_folder(folder: Path) -> Path:
    """The edge company with every broken row of its own tables (billed in the project's format), and beside it,
    in stripe/, the same users billed through Stripe with the broken rows of Stripe's tables and the rates."""
    shutil.copytree(EDGE, folder)
    for table, (column, value) in LEFT_OUT.items():
        lines = (folder / f"{table}.csv").read_text().splitlines()
        (folder / f"{table}.csv").write_text(
            "\n".join([f"{lines[0]},{column}"] + [f"{line},{value}" for line in lines[1:]]) + "\n"
        )
    for table, text in EXPERIMENTS.items():
        (folder / f"{table}.csv").write_text(text + "\n")
    stripe_company = folder / "stripe"
    stripe_company.mkdir()
    for name in ("raw_users", "raw_scans", "raw_marketing_spend"):
        shutil.copy(EDGE / f"{name}.csv", stripe_company / f"{name}.csv")
    (stripe_company / "stripe").mkdir()
    for table, text in STRIPE.items():
        (stripe_company / f"{raw.TABLES[table].stem}.csv").write_text(text + "\n")
    for (table, flag), line in BROKEN_ROWS.items():
        in_stripe_company = table in STRIPE
        target = (stripe_company if in_stripe_company else folder) / f"{raw.TABLES[table].stem}.csv"
        column, value = LEFT_OUT.get(table, ("", ""))
        completed = line if not column or flag.startswith(column) else f"{line},{value}"
        with target.open("a") as handle:
            handle.write(completed + "\n")
    return folder


@pytest.fixture(scope="module")
def gate_report(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = broken_folder(tmp_path_factory.mktemp("contract") / "raw")
    own = contract.validate(raw.find_raw_files(folder), None)
    stripe_billing = contract.validate(raw.find_raw_files(folder / "stripe"), None)
    return [str(failure) for failure in own + stripe_billing]


@pytest.mark.parametrize("test", DECLARED, ids=lambda test: f"{test.table}.{test.flag}")
def test_the_gate_refuses_the_broken_row(test: raw.DeclaredTest, gate_report: list[str]) -> None:
    expected = f"{raw.TABLES[test.table].stem}.csv: {test.column}: "
    lines = [line for line in gate_report if line.startswith(expected) and GATE_WORDS[test.name] in line]
    assert lines, f"{expected}... {GATE_WORDS[test.name]} not in:\n" + "\n".join(gate_report)


@pytest.fixture(scope="module")
def tables_build(edge_company: Build, shared_dir: Path) -> Build:
    """The same broken rows as tables another tool loaded (types guessed by DuckDB), tested by dbt."""

    def make(workdir: Path) -> Build:
        folder = broken_folder(workdir / "raw")
        shutil.copy(edge_company.db, workdir / edge_company.db.name)
        with duckdb.connect(str(workdir / edge_company.db.name)) as con:
            con.execute("create schema their_raw")
            con.execute("create schema their_stripe")
            for table in raw.RAW_TABLES + raw.OPTIONAL_TABLES:
                in_stripe_company = table in STRIPE
                path = (folder / "stripe" if in_stripe_company else folder) / f"{raw.TABLES[table].stem}.csv"
                schema = "their_stripe" if raw.TABLES[table].source == "stripe" else "their_raw"
                con.read_csv(str(path)).create(f"{schema}.{table}")
        return dbt_build(
            workdir,
            "--select",
            "source:raw",
            "source:stripe",
            parsed=edge_company,
            env={"JOBMETRICS_RAW_SCHEMA": "their_raw", "JOBMETRICS_STRIPE_SCHEMA": "their_stripe"},
            command="test",
        )

    return shared_build(shared_dir, "contract_tables", make, must_pass=False)


@pytest.mark.parametrize("test", DECLARED, ids=lambda test: f"{test.table}.{test.flag}")
def test_dbt_refuses_the_broken_row(test: raw.DeclaredTest, tables_build: Build) -> None:
    assert tables_build.returncode != 0
    expected = f"Raw data contract broken: {test.table}.{test.column} has {WORDS[test.name]}"
    assert expected in tables_build.output, f"{expected!r} not in:\n{tables_build.output[-6000:]}"


def test_the_gate_stops_at_a_rule_it_cannot_apply(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A test added to _sources.yml that the gate does not know stops the gate instead of passing one door."""
    unknown = raw.DeclaredTest("raw_users", "dbt_utils_at_least_one", "country", {}, ("country",))
    declared = {table: list(tests) for table, tests in raw.declared_tests().items()}
    declared["raw_users"].append(unknown)
    monkeypatch.setattr(contract, "declared_tests", lambda: declared)
    with pytest.raises(contract.ContractUnknown, match="dbt_utils_at_least_one"):
        contract.validate(raw.find_raw_files(EDGE), None)


def test_every_declared_rule_is_a_test_dbt_runs(edge_company: Build) -> None:
    """dbt drops a test whose references it cannot resolve with a warning only; every rule must be a test."""
    manifest = json.loads(edge_company.manifest.read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    on_raw = {
        (
            re.search(r"source\('\w+', '(\w+)'\)", node["test_metadata"]["kwargs"]["model"]).group(1),  # type: ignore[union-attr]
            node["test_metadata"]["name"],
            node["column_name"] or node["config"]["meta"].get("column") or "",
        )
        for node in tests
        if node.get("test_metadata") and any(source[0] in raw.CONTRACT_SOURCES for source in node["sources"])
    }
    declared = {(test.table, test.name, test.column) for tests in raw.declared_tests().values() for test in tests}
    assert declared <= on_raw
    assert "depends on a node named" not in edge_company.output
