"""pytest plugin (entry point `pytest11`): the mock for a test session, reset between tests.

    def test_my_poller(mock_server):
        status = my_client.wait_for_run(base_url=mock_server.base_url, flow_id=9002)  # your client
        assert status == "error"

    @pytest.mark.mock_scenario(api="etlworks", operation="getFlowStatus",
                               params={"flowId": 42}, scenario="fails-after-3-polls")
    def test_my_poller_reports_failure(mock_server): ...

Options: `--mockserver-args="--seed 7 --time-scale 30"` (or the `mockserver_args` ini value) are
passed to `mockserver serve` after the plugin's own `--clock-origin now` (so runs progress as tests
poll), which they keep unless they give `--clock-origin` themselves.
"""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["MockControlError", "MockServerHandle", "mock_server", "mock_server_session"]

# Always passed first; user arguments come after and win where they repeat an option.
_DEFAULT_ARGS = ("--clock-origin", "now")


class MockControlError(RuntimeError):
    """The mock refused a control-API call; the message is the mock's own explanation."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-args", default=None, help="arguments for `mockserver serve` in tests")
    parser.addini("mockserver_args", "arguments for `mockserver serve` in tests", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_scenario(api, operation, params, scenario): pin an id to a mock scenario for one test",
    )


@dataclass
class MockServerHandle:
    """A running mock: its base URL and its control API."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, self.base_url + "/__mock" + path, timeout=10, **kwargs)
        if response.is_error:
            try:
                detail = response.json().get("detail") or response.text
            except ValueError:
                detail = response.text
            raise MockControlError(f"{method} /__mock{path}: HTTP {response.status_code}: {detail}")
        return response.json()

    def reset(self) -> None:
        """Forget the journal, scenario pins and progress, and clock advances."""
        self._control("POST", "/reset")

    def journal(self, *, path: str | None = None, status: int | None = None, limit: int = 1000) -> list[Any]:
        params = {k: v for k, v in {"path": path, "status": status, "limit": limit}.items() if v is not None}
        entries: list[Any] = self._control("GET", "/journal", params=params)["entries"]
        return entries

    def polls(self) -> list[Any]:
        """How each client polled each execution (see the README's poll report)."""
        report: list[Any] = self._control("GET", "/polls")["polls"]
        return report

    def pin(self, api: str, operation: str, params: dict[str, Any], scenario: str) -> dict[str, Any]:
        body = {"api": api, "operation": operation, "params": params, "scenario": scenario}
        key: dict[str, Any] = self._control("PUT", "/scenarios", json=body)["key"]
        return key

    def advance(self, seconds: float, **target: Any) -> None:
        """Advance mock time for all ids, or for one (`api=`, `operation=`, `params=`)."""
        self._control("POST", "/clock", json={"seconds": seconds, **target})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def mock_server_session(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockServerHandle]:
    """One mock for the whole test session, on a free loopback port."""
    args = pytestconfig.getoption("mockserver_args") or pytestconfig.getini("mockserver_args")
    port = _free_port()
    log = tmp_path_factory.mktemp("mockserver") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mockserver", "serve", "--port", str(port)),
                *_DEFAULT_ARGS,
                *shlex.split(str(args)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    handle = MockServerHandle(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mockserver exited {process.returncode}: {log.read_text()}")
        try:
            httpx.get(handle.base_url + "/__mock/health", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"mockserver did not answer within 30 s: {log.read_text()}") from None
            time.sleep(0.05)
    yield handle
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def mock_server(mock_server_session: MockServerHandle, request: pytest.FixtureRequest) -> MockServerHandle:
    """The session's mock, reset for this test, with the test's `mock_scenario` pins applied."""
    mock_server_session.reset()
    for marker in request.node.iter_markers("mock_scenario"):
        try:
            mock_server_session.pin(**marker.kwargs)
        except MockControlError as exc:
            pytest.fail(f"mock_scenario{marker.kwargs}: {exc}", pytrace=False)
    return mock_server_session
