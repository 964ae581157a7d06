"""Helpers the test modules share (the fixtures are in conftest.py): comparisons with the reference, the board
pack's text, the dashboard in a browser, AppTest's kept downloads and a stub of the Messages API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from builds import PROJECT_ROOT, Build
from playwright.sync_api import Locator, Page
from reference import Reference
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from jobmetrics.views import browser


def compare_monthly(build: Build, reference: Reference) -> None:
    monthly = build.query("select * from marts.mrr_monthly order by month")
    expected = reference.monthly
    assert len(monthly) == len(expected)
    for column in expected.columns:
        if column in ("month", "snapshot_date"):
            assert list(monthly[column].dt.date) == list(expected[column]), column
        else:
            got = monthly[column].astype(float).tolist()
            want = [float("nan") if v is None else float(v) for v in expected[column]]
            assert got == pytest.approx(want, nan_ok=True, abs=1e-6), column


def compare_channels(build: Build, reference: Reference) -> None:
    channels = build.query("select * from marts.channel_performance").set_index("acquisition_channel")
    expected = reference.channels.set_index("acquisition_channel")
    assert sorted(channels.index) == sorted(expected.index)
    for column in expected.columns:
        got = channels.loc[expected.index, column].astype(float).tolist()
        want = [float("nan") if v is None else float(v) for v in expected[column]]
        assert got == pytest.approx(want, nan_ok=True, abs=1e-6), column


def pdf_text(path: Path) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("no pdftotext: `make test` installs poppler-utils", pytrace=False)
    done = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout


# each page's title and its path in a link (`/funnel`, or `?tab=funnel` as links were before the pages)
TAB_IDS = {"Overview": "overview", "Funnel": "funnel", "Cohorts": "cohorts", "Channels and segments": "channels"}
TAB_IDS |= {"Product": "product", "Churn": "churn", "Experiments": "experiments", "SQL": "sql"}
TAB_IDS |= {"Report builder": "report", "Ask": "ask"}


class KeptMediaFiles(MemoryMediaFileStorage):
    """AppTest's in-memory media store, kept reachable so the tests can read what each download serves."""

    latest: KeptMediaFiles

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint)
        KeptMediaFiles.latest = self


SCREENSHOTS = Path(os.environ.get("JOBMETRICS_SCREENSHOTS") or PROJECT_ROOT / "target" / "screenshots")


CHROMIUM_FLAGS = browser.FLAGS


def chromium() -> str:
    found = browser.chromium()
    if found is None:
        pytest.fail("no Chromium found: `make test` installs it, or set CHROMIUM=/path/to/chromium", pytrace=False)
    return str(found)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(port: int, server: subprocess.Popen[Any]) -> str:
    """The dashboard's URL once Streamlit on `port` answers its health check (fails when it stops or takes 60 s)."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as health:
                if health.read() == b"ok":
                    return url
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start on port {port}") from None
            time.sleep(0.5)


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`jobmetrics dashboard` on a free port with these settings (and no Claude key); its URL once it is up."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jobmetrics")), "dashboard", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env={**{name: value for name, value in os.environ.items() if name != "ANTHROPIC_API_KEY"}, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield wait_until_serving(port, server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def assert_no_error(page: Page) -> None:
    for selector in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        assert page.locator(selector).count() == 0, page.locator(selector).first.inner_text()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page is wider than the window"


def screenshot(page: Page, name: str) -> None:
    page.wait_for_timeout(1500)  # Plotly draws once its tab is visible
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)


def shown_page(page: Page) -> Locator:
    """The dashboard's main column: the title, the page links and the page shown (the sidebar apart)."""
    return page.locator('[data-testid="stMain"]')


Json = dict[str, Any]


Stub = tuple[str, type["MessagesStub"]]


class MessagesStub(BaseHTTPRequestHandler):
    script: list[tuple[int, Json]] = []
    requests: list[Json] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        status, payload = type(self).script.pop(0) if type(self).script else (200, text_reply("(no more script)"))
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("retry-after", "0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def message(content: list[Json], stop_reason: str) -> Json:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def text_reply(text: str) -> Json:
    return message([{"type": "text", "text": text}], "end_turn")


def sql_call(sql: str, call_id: str = "toolu_1") -> Json:
    return message([{"type": "tool_use", "id": call_id, "name": "run_sql", "input": {"sql": sql}}], "tool_use")


def error_reply(kind: str) -> Json:
    return {"type": "error", "error": {"type": kind, "message": "stub error"}}


def tool_results(request: Json) -> list[Json]:
    return [
        block
        for message in request["messages"]
        if message["role"] == "user" and isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]
