"""`jobmetrics dashboard`: serve the Streamlit dashboard (dashboard/app.py) over the published warehouse.

With a users file ($JOBMETRICS_USERS or config/users.yaml; `jobmetrics users`) the dashboard shows a sign-in form
and nothing else until sign-in, and each user sees only the tenants granted. Without one it listens on this
machine only.

Exit codes: Streamlit's own (0 when stopped with Ctrl-C); 2 bad arguments, or an address beyond this machine
without a users file.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from types import FrameType

from jobmetrics import paths
from jobmetrics.access import users

APP = paths.PROJECT_ROOT / "dashboard" / "app.py"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="jobmetrics dashboard",
        description="Serve the dashboard at http://ADDRESS:PORT. It reads the published warehouse read-only "
        "($JOBMETRICS_DB or warehouse/jobmetrics.duckdb) and picks up a new build on the next interaction.",
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("DASHBOARD_PORT", "8501")), help="port (default 8501)"
    )
    parser.add_argument(
        "--address",
        default=os.environ.get("DASHBOARD_ADDRESS", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1, this machine only; any other needs a users file)",
    )
    args = parser.parse_args(argv)
    users_file = users.users_path()
    if not users_file.exists() and not users.is_loopback(args.address):
        print(
            f"jobmetrics dashboard: {args.address} is reachable beyond this machine and there is no users file "
            f"({users_file}); "
            "add users with `jobmetrics users add EMAIL --tenant T --password-stdin`, or listen on 127.0.0.1",
            file=sys.stderr,
        )
        return 2
    streamlit = [sys.executable, "-m", "streamlit", "run", str(APP)]
    settings = ["--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true"]
    settings += ["--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    return serve([*streamlit, *settings])


def serve(command: list[str]) -> int:
    """Run Streamlit until it ends; a SIGTERM or SIGHUP to this command stops it too, so `kill <pid>` of
    `jobmetrics dashboard` never leaves the dashboard serving its port."""
    server = subprocess.Popen(command, cwd=paths.PROJECT_ROOT)

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        server.terminate()

    for forwarded in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(forwarded, stop)
    try:
        server.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches Streamlit too (the same process group): let it finish
        server.wait()
        return 0
    return 0 if server.returncode in (0, -signal.SIGTERM) else server.returncode
