"""`jobmetrics watch`: keep the warehouse fresh without anyone typing `make build`.

Every cycle compares the raw folder's files (names, sizes, modification times) with those of the last good
build; when they differ, it runs `jobmetrics build` in a process of its own and, when email is set up, sends the
digests. A failed build leaves the last good warehouse published (the build guarantees it) and is emailed once
per set of files; the watcher keeps watching. SIGTERM or SIGINT stops it between cycles. What it last built
lives beside the warehouse (`<warehouse>.watch.json`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from types import FrameType

from jobmetrics.alerts import digest, mail
from jobmetrics.pipeline.build import EXIT_DBT_FAILED, EXIT_RAW_BROKEN, EXIT_RAW_MISSING

Fingerprint = dict[str, list[int]]
# what the raw files themselves caused: built again only once they change. Any other failure (another build
# holding the lock, a full disk, an engine out of reach) is tried again on the next cycle.
DATA_FAILURES = (EXIT_RAW_BROKEN, EXIT_RAW_MISSING, EXIT_DBT_FAILED)


def fingerprint(raw_dir: Path) -> Fingerprint:
    """Each file under the raw folder (tenants' folders too, a folder linked there as the build reads it, hidden
    files left out): its size and mtime."""
    if not raw_dir.is_dir():
        return {}
    found: Fingerprint = {}
    for folder, folders, files in os.walk(raw_dir, followlinks=True):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if not name.startswith(".") and path.is_file():
                found[str(path.relative_to(raw_dir))] = [path.stat().st_size, path.stat().st_mtime_ns]
    return found


def differences(before: Fingerprint | None, now: Fingerprint) -> list[str]:
    before = before or {}
    return sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name))


def state_path(published: Path) -> Path:
    return published.with_suffix(".watch.json")


@dataclass
class WatchState:
    built: Fingerprint | None = None  # the raw files of the last good build
    failed: Fingerprint | None = None  # the raw files of the last failed build, already reported

    @classmethod
    def load(cls, path: Path) -> WatchState:
        if not path.exists():
            return cls()
        saved = json.loads(path.read_text())
        return cls(saved.get("built"), saved.get("failed"))

    def save(self, path: Path) -> None:
        staged = path.with_suffix(path.suffix + ".new")
        staged.write_text(json.dumps({"built": self.built, "failed": self.failed}, indent=1))
        staged.replace(path)


def build_command(raw_dir: Path, published: Path, dbt_args: list[str]) -> list[str]:
    command = [sys.executable, "-m", "jobmetrics.cli", "build", "--raw-dir", str(raw_dir), "--db", str(published)]
    return [*command, "--", *dbt_args] if dbt_args else command


def failure_reason(text: str) -> str:
    """The build's error on one line: what it says before its closing "the published warehouse ..." line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith("the published warehouse")] or lines
    return " ".join(said[:3]).removeprefix("jobmetrics build: ") if said else "no output"


@dataclass
class Watcher:
    raw_dir: Path
    published: Path
    every: float
    dbt_args: list[str] = field(default_factory=list)
    log: Callable[[str], None] = field(default=lambda message: print(message, flush=True))
    stopping: bool = False

    def say(self, message: str) -> None:
        self.log(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}")

    def cycle(self) -> None:
        """One look at the raw folder, and a build when its files changed since the last good build."""
        state_file = state_path(self.published)
        state = WatchState.load(state_file)
        current = fingerprint(self.raw_dir)
        if current == state.built and self.published.exists():
            self.say("no change")
            return
        if current == state.failed:
            self.say("no change since the failed build; the last good warehouse stays published")
            return
        changed = differences(state.built, current)
        started = time.monotonic()
        done = subprocess.run(
            build_command(self.raw_dir, self.published, self.dbt_args), capture_output=True, text=True
        )
        seconds = time.monotonic() - started
        if done.returncode == 0:
            state.built, state.failed = current, None
            state.save(state_file)
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            self.say(f"built in {seconds:.1f} s (changed: {shown})")
            self.email_digests()
            return
        reason = failure_reason(done.stderr or done.stdout)
        if done.returncode not in DATA_FAILURES:
            self.say(f"build not done (exit {done.returncode}): {reason}; trying again next cycle")
            return
        state.failed = current
        state.save(state_file)
        self.say(f"build failed (exit {done.returncode}) in {seconds:.1f} s: {reason}")
        self.email_failure(done.returncode, reason)

    def email_digests(self) -> None:
        if not os.environ.get("JOBMETRICS_SMTP_HOST"):
            return
        try:
            outcome = digest.send_digests(self.published, None, 7, False, mail.settings_from_env())
        except mail.MailNotConfigured as error:
            self.say(f"email is not set up: {error}")
            return
        for line in outcome.lines + outcome.failures:
            self.say(f"email: {line}")

    def email_failure(self, code: int, reason: str) -> None:
        if not os.environ.get("JOBMETRICS_SMTP_HOST"):
            return
        try:
            to = digest.recipients("")
        except mail.MailNotConfigured as error:
            self.say(f"email: the failure could not be sent: {error}")
            return
        if not to:
            return
        message = EmailMessage()
        message["To"] = ", ".join(to)
        message["Subject"] = f"JobMetrics: the build of {self.raw_dir} failed (exit {code})"
        message.set_content(
            f"The watcher's build of {self.raw_dir} failed: {reason}\n\nThe last good warehouse, {self.published}, "
            "is still published. Fix the raw files; the watcher builds again as soon as they change.\n"
        )
        try:
            mail.send(mail.settings_from_env(), message)
            self.say(f"email: the failure was sent to {', '.join(to)}")
        except (mail.MailFailed, mail.MailNotConfigured) as error:
            self.say(f"email: the failure could not be sent: {error}")

    def stop(self, signum: int, frame: FrameType | None) -> None:
        del frame
        self.stopping = True
        self.say(f"{signal.Signals(signum).name}: stopping after this cycle")

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.say(f"watching {self.raw_dir} every {self.every:g} s; publishing {self.published}")
        while not self.stopping:
            self.cycle()
            deadline = time.monotonic() + self.every
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, self.every))
        self.say("stopped")
