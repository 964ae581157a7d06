"""`jobmetrics users`: who may sign in to the dashboard (the users file, $JOBMETRICS_USERS or config/users.yaml).

Exit codes: 0 done; 1 the users file cannot be read, the user is unknown (remove) or the password is empty;
2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jobmetrics import paths, tenants
from jobmetrics.access import users

MIN_PASSWORD = 8


def add(args: argparse.Namespace, path_users: users.Users) -> str:
    if not args.password_stdin:
        raise ValueError("give the password on standard input with --password-stdin (it is never an argument)")
    password = sys.stdin.readline().strip()  # as the sign-in form takes it
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password on standard input is shorter than {MIN_PASSWORD} characters")
    if args.role == "viewer" and not args.tenant:
        raise ValueError("a viewer needs at least one --tenant (an admin sees every tenant)")
    known = tenants.published_tenants(paths.warehouse_path())
    unknown = [tenant for tenant in args.tenant if known and tenant not in known]
    if unknown:
        print(
            f"note: no tenant {', '.join(unknown)} in the warehouse yet (tenants: {', '.join(known)})", file=sys.stderr
        )
    email = users.normal_email(args.email)
    replaced = email in path_users.users
    path_users.users[email] = users.User(
        email, users.hash_password(password), args.role, tuple(args.tenant), changed_at=time.time()
    )
    ended = "; their sessions end on their next click" if replaced else ""
    tenants_granted = ", ".join(args.tenant) or "all"
    return f"{'updated' if replaced else 'added'} {email} ({args.role}; tenants: {tenants_granted}){ended}"


def remove(args: argparse.Namespace, path_users: users.Users) -> str:
    email = users.normal_email(args.email)
    if path_users.users.pop(email, None) is None:
        raise ValueError(f"no user {email}; `jobmetrics users list` shows who there is")
    return f"removed {email}; a session of theirs ends on its next click"


def rotate_key(_: argparse.Namespace, path_users: users.Users) -> str:
    path_users.cookie_key = users.new_cookie_key()
    return "new cookie key: every signed-in browser must sign in again"


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="jobmetrics users",
        description="Add, remove and list the people who may sign in to the dashboard. With a users file, the "
        "dashboard shows nothing before sign-in and each user sees only the tenants granted.",
        epilog=(__doc__ or "").split("\n\n", 1)[1],
    )
    result.add_argument(
        "--users",
        type=Path,
        default=None,
        help="the users file (default $JOBMETRICS_USERS or config/users.yaml)",
    )
    commands = result.add_subparsers(dest="command", required=True, metavar="command")
    adding = commands.add_parser("add", help="add a user, or change a user's password, role and tenants")
    adding.add_argument("email", help="the email the user signs in with")
    adding.add_argument("--tenant", action="append", default=[], help="a tenant the user may see (repeat for several)")
    adding.add_argument("--role", choices=users.ROLES, default="viewer", help="viewer (default) or admin")
    adding.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    adding.set_defaults(change=add)
    removing = commands.add_parser("remove", help="remove a user")
    removing.add_argument("email")
    removing.set_defaults(change=remove)
    commands.add_parser("list", help="list the users with their roles and tenants")
    commands.add_parser("rotate-key", help="sign every browser out by changing the key that signs the cookie")
    result.set_defaults(change=None)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path = args.users or users.users_path()
    try:
        known = users.read(path)
        if args.command == "list":
            if not known.users:
                print(
                    f"no users in {path}: the dashboard opens to this machine only; add one with `jobmetrics users add`"
                )
            for user in sorted(known.users.values(), key=lambda user: user.email):
                print(f"{user.email}\t{user.role}\t{', '.join(user.tenants) or 'all tenants'}")
            return 0
        change = rotate_key if args.command == "rotate-key" else args.change
        said = change(args, known)
    except (users.UsersFileInvalid, ValueError) as error:
        print(f"jobmetrics users: {error}", file=sys.stderr)
        return 1
    users.write(path, known)
    print(f"{said} ({path})")
    return 0
