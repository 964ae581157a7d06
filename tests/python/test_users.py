"""`jobmetrics users` and what sign-in remembers (failures, lockouts, signed-out cookies), without a browser; the
dashboard's sign-in itself is tested in headless Chromium (test_signin_browser.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bcrypt
import pytest
import yaml
from helpers import free_port, wait_until_serving

from jobmetrics.access import signin_records, users

JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))


def run_users(users_file: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [JOBMETRICS, "users", "--users", str(users_file), *args],
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_users_are_added_listed_changed_and_removed(tmp_path: Path) -> None:
    users_file = tmp_path / "config" / "users.yaml"
    added = run_users(
        users_file, "add", "Ana@Example.com", "--tenant", "sample", "--password-stdin", password="a long secret\n"
    )
    assert added.returncode == 0, added.stderr
    assert (
        run_users(
            users_file, "add", "boss@example.com", "--role", "admin", "--password-stdin", password="another secret"
        ).returncode
        == 0
    )
    assert users_file.stat().st_mode & 0o777 == 0o600
    document = yaml.safe_load(users_file.read_text())
    entry = document["users"]["ana@example.com"]
    assert "a long secret" not in users_file.read_text()
    assert bcrypt.checkpw(b"a long secret", entry["password_hash"].encode())
    assert entry["role"] == "viewer" and entry["tenants"] == ["sample"]
    listed = run_users(users_file, "list")
    assert listed.stdout.splitlines() == ["ana@example.com\tviewer\tsample", "boss@example.com\tadmin\tall tenants"]

    changed = run_users(
        users_file,
        "add",
        "ana@example.com",
        "--tenant",
        "edge",
        "--tenant",
        "sample",
        "--password-stdin",
        password="a new secret",
    )
    assert changed.returncode == 0 and changed.stdout.startswith("updated ana@example.com")
    assert users.read(users_file).users["ana@example.com"].tenants == ("edge", "sample")

    key = document["cookie_key"]
    assert run_users(users_file, "rotate-key").returncode == 0
    assert users.read(users_file).cookie_key not in ("", key)

    assert run_users(users_file, "remove", "ana@example.com").returncode == 0
    assert list(users.read(users_file).users) == ["boss@example.com"]
    missing = run_users(users_file, "remove", "ana@example.com")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no user ana@example.com" in missing.stderr


@pytest.mark.parametrize(
    ("args", "password", "said"),
    [
        (["add", "a@example.com", "--tenant", "sample"], "a long secret", "--password-stdin"),
        (["add", "a@example.com", "--tenant", "sample", "--password-stdin"], "short", "shorter than 8"),
        (["add", "a@example.com", "--password-stdin"], "a long secret", "at least one --tenant"),
    ],
)
def test_a_user_that_cannot_be_added_is_one_line_and_no_file(
    tmp_path: Path, args: list[str], password: str, said: str
) -> None:
    done = run_users(tmp_path / "users.yaml", *args, password=password)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and said in done.stderr
    assert not (tmp_path / "users.yaml").exists()


def test_a_broken_users_file_is_named(tmp_path: Path) -> None:
    users_file = tmp_path / "users.yaml"
    users_file.write_text("users: [not, a, mapping\n")
    done = run_users(users_file, "list")
    assert done.returncode == 1 and str(users_file) in done.stderr and done.stderr.count("\n") == 1


def test_five_failures_within_15_minutes_lock_for_15_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "users.yaml"
    clock = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(signin_records, "now", lambda: clock[0])

    def fail_at(minutes: float) -> None:
        clock[0] = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        signin_records.record_failure(users_file, "ana@example.com")

    for minutes in (0, 1, 2, 3):
        fail_at(minutes)
    assert signin_records.locked_users(users_file) == {}
    fail_at(15.5)  # the first failure is out of the window: four within 15 minutes
    assert signin_records.locked_users(users_file) == {}
    fail_at(15.8)  # five within 15 minutes (1, 2, 3, 15.5, 15.8)
    locked = datetime(2026, 1, 5, 9, 30, 48, tzinfo=UTC)  # 15 minutes after the fifth failure
    assert signin_records.locked_users(users_file) == {"ana@example.com": locked}
    clock[0] = locked - timedelta(seconds=1)
    assert signin_records.locked_users(users_file) == {"ana@example.com": locked}
    clock[0] = locked
    assert signin_records.locked_users(users_file) == {}
    assert signin_records.failures_path(users_file).stat().st_mode & 0o777 == 0o600


def test_a_signed_out_cookie_is_refused_until_it_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "users.yaml"
    clock = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(signin_records, "now", lambda: clock[0])
    signin_records.revoke(users_file, "token-one", clock[0].timestamp() + 60)
    assert signin_records.is_revoked(users_file, "token-one")
    assert not signin_records.is_revoked(users_file, "token-two")
    clock[0] += timedelta(minutes=2)
    signin_records.revoke(users_file, "token-two", clock[0].timestamp() + 60)
    assert not signin_records.is_revoked(users_file, "token-one")  # expired: forgotten, refused by its expiry
    assert "token-two" not in signin_records.revoked_path(users_file).read_text()  # fingerprints only


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert users.is_loopback(address) is loopback


def test_the_dashboard_refuses_other_addresses_without_users(tmp_path: Path) -> None:
    done = subprocess.run(
        [JOBMETRICS, "dashboard", "--address", "0.0.0.0", "--port", "1"],
        env={**os.environ, "JOBMETRICS_USERS": str(tmp_path / "users.yaml")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "jobmetrics users add" in done.stderr and "0.0.0.0" in done.stderr


def test_killing_the_dashboard_command_stops_the_dashboard(tmp_path: Path) -> None:
    """`kill <pid>` of `jobmetrics dashboard` (SIGTERM) stops its Streamlit too: the port is free again."""
    import signal
    import socket

    port = free_port()
    command = subprocess.Popen(
        [JOBMETRICS, "dashboard", "--port", str(port)],
        env={
            **os.environ,
            "JOBMETRICS_USERS": str(tmp_path / "users.yaml"),
            "JOBMETRICS_DB": str(tmp_path / "x.duckdb"),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so that only the command gets the signal, as with `kill <pid>`
    )
    try:
        wait_until_serving(port, command)
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=30) == 0
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past the health checks' TIME_WAIT
            again.bind(("127.0.0.1", port))  # refused while a Streamlit child still listens on it
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
