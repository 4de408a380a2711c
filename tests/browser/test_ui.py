"""The browsable side in a real browser: Debian's headless Chromium against the running mock.

Chromium is driven with `--dump-dom` for the index and over the Chrome DevTools Protocol (its
websocket, with the `websockets` package uvicorn already brings) for Swagger UI's "Try it out".
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.conftest import SLUGS, RunningServer

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium() -> str:
    """Path of the Chromium binary; a missing browser fails the test, it does not skip it."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).is_file():
        pytest.fail(
            "Chromium is not installed (looked for `chromium` on PATH and /usr/bin/chromium). "
            "Install it: `apt-get update && apt-get install -y chromium` (`make test` does this as root), "
            "or point CHROMIUM at a Chrome/Chromium binary."
        )
    return found


def chromium_command(profile: Path, *args: str) -> list[str]:
    return [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page: call, evaluate, wait, click, type."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.last_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:  # events arrive in between; only our answer counts
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 20) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")

    def click(self, selector: str) -> None:
        found = f"document.querySelector({json.dumps(selector)})"
        self.wait_for(f"!!{found}", f"an element {selector}")
        self.evaluate(f"{found}.click()")

    def type_into(self, selector: str, text: str) -> None:
        found = f"document.querySelector({json.dumps(selector)})"
        self.wait_for(f"!!{found}", f"an input {selector}")
        self.evaluate(f"{found}.focus(); {found}.select()")  # typing replaces any prefilled example
        self.call("Input.insertText", text=text)  # real input events, so React sees the value
        self.evaluate(f"{found}.blur()")  # Swagger UI debounces inputs; leaving the field commits


def devtools_port(profile: Path, process: subprocess.Popen[bytes], log: Path) -> int:
    """The port Chromium chose for `--remote-debugging-port=0`, from its DevToolsActivePort file."""
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited {process.returncode}: {log.read_text()[-2000:]}")
        if active.is_file() and active.read_text().strip():
            return int(active.read_text().split()[0])
        time.sleep(0.1)
    raise RuntimeError(f"chromium opened no DevTools port within 30 s: {log.read_text()[-2000:]}")


@pytest.fixture
def page(tmp_path: Path) -> Iterator[DevTools]:
    """A blank page of a fresh headless Chromium, driven over its DevTools websocket."""
    profile, log = tmp_path / "profile", tmp_path / "chromium.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            chromium_command(profile, "--remote-debugging-port=0", "about:blank"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        port = devtools_port(profile, process, log)
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        target = next(t for t in targets if t["type"] == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as socket:
            yield DevTools(socket)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class SlugRows(HTMLParser):
    """Collects the `data-slug` of every table row."""

    def __init__(self) -> None:
        super().__init__()
        self.slugs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        slug = dict(attrs).get("data-slug")
        if tag == "tr" and slug:
            self.slugs.append(slug)


def test_index_page_lists_all_five_apis(server: RunningServer, tmp_path: Path) -> None:
    result = subprocess.run(
        chromium_command(tmp_path / "profile", "--dump-dom", server.base_url + "/"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    rows = SlugRows()
    rows.feed(result.stdout.decode())
    assert sorted(rows.slugs) == sorted(SLUGS)


def test_swagger_ui_try_it_out_gets_a_200_from_the_mock(
    server: RunningServer, page: DevTools, tmp_path: Path
) -> None:
    page.call("Page.enable")
    page.call("Page.navigate", url=f"{server.base_url}/__mock/docs/etlworks/")
    operation = "#operations-Flows-getFlowStatus"
    page.wait_for(f"!!document.querySelector('{operation}')", "Swagger UI to render the operation")

    # Authorize with a bearer token, as a user would in the dialog.
    page.click(".auth-wrapper .authorize")
    page.type_into(".modal-ux input", "browser-token")
    page.click(".modal-ux .auth-btn-wrapper .authorize")
    page.click(".modal-ux .btn-done")

    # Open the operation, "Try it out", fill in the flow id, Execute.
    page.click(f"{operation} .opblock-summary-control")
    page.click(f"{operation} .try-out__btn")
    page.type_into(f"{operation} input[placeholder='flowId']", "4321")
    page.click(f"{operation} .execute")
    live = f"{operation} .live-responses-table tr.response"
    status = page.wait_for(
        f"document.querySelector('{live} .response-col_status')?.innerText", "the live response"
    )
    body = page.evaluate(f"document.querySelector('{live} pre')?.innerText")
    assert status.strip() == "200", body
    assert json.loads(body)["flowId"] == 4321
    url = page.evaluate(f"document.querySelector('{operation} .request-url pre')?.innerText")
    assert url.startswith(f"{server.base_url}/rest/v1/executions/4321"), url

    shot = tmp_path / "swagger-etlworks.png"
    shot.write_bytes(base64.b64decode(page.call("Page.captureScreenshot")["data"]))
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    assert shot.stat().st_size > 1000
