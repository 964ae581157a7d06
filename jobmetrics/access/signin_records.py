"""What sign-in must remember across sessions and dashboard processes, in files beside the users file: failed
sign-ins per user (five within 15 minutes lock that user for 15 minutes) and the cookies of sessions signed out
(a signed cookie stays valid until it expires, so a sign-out is recorded on the server too)."""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKED_FOR = timedelta(minutes=15)


def failures_path(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".failures.json")


def revoked_path(users_file: Path) -> Path:
    return users_file.with_name(users_file.name + ".signed-out.json")


@contextmanager
def _record(path: Path) -> Iterator[dict[str, Any]]:
    """A JSON record read and written under an exclusive lock (two sessions writing at once both count)."""
    path.touch(mode=0o600, exist_ok=True)
    with path.open("r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = handle.read()
        record: dict[str, Any] = json.loads(text) if text.strip() else {}
        yield record
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(record, indent=1, sort_keys=True))


def now() -> datetime:
    return datetime.now(UTC)


def locked_users(users_file: Path) -> dict[str, datetime]:
    """The users locked now, with the time each lock ends."""
    with _record(failures_path(users_file)) as record:
        ends = {email: entry.get("locked_until") for email, entry in record.items()}
    return {
        email: datetime.fromisoformat(end) for email, end in ends.items() if end and datetime.fromisoformat(end) > now()
    }


def record_failure(users_file: Path, email: str) -> None:
    """Count a failure; the fifth within the window locks the user."""
    moment = now()
    with _record(failures_path(users_file)) as record:
        entry = record.setdefault(email, {"failures": [], "locked_until": None})
        recent = [when for when in entry["failures"] if moment - datetime.fromisoformat(when) < WINDOW]
        recent.append(moment.isoformat())
        if len(recent) >= FAILURES:
            entry["locked_until"] = (moment + LOCKED_FOR).isoformat()
            recent = []
        entry["failures"] = recent


def clear_failures(users_file: Path, email: str) -> None:
    with _record(failures_path(users_file)) as record:
        record.pop(email, None)


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke(users_file: Path, token: str, expires: float) -> None:
    """Refuse this cookie from now on (kept until it would have expired anyway)."""
    with _record(revoked_path(users_file)) as record:
        for fingerprint in [key for key, until in record.items() if until < now().timestamp()]:
            del record[fingerprint]
        record[_fingerprint(token)] = expires


def is_revoked(users_file: Path, token: str) -> bool:
    with _record(revoked_path(users_file)) as record:
        return _fingerprint(token) in record
