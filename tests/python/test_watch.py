"""`jobmetrics watch` as a user runs it: a first build, a rebuild when a raw file changes (seen within two
cycles), a broken file that leaves the published warehouse as it was while the watcher goes on, and SIGTERM
stopping it cleanly."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from builds import COMPANIES

pytestmark = pytest.mark.build

CYCLE_SECONDS = 1
# What the watcher does is the same whatever dbt runs: the models without their tests halve each build.
MODELS_ONLY = ["--", "--exclude", "resource_type:test", "resource_type:unit_test"]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("saved_parse")
def test_the_watcher_rebuilds_on_a_change_and_keeps_the_last_good_warehouse(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(COMPANIES / "edge_company", raw)
    published = tmp_path / "warehouse" / "jobmetrics.duckdb"
    log = tmp_path / "watch.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("JOBMETRICS_SMTP")}
    env |= {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    command = [sys.executable, "-m", "jobmetrics.cli", "watch", "--every", str(CYCLE_SECONDS)]
    with log.open("w") as output:
        watcher = subprocess.Popen(
            [*command, "--raw-dir", str(raw), "--db", str(published), *MODELS_ONLY],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:

        def lines() -> list[str]:
            return log.read_text().splitlines()

        wait_for(lambda: any(" built in " in line or "build failed" in line for line in lines()), "the first build")
        assert "built in" in log.read_text(), log.read_text()
        wait_for(lambda: lines()[-1].endswith("no change"), "a quiet cycle")
        first_build = digest(published)
        ran = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
        assert ran and not [result for result in ran if result["unique_id"].startswith(("test.", "unit_test."))]

        with (raw / "raw_users.csv").open("a") as users:
            users.write("9001,2025-03-01 10:00:00,referral,career_changer,US\n")
        seen = len(lines())
        wait_for(lambda: sum("built in" in line for line in lines()) == 2, "the rebuild")
        after_change = lines()[seen:]
        built_at = next(i for i, line in enumerate(after_change) if "built in" in line)
        assert built_at <= 1, after_change  # at most one more quiet cycle before the change was seen
        assert "changed: raw_users.csv" in after_change[built_at]
        assert digest(published) != first_build
        good = digest(published)

        with (raw / "raw_users.csv").open("a") as users:
            users.write("9002,2025-03-02 10:00:00,television,career_changer,US\n")
        wait_for(lambda: any("build failed" in line for line in lines()), "the failed build")
        failure = next(line for line in lines() if "build failed" in line)
        assert "television" in failure
        wait_for(lambda: "no change since the failed build" in lines()[-1], "a cycle after the failure")
        assert watcher.poll() is None and digest(published) == good

        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=60) == 0
        assert lines()[-1].endswith("stopped")
    finally:
        if watcher.poll() is None:
            watcher.kill()


def fake_builds(monkeypatch: pytest.MonkeyPatch, codes: list[int]) -> list[int]:
    """The watcher's builds exit with these codes in turn (the published file appears with the first success)."""
    from jobmetrics.alerts import watch

    ran: list[int] = []

    def command(raw_dir: Path, published: Path, dbt_args: list[str]) -> list[str]:
        code = codes[len(ran)]
        ran.append(code)
        touch = f"open({str(published)!r}, 'a').close(); " if code == 0 else ""
        return [
            sys.executable,
            "-c",
            f"import sys; {touch}print('jobmetrics build: exit {code}', file=sys.stderr); sys.exit({code})",
        ]

    monkeypatch.setattr(watch, "build_command", command)
    return ran


@pytest.mark.parametrize(("first", "retried"), [(4, True), (6, True), (1, False), (3, False)])
def test_only_a_data_failure_waits_for_the_files_to_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int, retried: bool
) -> None:
    """Exit 4 (another build holds the lock) and 6 (cannot write) are tried again next cycle; exit 1 and 3 (the
    data) wait for a change, so the same broken files are not built every cycle."""
    from jobmetrics.alerts import watch

    raw = tmp_path / "raw"
    shutil.copytree(COMPANIES / "edge_company", raw)
    said: list[str] = []
    ran = fake_builds(monkeypatch, [first, 0])
    watcher = watch.Watcher(raw, tmp_path / "jobmetrics.duckdb", 1, log=said.append)
    watcher.cycle()
    watcher.cycle()
    assert ran == ([first, 0] if retried else [first]), said
    assert ("trying again next cycle" in said[0]) == retried
    assert ("no change since the failed build" in said[1]) != retried
    assert ("built in" in said[1]) == retried


def test_a_tenant_folder_linked_into_the_raw_folder_is_watched(tmp_path: Path) -> None:
    from jobmetrics.alerts import watch

    elsewhere = tmp_path / "acme_files"
    shutil.copytree(COMPANIES / "edge_company", elsewhere)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "acme").symlink_to(elsewhere, target_is_directory=True)
    before = watch.fingerprint(raw)
    assert "acme/raw_users.csv" in before
    with (elsewhere / "raw_users.csv").open("a") as users:
        users.write("9001,2025-03-01 10:00:00,referral,career_changer,US\n")
    assert watch.differences(before, watch.fingerprint(raw)) == ["acme/raw_users.csv"]
