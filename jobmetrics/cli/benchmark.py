"""`jobmetrics benchmark`: the development harness in devtools/ (a clone with `make install`), run from the root.

Exit codes: the harness's own; 2 when this installation has no devtools/ (installed without a clone).
"""

from __future__ import annotations

import subprocess
import sys

from jobmetrics import paths

EXIT_NO_DEVTOOLS = 2


def main(argv: list[str] | None = None) -> int:
    if not (paths.PROJECT_ROOT / "devtools" / "benchmark_cli.py").exists():
        print(
            "jobmetrics benchmark: the benchmark is a development tool; run it from a clone of the repository "
            "after `make install`.",
            file=sys.stderr,
        )
        return EXIT_NO_DEVTOOLS
    command = [sys.executable, "-m", "devtools.benchmark_cli", *(argv or [])]
    return subprocess.run(command, cwd=paths.PROJECT_ROOT, check=False).returncode
