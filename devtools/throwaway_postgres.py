"""A throwaway PostgreSQL cluster for the tests and the benchmark: initdb in a temporary folder, a free
port, stopped and deleted on exit. PostgreSQL refuses to run as root, so as root (as in CI) the server
runs as the `postgres` user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools import provision


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def server() -> Iterator[dict[str, str]]:
    """Yields the libpq settings (PGHOST, PGPORT, PGUSER, PGDATABASE) of a new, empty cluster."""
    pg_bin = provision.postgres_bin()
    if pg_bin is None:
        raise FileNotFoundError("PostgreSQL 15+ server binaries not found; run `make test` (it installs them)")
    folder = Path(tempfile.mkdtemp(prefix="jobmetrics-pg-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    data, port = folder / "data", free_port()
    pg_ctl = [str(pg_bin / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        subprocess.run(as_postgres_user(initdb), check=True, capture_output=True)
        # a test server: no durability needed, so no fsync
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = [*pg_ctl, "-o", options, "-l", str(folder / "log"), "start"]
        subprocess.run(as_postgres_user(start), check=True, capture_output=True)
        yield {"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres", "PGDATABASE": "postgres"}
    finally:
        subprocess.run(as_postgres_user([*pg_ctl, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
