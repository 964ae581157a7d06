"""Faults that used to publish wrong numbers, lose a build or end in a traceback (docs/reliability.md lists each
with what it leaves behind): NaN and impossible dates, a company with no scans, a tenant file that cannot be
replaced, and the one-line refusals (a repeated column, a reference list that is not UTF-8, a warehouse path that
is a folder, a recipient with a line break, a board pack written where it cannot be)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from builds import COMPANIES

from jobmetrics import paths
from jobmetrics.cli import alerts
from jobmetrics.cli import build as build_cli
from jobmetrics.cli import report as report_cli
from jobmetrics.pipeline import build, publishing

pytestmark = pytest.mark.build

EDGE = COMPANIES / "edge_company"
IS_ROOT = os.geteuid() == 0
ONE_MODEL = ["--", "--select", "int_reporting_period"]
MODELS_ONLY = ["--", "--exclude", "resource_type:test", "resource_type:unit_test"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def own_dbt_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))


def build_here(raw_dir: Path, db: Path, capsys: pytest.CaptureFixture[str], *dbt_args: str) -> tuple[int, str]:
    code = build_cli.main(["--raw-dir", str(raw_dir), "--db", str(db), *dbt_args])
    return code, capsys.readouterr().err


def company(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    shutil.copytree(EDGE, folder)
    return folder


def as_parquet(folder: Path, table: str, select: str) -> None:
    """Replace a CSV by a Parquet file of `select` over it (the CSV's text cast as the query says)."""
    with duckdb.connect() as con:
        source = con.read_csv(str(folder / f"{table}.csv"), header=True, all_varchar=True)
        source.create_view("source")
        con.execute(f"copy ({select}) to '{folder / f'{table}.parquet'}' (format parquet)")
    (folder / f"{table}.csv").unlink()


@pytest.mark.parametrize(("spend", "shown"), [("'NaN'", "nan"), ("'Infinity'", "inf"), ("'-Infinity'", "-inf")])
def test_nan_or_infinity_in_a_parquet_number_is_refused_by_name(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], spend: str, shown: str
) -> None:
    folder = company(tmp_path)
    as_parquet(
        folder,
        "raw_marketing_spend",
        "select cast(spend_date as date) as spend_date, channel, "
        f"case when row_number() over () = 2 then cast({spend} as double) else cast(spend_usd as double) end "
        "as spend_usd from source",
    )
    before = digest(published)
    code, err = build_here(folder, published, capsys)
    assert code == build.EXIT_RAW_BROKEN, err
    assert "raw_marketing_spend.parquet: spend_usd: values that are not finite numbers (NaN or infinity)" in err
    assert shown in err and "(1 found)" in err
    assert digest(published) == before


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [("raw_scans", "scanned_at", "9999-12-31 00:00:00"), ("raw_users", "signup_at", "1970-01-01 00:00:00")],
)
def test_an_impossible_date_is_refused_by_name(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], table: str, column: str, value: str
) -> None:
    folder = company(tmp_path)
    path = folder / f"{table}.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index(column)] = value
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    before = digest(published)
    code, err = build_here(folder, published, capsys)
    assert code == build.EXIT_RAW_BROKEN, err
    expected = f"{table}.csv: {column}: dates before 2000-01-01 or more than 2 days after the build: '{value}'"
    assert expected in err, err
    assert digest(published) == before


def test_a_value_of_the_wrong_type_stops_the_build_before_anything_is_loaded(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A format failure is judged whole (GX's verdict and the offending text) before the load, not beside it."""
    folder = company(tmp_path)
    scans = folder / "raw_scans.csv"
    lines = scans.read_text().splitlines()
    scans.write_text("\n".join([*lines, "9001,1,2025-02-30 14:30:00,201,50"]) + "\n")

    def load_raw(*args: object) -> None:
        raise AssertionError("the build loaded files the gate had refused")

    monkeypatch.setattr(build, "load_raw", load_raw)
    before = digest(published)
    code, err = build_here(folder, published, capsys)
    assert code == build.EXIT_RAW_BROKEN, err
    expected = "raw_scans.csv: scanned_at: values that are not timestamps as YYYY-MM-DD HH:MM:SS: '2025-02-30 14:30:00'"
    assert expected in err, err
    assert digest(published) == before


@pytest.mark.usefixtures("saved_parse")
def test_great_expectations_run_beside_dbt_still_decides_what_is_published(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """When DuckDB finds every value readable, GX validates the outcomes and writes its Data Docs while the build
    goes on; the build publishes only after it has, and nothing when it fails."""
    from jobmetrics.pipeline import format_expectations

    code, err = build_here(EDGE, published, capsys, *ONE_MODEL)
    assert code == 0, err
    assert (
        tmp_path / "target" / "validate_raw" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    ).exists()

    def broken(*args: object) -> list[str]:
        raise RuntimeError("GX could not validate")

    monkeypatch.setattr(format_expectations, "failed_flags", broken)
    before = digest(published)
    with pytest.raises(RuntimeError, match="GX could not validate"):
        build_here(EDGE, published, capsys, *ONE_MODEL)
    assert digest(published) == before
    assert not published.with_name(published.name + ".building").exists()


@pytest.mark.usefixtures("saved_parse")
def test_a_company_with_no_scans_builds_with_empty_product_marts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = company(tmp_path)
    (folder / "raw_scans.csv").write_text((EDGE / "raw_scans.csv").read_text().splitlines()[0] + "\n")
    db = tmp_path / "warehouse" / "jobmetrics.duckdb"
    code, err = build_here(folder, db, capsys, *MODELS_ONLY)
    assert code == 0, err
    with duckdb.connect(str(db), read_only=True) as con:
        for mart in ("fct_scans", "match_rate_lift", "user_activity_monthly", "match_rate_by_iteration"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone() == (0,), mart
        assert con.execute("select sum(scans), sum(signups) > 0 from marts.scans_daily").fetchone() == (0, True)
        assert con.execute("select count(*) from marts.mrr_monthly").fetchone()[0] > 0  # type: ignore[index]
    # and again, as the incremental event marts' next build (their post-hook remembers an empty table)
    code, err = build_here(folder, db, capsys, *MODELS_ONLY)
    assert code == 0, err


@pytest.mark.usefixtures("saved_parse")
def test_a_tenant_file_that_cannot_be_replaced_publishes_nothing(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not IS_ROOT:
        pytest.skip("an immutable file needs chattr +i, which only root can set (CI runs as root)")
    code, err = build_here(EDGE, published, capsys, *ONE_MODEL)
    assert code == 0, err
    folder = published.parent
    tenant_file = folder / "tenants" / "default.duckdb"
    before = {path.name: digest(path) for path in [*folder.glob("*.duckdb"), *folder.glob("*.json")]}
    before |= {f"tenants/{path.name}": digest(path) for path in (folder / "tenants").iterdir()}
    subprocess.run(["chattr", "+i", str(tenant_file)], check=True)
    try:
        code, err = build_here(EDGE, published, capsys, *ONE_MODEL)
    finally:
        subprocess.run(["chattr", "-i", str(tenant_file)], check=True)
    assert code == build.EXIT_CANNOT_WRITE, err
    assert f"cannot replace {tenant_file}" in err and "nothing was published" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    after = {path.name: digest(path) for path in [*folder.glob("*.duckdb"), *folder.glob("*.json")]}
    after |= {f"tenants/{path.name}": digest(path) for path in (folder / "tenants").iterdir()}
    assert after == before  # the shared file, its manifests, every tenant's file: as they were, nothing left over


def test_replace_all_puts_back_what_it_replaced(tmp_path: Path) -> None:
    finals = [tmp_path / f"{name}.duckdb" for name in "abc"]
    for final in finals[:2]:
        final.write_text(f"old {final.stem}")
    staged = [final.with_name(final.name + ".new") for final in finals]
    for path in staged:
        path.write_text(f"new {path.stem}")
    replacements = [publishing.Replacement(s, f) for s, f in zip(staged, finals, strict=True)]
    (tmp_path / "c.duckdb").mkdir()  # a folder where a file should be: the last rename fails
    (tmp_path / "c.duckdb" / "inside").write_text("x")
    with pytest.raises(publishing.NotPublished, match=r"cannot replace .*c\.duckdb"):
        publishing.replace_all(replacements)
    assert [final.read_text() for final in finals[:2]] == ["old a", "old b"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.duckdb", "b.duckdb", "c.duckdb"]


def test_a_repeated_column_in_a_header_is_refused(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = company(tmp_path)
    users = folder / "raw_users.csv"
    lines = users.read_text().splitlines()
    users.write_text("\n".join([lines[0] + ",country", *(line + ",XX" for line in lines[1:])]) + "\n")
    before = digest(published)
    code, err = build_here(folder, published, capsys)
    assert code == build.EXIT_RAW_MISSING, err
    assert "raw_users.csv: the header names a column twice (country in columns 5, 6)" in err
    assert err.count("\n") == 1 and digest(published) == before


def test_a_tenants_reference_list_that_is_not_utf8_is_one_line(
    tmp_path: Path, published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenants = tmp_path / "tenants"
    shutil.copytree(EDGE, tenants / "acme")
    channels = (paths.SEEDS_DIR / "acquisition_channels.csv").read_bytes()
    (tenants / "acme" / "acquisition_channels.csv").write_bytes(channels.replace(b"referral", b"r\xe9ferral", 1))
    code, err = build_here(tenants, published, capsys)
    assert code == build.EXIT_RAW_MISSING, err
    assert "acquisition_channels.csv is not UTF-8 text: line" in err and "e9" in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_warehouse_path_that_is_a_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    code, err = build_here(EDGE, folder, capsys)
    assert code == build.EXIT_CANNOT_WRITE, err
    assert f"{folder} is a folder, not the warehouse file" in err and err.count("\n") == 1
    assert alerts.main(["--db", str(folder)]) == 3
    err = capsys.readouterr().err
    assert "is a folder" in err and err.count("\n") == 1


def test_a_recipient_with_a_line_break_is_a_configuration_error(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "alerts.yaml"
    config.write_text('recipients:\n  default: ["ops@example.com\\nBcc: everyone@example.com"]\n')
    monkeypatch.setenv("JOBMETRICS_ALERTS_CONFIG", str(config))
    monkeypatch.setenv("JOBMETRICS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("JOBMETRICS_SMTP_PORT", "9")
    monkeypatch.setenv("JOBMETRICS_SMTP_FROM", "jobmetrics@example.com")
    code = alerts.main(["--db", str(published), "--email", "--always"])
    err = capsys.readouterr().err
    assert code == 4, err  # "mail is not set up", not 1 ("warnings")
    assert "is not one email address" in err and "Traceback" not in err


def test_a_board_pack_written_to_a_folder_or_nowhere_is_one_line(
    published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(SystemExit) as usage:
        report_cli.main(["--db", str(published), "--out", str(folder)])
    assert usage.value.code == 2
    assert f"--out {folder} is a folder" in capsys.readouterr().err
    assert list(folder.iterdir()) == []
    if IS_ROOT:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o500)
    try:
        code = report_cli.main(["--db", str(published), "--out", str(folder / "pack.pdf")])
    finally:
        if IS_ROOT:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o700)
    err = capsys.readouterr().err
    assert code == report_cli.EXIT_CANNOT_WRITE, err
    assert f"cannot write {folder / 'pack.pdf'}" in err and err.count("\n") == 1, err


def test_the_report_command_documents_its_exit_codes() -> None:
    done = subprocess.run([sys.executable, "-m", "jobmetrics.cli", "report", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "6 the PDF cannot be written" in done.stdout
