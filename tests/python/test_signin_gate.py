"""The sign-in gate alone under Streamlit's AppTest, for what a browser cannot pin down: which runs show what. A
session that ends by itself says so on the form through the reruns that follow (deleting the cookie reruns the
page in a browser), until the next sign-in."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from jobmetrics.views import signin

JOBMETRICS = str(Path(sys.executable).with_name("jobmetrics"))
EMAIL = "changing@edge.example"


def gate_page() -> None:
    import streamlit as st

    from jobmetrics.views import signin

    user = signin.gate()
    st.write(f"Signed in: {user.email if user else None}")


def add_user(users_file: Path, password: str) -> None:
    add = [JOBMETRICS, "users", "--users", str(users_file), "add", EMAIL, "--tenant", "edge", "--password-stdin"]
    subprocess.run(add, input=password, check=True, capture_output=True, text=True, timeout=60)


def sign_in(app: AppTest, password: str) -> None:
    app.text_input[0].input(EMAIL)
    app.text_input[1].input(password)
    app.button[0].click().run()
    app.run()  # a browser reruns the page once the sign-in cookie is set


def shown(app: AppTest) -> list[str]:
    return [str(element.value) for element in [*app.info, *app.markdown] if "<style>" not in str(element.value)]


def test_an_ended_session_says_so_until_the_next_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "users.yaml"
    add_user(users_file, "first password")
    monkeypatch.setenv("JOBMETRICS_USERS", str(users_file))
    app = AppTest.from_function(gate_page, default_timeout=60).run()
    sign_in(app, "first password")
    assert shown(app) == [f"Signed in: {EMAIL}"]

    time.sleep(1.1)  # a record's change time is to the second
    subprocess.run([JOBMETRICS, "users", "--users", str(users_file), "remove", EMAIL], check=True, timeout=60)
    add_user(users_file, "second password")
    app.run()
    assert shown(app) == [signin.ENDED]
    app.run()  # the rerun that deleting the cookie causes in a browser
    assert shown(app) == [signin.ENDED]

    sign_in(app, "second password")
    assert shown(app) == [f"Signed in: {EMAIL}"]
