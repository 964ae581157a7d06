"""The system packages `make test` needs: Chromium, PostgreSQL server binaries (15 or newer), a Java 17 runtime
and pdftotext (poppler-utils).

Each is looked for where it is usually found. One that is missing is installed from Debian's packages when
this is root on a machine with apt; otherwise this stops at once with one line naming the command to run.
Nothing is ever skipped silently. Standard library only: it runs before the project's virtualenv exists.

Exit codes: 0 everything present (or installed); 1 something missing that this cannot install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jobmetrics.views.browser import chromium

MIN_POSTGRES = 15
JAVA = 17


def version_of(command: list[str], pattern: str) -> int | None:
    """The first number `pattern` captures in what the command prints; None when it cannot run."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(pattern, done.stdout + done.stderr)
    return int(found.group(1)) if found else None


def postgres_bin() -> Path | None:
    """A folder with initdb, pg_ctl and postgres of version 15 or newer: $JOBMETRICS_PG_BIN, PATH,
    `pg_config --bindir`, or Debian's /usr/lib/postgresql/<version>/bin (the newest)."""
    candidates = []
    if os.environ.get("JOBMETRICS_PG_BIN"):
        candidates.append(Path(os.environ["JOBMETRICS_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            candidates.append(Path(done.stdout.strip()))
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(debian, key=lambda folder: int(re.sub(r"\D", "", folder.parent.name) or 0), reverse=True)
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            major = version_of([str(folder / "postgres"), "--version"], r"(\d+)\.")
            if major is not None and major >= MIN_POSTGRES:
                return folder
    return None


def java() -> Path | None:
    """A `java` of version 17: $JAVA_HOME/bin/java, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if found and version_of([found, "-version"], r'version "(\d+)') == JAVA:
        return Path(found)
    return None


@dataclass(frozen=True)
class Requirement:
    what: str
    find: Callable[[], Path | None]
    debian_package: str
    why: str


def pdftotext() -> Path | None:
    found = shutil.which("pdftotext")
    return Path(found) if found else None


REQUIREMENTS = [
    Requirement("Chromium", chromium, "chromium", "the dashboard's browser test and the board pack"),
    Requirement(f"PostgreSQL {MIN_POSTGRES}+ server", postgres_bin, "postgresql", "the PostgreSQL engine tests"),
    Requirement(f"Java {JAVA} runtime", java, f"openjdk-{JAVA}-jre-headless", "the Spark engine tests"),
    Requirement("pdftotext", pdftotext, "poppler-utils", "the board pack's test, which reads the PDF's text"),
]


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def install(packages: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"make test: installing {', '.join(packages)} with apt-get", file=sys.stderr, flush=True)
    steps = [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]]
    for step in steps:
        done = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"make test: {' '.join(step)} failed:\n{done.stderr.strip()[-2000:]}", file=sys.stderr)
            return False
    return True


def main() -> int:
    missing = [requirement for requirement in REQUIREMENTS if requirement.find() is None]
    if not missing:
        return 0
    if can_install() and install([requirement.debian_package for requirement in missing]):
        missing = [requirement for requirement in missing if requirement.find() is None]
        if not missing:
            return 0
    for requirement in missing:
        print(
            f"make test: {requirement.what} not found (needed by {requirement.why}); "
            f"install it with `sudo apt-get install -y {requirement.debian_package}` and run make test again.",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
