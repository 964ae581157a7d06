"""Helpers the test modules share (the fixtures are in conftest.py): comparisons with the reference, the board
pack's text, the dashboard in a browser and in AppTest (each chart or table with its download), and a stub of
the Messages API."""

from __future__ import annotations

import base64
import io
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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from builds import PROJECT_ROOT, Build
from playwright.sync_api import Locator, Page
from reference import Reference
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from jobmetrics.views import browser

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest


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


# The dashboard in AppTest: what each page shows, beside the download of it.
SHOWN = {"plotly_chart", "dataframe"}
# columns a chart shows as text in its labels rather than as plotted values
IN_LABELS = {"cohort_retention": ["cohort_customers"]}


def leaves(node: Any) -> Iterator[Any]:
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from leaves(child)


@dataclass
class Shown:
    name: str
    kind: str
    download: pd.DataFrame
    element: Any


def shown_with_downloads(app: AppTest) -> list[Shown]:
    """Every chart and table of the page with the download button placed just before it."""
    pairs, pending = [], None
    for leaf in leaves(app.main):
        if leaf.type == "download_button" and leaf.proto.id.endswith("board_pack"):
            continue  # the PDF of the page, printed when clicked (test_dashboard_browser.py downloads it)
        if leaf.type == "download_button":
            content = KeptMediaFiles.latest.get_file(leaf.proto.url.rsplit("/", 1)[1]).content
            name = leaf.proto.id.rsplit("download_", 1)[1]
            pending = (name, pd.read_csv(io.BytesIO(content)))
        elif leaf.type in SHOWN:
            assert pending is not None, f"a {leaf.type} has no download button"
            pairs.append(Shown(pending[0], leaf.type, pending[1], leaf))
            pending = None
    return pairs


def decoded(values: Any) -> np.ndarray:
    """A Plotly data array, plain or in its base64 typed-array encoding."""
    if isinstance(values, dict):
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
        shape = [int(size) for size in str(values.get("shape", len(array))).split(",")]
        return array.reshape(shape)
    return np.asarray(values, dtype=object)


def plotted_numbers(spec: str) -> list[float]:
    numbers: list[float] = []
    for trace in json.loads(spec)["data"]:
        for axis in ("x", "y", "z", "customdata"):
            if axis in trace:
                numbers += [float(v) for v in decoded(trace[axis]).ravel() if isinstance(v, int | float | np.number)]
    return [n for n in numbers if not np.isnan(n)]


def by_name(app: AppTest) -> dict[str, Shown]:
    return {shown.name: shown for shown in shown_with_downloads(app)}


def open_tab(app: AppTest, label: str) -> AppTest:
    """The page chosen, as its link chooses it, and the run that draws it: only the open page is drawn."""
    app.switch_page(f"tabs/{TAB_IDS[label]}.py").run()
    assert app.session_state["page"] == label
    assert not app.exception, app.exception
    return app


def shown_in_every_tab(app: AppTest) -> list[Shown]:
    """Every chart and table of every tab, opened in turn with the filters as they are."""
    return [shown for label in TAB_IDS for shown in shown_with_downloads(open_tab(app, label))]


def every_tab_by_name(app: AppTest) -> dict[str, Shown]:
    return {shown.name: shown for shown in shown_in_every_tab(app)}


def funnel_totals(build: Build, where: str = "true") -> pd.DataFrame:
    return build.query(
        f"select step_order, step, sum(users) as users from marts.conversion_funnel where {where} "
        "group by all order by step_order"
    )
