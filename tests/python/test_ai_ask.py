"""`jobmetrics ask` (ai_ask.py's command) against a stub of the Messages API on 127.0.0.1, driven by the real
anthropic SDK: in the test's own process, and as ai_ask.py in a process of its own in two tests.

The stub replays scripted responses and records every request body, so the tests can assert on the
tool_result the command sent back. The warehouse is the default company's, built by dbt (conftest's default_company).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import pytest
from builds import PROJECT_ROOT, SAMPLE, Build
from helpers import Stub, error_reply, sql_call, text_reply, tool_results
from reference import Reference, compute, experiment_users, load_raw

from jobmetrics import cli
from jobmetrics.ask import engine, offline


@pytest.fixture(scope="module")
def warehouse(default_company: Build) -> Path:
    """The build's folder: its warehouse.duckdb, and target/manifest.json that ai_ask reads."""
    return default_company.workdir


@pytest.fixture(scope="module")
def reference() -> Reference:
    return compute(load_raw(SAMPLE))


def run_script(
    project: Path, *args: str, base_url: str | None = None, key: str | None = "sk-test-secret", timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    """ai_ask.py itself, in a process of its own with only the settings given."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project), "JOBMETRICS_MANIFEST": str(project / "target/manifest.json")}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "ai_ask.py"), "--db", str(project / "warehouse.duckdb"), *args],
        cwd="/",  # any folder: paths come from the project root or settings
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Asked:
    returncode: int
    stdout: str
    stderr: str


def run(project: Path, *args: str, base_url: str | None = None, key: str | None = "sk-test-secret") -> Asked:
    """`jobmetrics ask` (what ai_ask.py runs) in this process, from another folder, with no ANTHROPIC_ or
    JOBMETRICS_ setting but those given: the command's code without a new interpreter importing the SDK each time
    (ai_ask.py itself runs in test_answers_after_a_run_sql_call and test_missing_and_locked_warehouse)."""
    settings = {"JOBMETRICS_MANIFEST": str(project / "target/manifest.json")}
    if key:
        settings["ANTHROPIC_API_KEY"] = key
    if base_url:
        settings["ANTHROPIC_BASE_URL"] = base_url
    others = {name: value for name, value in os.environ.items() if not name.startswith(("ANTHROPIC_", "JOBMETRICS_"))}
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, {**others, **settings}, clear=True),
        contextlib.chdir("/"),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            code = cli.main(["ask", "--db", str(project / "warehouse.duckdb"), *args])
        except SystemExit as stopped:  # argparse's own errors
            code = int(stopped.code or 0)
    return Asked(code, out.getvalue(), err.getvalue())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_answers_after_a_run_sql_call(warehouse: Path, stub: Stub, reference: Reference) -> None:
    url, api = stub
    api.script = [
        (200, sql_call("select month, mrr from marts.mrr_monthly order by month desc limit 1")),
        (200, text_reply("MRR is $67,492.40 [Q1].")),
    ]
    done = run_script(warehouse, "What's our MRR?", base_url=url)
    assert done.returncode == 0, done.stderr
    assert len(api.requests) == 2
    result = tool_results(api.requests[1])[0]
    assert not result.get("is_error")
    december = reference.monthly.iloc[-1]
    assert result["content"].startswith("Q1: 1 rows")
    assert f"2025-12-01,{round(december['mrr'], 6)}" in result["content"]
    assert "[Q1]" in done.stdout and "Queries run" in done.stdout and "marts.mrr_monthly" in done.stdout
    first = api.requests[0]
    assert (
        first["system"][0]["cache_control"] == {"type": "ephemeral"}
        and "marts.mrr_monthly" in first["system"][0]["text"]
    )
    assert "KPIs (Dec 2025)" in first["system"][1]["text"]
    assert {tool["name"] for tool in first["tools"]} == {
        "list_marts",
        "describe_mart",
        "get_metric_definition",
        "run_sql",
    }
    assert "temperature" not in first and "top_p" not in first


HOSTILE_SQL = {
    "drop": "DROP TABLE marts.mrr_monthly",
    "insert": "insert into marts.mrr_monthly select * from marts.mrr_monthly",
    "copy": "COPY marts.dim_users TO '/tmp/leak.csv'",
    "attach": "ATTACH '/tmp/other.duckdb' AS other",
    "read_file": "select * from read_csv('/etc/passwd')",
    "two_statements": "select 1; drop table marts.mrr_monthly",
    "pragma": "PRAGMA enable_external_access",
    "set": "SET enable_external_access = true",
    "extension": "LOAD httpfs",
}


@pytest.mark.parametrize("case", HOSTILE_SQL)
def test_hostile_sql_is_refused_and_the_warehouse_is_unchanged(case: str, warehouse: Path, stub: Stub) -> None:
    url, api = stub
    db = warehouse / "warehouse.duckdb"
    before = digest(db)
    api.script = [(200, sql_call(HOSTILE_SQL[case])), (200, text_reply("I could not run that."))]
    done = run(warehouse, "Do something bad", base_url=url)
    assert done.returncode == 0, done.stderr
    result = tool_results(api.requests[1])[0]
    assert result["is_error"] is True and result["content"].startswith("Q1 refused:")
    assert digest(db) == before
    assert not Path("/tmp/leak.csv").exists()
    assert "(refused:" in done.stdout


def test_a_long_query_is_stopped(warehouse: Path, stub: Stub) -> None:
    url, api = stub
    slow = "select sum(a.range * b.range) from range(200000) as a, range(200000) as b"
    api.script = [(200, sql_call(slow)), (200, text_reply("Too slow."))]
    done = run(warehouse, "Crunch", "--sql-timeout", "1", base_url=url)
    assert done.returncode == 0, done.stderr
    assert "stopped after 1 s" in tool_results(api.requests[1])[0]["content"]


def test_tool_call_limit(warehouse: Path, stub: Stub) -> None:
    url, api = stub
    api.script = [(200, sql_call("select 1", f"toolu_{i}")) for i in range(5)]
    done = run(warehouse, "Loop forever", "--max-tool-calls", "2", base_url=url)
    assert done.returncode == 1
    assert "Stopped after 2 tool calls" in done.stdout
    assert len(api.requests) == 3  # two calls answered; the third response's call is not run
    assert [r["content"].split(":")[0] for r in tool_results(api.requests[-1])] == ["Q1", "Q2"]


def test_json_output(warehouse: Path, stub: Stub) -> None:
    url, api = stub
    api.script = [(200, sql_call("select count(*) as users from marts.dim_users")), (200, text_reply("10,000 [Q1]"))]
    done = run(warehouse, "How many users?", "--json", base_url=url)
    report = json.loads(done.stdout)
    assert report["answer"] == "10,000 [Q1]" and report["queries"][0]["sql"].startswith("select count(*)")


@pytest.mark.parametrize(
    "status, kind, code, words",
    [
        (401, "authentication_error", 6, "API key was rejected"),
        (529, "overloaded_error", 8, "overloaded"),
        (429, "rate_limit_error", 7, "rate limited"),
    ],
)
def test_api_errors_are_one_line(warehouse: Path, stub: Stub, status: int, kind: str, code: int, words: str) -> None:
    url, api = stub
    api.script = [(status, error_reply(kind))] * 3
    done = run(warehouse, "What's our MRR?", base_url=url)
    assert done.returncode == code
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "sk-test-secret" not in done.stderr + done.stdout


def test_unreachable_api(warehouse: Path) -> None:
    done = run(warehouse, "What's our MRR?", base_url="http://127.0.0.1:9")
    assert done.returncode == 9 and "cannot reach the API" in done.stderr


def test_offline_answers_use_the_marts(warehouse: Path, reference: Reference, default_company: Build) -> None:
    december = reference.monthly.iloc[-1]
    churn = run(warehouse, "What's our churn rate?", key=None)
    assert churn.returncode == 0 and "offline" in churn.stdout
    assert f"{december['customer_churn_rate']:.1%} in December 2025" in churn.stdout
    mrr = run(warehouse, "How much MRR do we have?", key=None)
    assert f"${december['mrr']:,.2f}" in mrr.stdout
    channels = run(warehouse, "Which channel should we invest in?", key=None)
    paid_search = reference.channels.set_index("acquisition_channel").loc["paid_search"]
    assert f"CAC ${paid_search['cac']:,.2f}" in channels.stdout
    experiments = run(warehouse, "Which experiment won?", key=None)
    counted = experiment_users(SAMPLE, date(2025, 12, 31)).groupby("experiment_id").size()
    onboarding = f"- onboarding_checklist ({counted['onboarding_checklist']:,} users, 2 variants): checklist raises"
    assert onboarding in experiments.stdout
    pricing = f"- pricing_page ({counted['pricing_page']:,} users, 2 variants): broken: sample-ratio mismatch"
    assert pricing in experiments.stdout
    risk = run(warehouse, "Who is most likely to churn next month, and why?", key=None)
    riskiest = default_company.query(
        "select * from marts.churn_risk order by churn_probability_30d desc, user_id limit 5"
    )
    expected_loss = default_company.query("select sum(expected_mrr_at_risk) as usd from marts.churn_risk")["usd"]
    assert risk.returncode == 0 and "offline" in risk.stdout
    top = riskiest.iloc[0]
    assert f"- customer {top['user_id']} ({top['plan_name']}, ${top['mrr']:,.2f} MRR): " in risk.stdout
    assert f"{top['churn_probability_30d']:.1%}; {top['driver_1']}; {top['driver_2']}" in risk.stdout
    assert all(f"customer {user} (" in risk.stdout for user in riskiest["user_id"])
    assert f"${expected_loss.iloc[0]:,.2f} of" in risk.stdout
    open_question = run(warehouse, "Why do people love us?", key=None)
    assert open_question.returncode == 5 and "ANTHROPIC_API_KEY" in open_question.stderr


def test_explain_every_kpi_offline(warehouse: Path, default_company: Build) -> None:
    kpis = default_company.query("select kpi, label from marts.kpi_summary")
    for kpi in kpis["kpi"]:
        done = run(warehouse, "--explain", kpi, key=None)
        assert done.returncode == 0, (kpi, done.stderr)
        assert (
            "In plain words:" in done.stdout and "How it is calculated:" in done.stdout and "Benchmark:" in done.stdout
        )
    unknown = run(warehouse, "--explain", "happiness", key=None)
    assert unknown.returncode == 2 and "unknown metric" in unknown.stderr


def test_missing_and_locked_warehouse(warehouse: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(warehouse / "target", project / "target")
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "ai_ask.py"), "--db", str(tmp_path / "none.duckdb"), "What's our MRR?"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin", "JOBMETRICS_MANIFEST": str(project / "target/manifest.json")},
    )
    assert done.returncode == 3 and "make build" in done.stderr
    db = tmp_path / "locked.duckdb"
    shutil.copy(warehouse / "warehouse.duckdb", db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        locked = subprocess.run(
            [sys.executable, str(PROJECT_ROOT / "ai_ask.py"), "--db", str(db), "--explain", "arpu"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin", "JOBMETRICS_MANIFEST": str(project / "target/manifest.json")},
        )
        assert locked.returncode == 4 and "locked" in locked.stderr
    finally:
        holder.kill()


def test_a_bug_in_the_offline_answers_is_not_an_unknown_metric(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the error raised for an unknown metric becomes exit 2; a KeyError from a bug propagates."""
    monkeypatch.setenv("JOBMETRICS_MANIFEST", str(warehouse / "target/manifest.json"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    request = engine.Request(db=warehouse / "warehouse.duckdb", explain="happiness")
    with pytest.raises(engine.AskFailed) as unknown:
        engine.answer(request)
    assert unknown.value.code == engine.EXIT_USAGE and "unknown metric" in str(unknown.value)

    def buggy(*args: object) -> str:
        raise KeyError("value")

    monkeypatch.setattr(offline, "explain", buggy)
    with pytest.raises(KeyError):
        engine.answer(engine.Request(db=request.db, explain="arpu"))
