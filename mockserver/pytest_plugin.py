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

Parallel runs: under pytest-xdist the workers share one mock (the first to need it starts it, the
last to finish stops it) and each worker gets its own session (`gw0`, `gw1`, ...: its own pins,
clock, journal and poll report); `base_url` carries the session as a `/__session/<name>` prefix.
The `mock_session` fixture, or the ini value `mockserver_session_per_test = true`, gives each test
a session of its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["MockControlError", "MockServerHandle", "mock_server", "mock_server_session", "mock_session"]

# Always passed first; user arguments come after and win where they repeat an option.
_DEFAULT_ARGS = ("--clock-origin", "now")


class MockControlError(RuntimeError):
    """The mock refused a control-API call; the message is the mock's own explanation."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption("--mockserver-args", default=None, help="arguments for `mockserver serve` in tests")
    parser.addini("mockserver_args", "arguments for `mockserver serve` in tests", default="")
    parser.addini(
        "mockserver_session_per_test", "give every test its own mock session", type="bool", default=False
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_scenario(api, operation, params, scenario): pin an id to a mock scenario for one test",
    )


@dataclass
class MockServerHandle:
    """A running mock: its base URL and its control API."""

    base_url: str
    process: subprocess.Popen[bytes] | None
    log: Path
    session: str = ""  # "" is the default session; else base_url ends in /__session/<session>

    def url(self, path: str) -> str:
        return self.base_url + path

    def for_session(self, name: str) -> MockServerHandle:
        """The same mock seen from session `name` (its own pins, clock, journal, poll report)."""
        root = self.base_url.split("/__session/", 1)[0]
        return replace(self, base_url=f"{root}/__session/{name}", session=name)

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


def _start(args: list[str], log: Path, *, detached: bool = False) -> tuple[str, subprocess.Popen[bytes]]:
    """`mockserver serve ARGS` on a free loopback port, once it answers."""
    port = _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*(sys.executable, "-m", "mockserver", "serve", "--port", str(port)), *_DEFAULT_ARGS, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mockserver exited {process.returncode}: {log.read_text()}")
        try:
            httpx.get(base + "/__mock/health", timeout=1)
            return base, process
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"mockserver did not answer within 30 s: {log.read_text()}") from None
            time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class _SharedMock:
    """The mock the xdist workers of one run share, counted in a file under a lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.lock = directory / "mockserver.lock"
        self.state = directory / "mockserver.json"

    def _locked(self) -> Any:
        handle = self.lock.open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle

    def join(self, args: list[str]) -> str:
        """The shared mock's URL, started when no worker runs it now."""
        with self._locked():
            found = json.loads(self.state.read_text()) if self.state.exists() else None
            if found is None:
                url, process = _start(args, self.directory / "mockserver.log", detached=True)
                found = {"url": url, "pid": process.pid, "users": 0}
            found["users"] += 1
            self.state.write_text(json.dumps(found))
            return str(found["url"])

    def leave(self) -> None:
        """One worker is done; the last one stops the mock."""
        with self._locked():
            found = json.loads(self.state.read_text())
            found["users"] -= 1
            if found["users"] > 0:
                self.state.write_text(json.dumps(found))
                return
            self.state.unlink()
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(found["pid"]), signal.SIGTERM)


@pytest.fixture(scope="session")
def mock_server_session(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockServerHandle]:
    """One mock for the whole test session, on a free loopback port (shared by xdist workers,
    each in its own session)."""
    args = shlex.split(
        str(pytestconfig.getoption("mockserver_args") or pytestconfig.getini("mockserver_args"))
    )
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        shared = _SharedMock(tmp_path_factory.getbasetemp().parent)
        url = shared.join(args)
        try:
            yield MockServerHandle(url, None, shared.directory / "mockserver.log").for_session(worker)
        finally:
            shared.leave()
        return
    log = tmp_path_factory.mktemp("mockserver") / "server.log"
    url, process = _start(args, log)
    yield MockServerHandle(url, process, log)
    _stop(process)


def _test_session(request: pytest.FixtureRequest) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "t")
    return f"{worker}-{hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]}"


@pytest.fixture
def mock_session(mock_server: MockServerHandle, request: pytest.FixtureRequest) -> MockServerHandle:
    """The mock in a session of this test's own (pins, clock, journal), empty at the start."""
    if mock_server.session == _test_session(request):
        return mock_server
    return _prepared(mock_server.for_session(_test_session(request)), request)


def _prepared(handle: MockServerHandle, request: pytest.FixtureRequest) -> MockServerHandle:
    handle.reset()
    for marker in request.node.iter_markers("mock_scenario"):
        try:
            handle.pin(**marker.kwargs)
        except MockControlError as exc:
            pytest.fail(f"mock_scenario{marker.kwargs}: {exc}", pytrace=False)
    return handle


@pytest.fixture
def mock_server(mock_server_session: MockServerHandle, request: pytest.FixtureRequest) -> MockServerHandle:
    """The session's mock, reset for this test, with the test's `mock_scenario` pins applied (in a
    session of the test's own when `mockserver_session_per_test` is set)."""
    handle = mock_server_session
    if request.config.getini("mockserver_session_per_test"):
        handle = handle.for_session(_test_session(request))
    return _prepared(handle, request)
