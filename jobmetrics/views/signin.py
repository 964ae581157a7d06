"""The dashboard's sign-in (streamlit-authenticator over the users file): nothing of the warehouse is drawn until
a user from the users file signs in, and then only the tenants that user may see.

The cookie streamlit-authenticator sets holds the email and an expiry time, signed (HS256) with the users
file's cookie key; `jobmetrics users rotate-key` invalidates every cookie. Failed sign-ins are counted per user
in a file beside the users file (jobmetrics.access.signin_records), so a new session does not start the count again.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import streamlit as st
from streamlit_authenticator.utilities.exceptions import LoginError
from streamlit_authenticator.views.authentication_view import Authenticate

from jobmetrics.access import signin_records as records
from jobmetrics.access import users
from jobmetrics.views import display

COOKIE = "jobmetrics_session"
FIELDS = {"Form name": "Sign in", "Username": "Email", "Password": "Password", "Login": "Sign in"}
WRONG = "That email and password do not match an account."
LOCKED = "Too many failed sign-ins for this account: it is locked for up to 15 minutes."
ENDED = "Your session has ended; sign in again."
UNTIL = "jobmetrics_signed_in_until"
# the user's record as it was at sign-in: any change to it (password, role, tenants, removed and added) ends the session
RECORD = "jobmetrics_signed_in_record"
# set when a session ends by itself, so the reason stays on the form through the reruns that follow until a sign-in
SESSION_ENDED = "jobmetrics_session_ended"


def session_hours() -> float:
    """$JOBMETRICS_SESSION_HOURS (default 12): how long a sign-in lasts, in this tab and in the cookie."""
    text = os.environ.get("JOBMETRICS_SESSION_HOURS", "12")
    try:
        hours = float(text)
    except ValueError:
        hours = 0.0
    if hours <= 0:
        raise ValueError(f"JOBMETRICS_SESSION_HOURS must be a positive number of hours, not {text!r}")
    return hours


def refuse(message: str) -> None:
    st.error(message)
    st.stop()


def credentials(path: Path, known: users.Users) -> dict[str, Any]:
    """The users as streamlit-authenticator reads them; a locked user starts at the attempts limit, so the library
    refuses that user before it looks at the password."""
    locked = records.locked_users(path)
    return {
        "usernames": {
            email: {
                "email": email,
                "name": email,
                "password": user.password_hash,
                "roles": [user.role],
                "failed_login_attempts": records.FAILURES if email in locked else 0,
            }
            for email, user in known.users.items()
        }
    }


def cookie_token() -> str | None:
    """This browser's sign-in cookie as sent when the page connected."""
    token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) and token else None


def cookie_expiry(key: str) -> float | None:
    """The expiry of this browser's sign-in cookie when it is valid and unexpired (it cannot be forged without
    the key), else None."""
    claims = cookie_claims(key)
    return None if claims is None else claims[1]


def cookie_claims(key: str) -> tuple[str, float] | None:
    """The user and expiry this browser's sign-in cookie holds when it is valid and unexpired, else None."""
    try:
        claims = jwt.decode(cookie_token() or "", key, algorithms=["HS256"])
        email, expires = str(claims["username"]), float(claims["exp_date"])
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        return None
    return (email, expires) if expires > datetime.now().timestamp() else None


def cookie_predates_record(known: users.Users, key: str, hours: float) -> bool:
    """Whether the cookie was issued before its user's record last changed (or names no user now): the cookie
    holds only the user and its expiry, so its issue time is the expiry less the session's length."""
    claims = cookie_claims(key)
    if claims is None:
        return False
    user = users.signed_in_user(known, claims[0])
    return user is None or claims[1] - hours * 3600 < user.changed_at


def sign_out(path: Path, authenticator: Authenticate, key: str) -> None:
    """End the session: streamlit-authenticator deletes the cookie in the browser, and the cookie is refused on
    the server too, should the browser keep it."""
    token, expires = cookie_token(), cookie_expiry(key)
    if token is not None and expires is not None:
        records.revoke(path, token, expires)
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")
    st.session_state.pop(UNTIL, None)
    st.session_state.pop(RECORD, None)


def attempt(path: Path, known: users.Users, authenticator: Authenticate, given: dict[str, Any]) -> users.User | None:
    """The sign-in form (or the cookie): the user signed in, or None; a failure is counted for the user named."""
    before = {email: entry["failed_login_attempts"] for email, entry in given["usernames"].items()}
    # a form of a readable width on a desktop; Streamlit stacks the columns at phone width, where it spans it
    _, form_column, _ = st.columns([1, 2, 1])
    try:
        with form_column:
            authenticator.login(location="main", max_login_attempts=records.FAILURES, fields=FIELDS)
    except LoginError as error:
        if "attempts" in str(error):
            refuse(LOCKED)
        st.session_state["logout"] = True  # a cookie of a user removed since: ask for a password instead
        st.rerun()
    for email, entry in given["usernames"].items():
        if entry["failed_login_attempts"] > before[email]:
            records.record_failure(path, email)
    status = st.session_state.get("authentication_status")
    if status is False:
        refuse(WRONG)
    return users.signed_in_user(known, st.session_state.get("username")) if status else None


def gate() -> users.User | None:
    """The signed-in user; None when there is no users file (then only this machine can reach the dashboard).
    Stops the page (st.stop) until someone signs in."""
    path = users.users_path()
    if not path.exists():
        # unset, Streamlit listens on every address
        if not users.is_loopback(st.get_option("server.address")):
            refuse("This dashboard listens beyond this machine without sign-in. Add users with `jobmetrics users`.")
        return None
    try:
        known = users.read(path)
        hours = session_hours()
    except (users.UsersFileInvalid, ValueError) as error:
        refuse(f"Sign-in is not available: {error}.")
        raise  # st.stop() has stopped the page
    given = credentials(path, known)
    authenticator = Authenticate(given, COOKIE, known.cookie_key, cookie_expiry_days=hours / 24, auto_hash=False)
    token = cookie_token()
    if token and (records.is_revoked(path, token) or cookie_predates_record(known, known.cookie_key, hours)):
        st.session_state["logout"] = True  # streamlit-authenticator's own flag: do not sign in from the cookie
    was_signed_in = bool(st.session_state.get("authentication_status"))
    ended = was_signed_in and datetime.now().timestamp() > st.session_state.get(UNTIL, float("inf"))
    current = users.signed_in_user(known, st.session_state.get("username"))
    # a sign-in from the cookie reruns the page before its record is kept: no record yet is no change
    recorded = st.session_state.get(RECORD, current.changed_at if current else None)
    changed = was_signed_in and (current is None or current.changed_at != recorded)
    if ended or changed:
        sign_out(path, authenticator, known.cookie_key)
        st.session_state[SESSION_ENDED] = True
    if st.session_state.get(SESSION_ENDED):
        st.info(ENDED)
    # when this run may sign in from the cookie, the time that cookie ends
    cookie_ends = None if was_signed_in or st.session_state.get("logout") else cookie_expiry(known.cookie_key)
    user = attempt(path, known, authenticator, given)
    if user is None:
        st.stop()
        raise AssertionError  # st.stop() does not return
    st.session_state.pop(SESSION_ENDED, None)
    if UNTIL not in st.session_state:
        # a session from the cookie ends with it; a password starts a full one (the cookie the browser sent
        # when the page connected may be an older, signed-out one)
        st.session_state[UNTIL] = cookie_ends or datetime.now().timestamp() + hours * 3600
        st.session_state[RECORD] = user.changed_at
        records.clear_failures(path, user.email)
    if not was_signed_in and cookie_ends is None:
        # the form is still on this page and the cookie is being set in the browser, which then reruns the page
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {display.as_text(user.email)}")
        if st.button("Sign out"):
            sign_out(path, authenticator, known.cookie_key)
            st.stop()  # the cookie is being deleted in the browser, which then reruns the page
    return user
