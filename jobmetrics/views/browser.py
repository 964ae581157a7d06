"""The system's Chromium: found where it usually is, and used to print a page to PDF. Standard library only, so
`make test`'s provisioning (devtools.provision) finds Chromium the same way before the virtualenv exists."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# Without the background-networking flags Chromium keeps calling out to a network this machine may not have.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PRINT_SECONDS = 180


class PrintFailed(Exception):
    """Chromium is missing or could not print; str() says what to do."""


def chromium() -> Path | None:
    """$CHROMIUM, else chromium or chromium-browser on PATH."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def print_pdf(html: str, out: Path) -> None:
    """Print a self-contained page to `out` with headless Chromium, once its scripts have drawn (virtual time lets
    them finish before the page is printed)."""
    executable = chromium()
    if executable is None:
        raise PrintFailed("no Chromium found: install it (`sudo apt-get install -y chromium`) or set CHROMIUM")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jobmetrics-print-") as work:
        page = Path(work) / "page.html"
        page.write_text(html)
        staged = Path(work) / "page.pdf"
        command = [
            str(executable),
            "--headless",
            *FLAGS,
            f"--user-data-dir={work}/profile",
            "--no-pdf-header-footer",
            "--virtual-time-budget=20000",
            f"--print-to-pdf={staged}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise PrintFailed(f"Chromium did not print within {PRINT_SECONDS} s") from None
        except OSError as error:
            raise PrintFailed(
                f"cannot run Chromium at {executable} ({error.strerror}); install chromium or fix CHROMIUM"
            ) from None
        if done.returncode != 0 or not staged.exists() or staged.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise PrintFailed(f"Chromium could not print the page (exit {done.returncode}: {last})")
        shutil.move(staged, out)
