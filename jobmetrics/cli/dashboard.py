"""`jobmetrics dashboard`: serve the Streamlit dashboard (dashboard/app.py) over the published warehouse.

Exit codes: Streamlit's own (0 when stopped with Ctrl-C); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from jobmetrics import paths

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
        help="address to listen on (default 127.0.0.1, this machine only)",
    )
    args = parser.parse_args(argv)
    streamlit = [sys.executable, "-m", "streamlit", "run", str(APP)]
    settings = ["--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true"]
    settings += ["--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"]
    try:
        return subprocess.run([*streamlit, *settings], cwd=paths.PROJECT_ROOT, check=False).returncode
    except KeyboardInterrupt:
        return 0
