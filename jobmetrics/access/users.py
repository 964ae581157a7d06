"""The dashboard's users file: who may sign in, with which password (a bcrypt hash), role and tenants.

The file ($JOBMETRICS_USERS, default config/users.yaml, ignored by git) also holds the key that signs the
sign-in cookie. It is written by `jobmetrics users` with mode 600. A viewer sees the tenants granted; an admin
sees every tenant.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import yaml

from jobmetrics import paths

ROLES = ("viewer", "admin")
HEADER = "# JobMetrics dashboard users, written by `jobmetrics users`. Keep it private: it signs every session.\n"


class UsersFileInvalid(Exception):
    """The users file cannot be read; str() names the file and what is wrong."""


@dataclass(frozen=True)
class User:
    email: str
    password_hash: str
    role: str
    tenants: tuple[str, ...]
    # when the record was last written (epoch seconds): a session or cookie from before it no longer signs in
    changed_at: float = 0.0

    def may_see(self, tenant: str) -> bool:
        return self.role == "admin" or tenant in self.tenants

    def visible(self, known: list[str]) -> list[str]:
        """The tenants of `known` this user may see, in order."""
        return [tenant for tenant in known if self.may_see(tenant)]


@dataclass
class Users:
    cookie_key: str
    users: dict[str, User] = field(default_factory=dict)


def users_path() -> Path:
    """$JOBMETRICS_USERS, else config/users.yaml."""
    return paths.from_root(os.environ.get("JOBMETRICS_USERS") or "config/users.yaml")


def normal_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def new_cookie_key() -> str:
    return secrets.token_hex(32)


def read(path: Path) -> Users:
    """The users file; a new, empty set of users (with a fresh cookie key) when there is none."""
    if not path.exists():
        return Users(cookie_key=new_cookie_key())
    try:
        document = yaml.safe_load(path.read_text()) or {}
        users = {
            normal_email(email): User(
                email=normal_email(email),
                password_hash=str(entry["password_hash"]),
                role=str(entry.get("role", "viewer")),
                tenants=tuple(str(tenant) for tenant in entry.get("tenants") or ()),
                changed_at=float(entry.get("changed_at", 0.0)),
            )
            for email, entry in (document.get("users") or {}).items()
        }
        key = str(document["cookie_key"])
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as error:
        raise UsersFileInvalid(
            f"{path} is not a users file ({type(error).__name__}: {' '.join(str(error).split())}); "
            "fix it or recreate it with `jobmetrics users add`"
        ) from None
    wrong_roles = sorted({user.role for user in users.values()} - set(ROLES))
    if wrong_roles:
        raise UsersFileInvalid(f"{path}: role {', '.join(wrong_roles)} is not one of {', '.join(ROLES)}")
    return Users(cookie_key=key, users=users)


def write(path: Path, users: Users) -> None:
    """Write the file readable by its owner only, replacing the old one in one step."""
    document = {
        "cookie_key": users.cookie_key,
        "users": {
            user.email: {
                "password_hash": user.password_hash,
                "role": user.role,
                "tenants": list(user.tenants),
                "changed_at": user.changed_at,
            }
            for user in sorted(users.users.values(), key=lambda user: user.email)
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".new")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(HEADER + yaml.safe_dump(document, sort_keys=False))
    staged.replace(path)


def signed_in_user(users: Users, email: str | None) -> User | None:
    return users.users.get(normal_email(email)) if email else None


def is_loopback(address: str | None) -> bool:
    """Whether an address to listen on is reachable from this machine only. No address (Streamlit's default)
    listens on every address."""
    if address is None or not address.strip():
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False
