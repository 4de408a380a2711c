"""`mockserver serve` as a process: bad configuration, access rules, graceful shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import CREDENTIALS, DATA, ROOT, SPECS, free_port, start_server

SPEC = (SPECS / "etlworks.yaml").read_text()


def _serve(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


BAD_SPECS = {
    "invalid-spec": ("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n", "#/info"),
    "broken-ref": (
        SPEC.replace('"#/components/schemas/FlowStatus"', '"#/components/schemas/Nope"', 1),
        "Nope",
    ),
    "bad-extension-value": (SPEC.replace("key: [path.flowId,", "key: [flowId,", 1), "x-mock/key/0"),
    "bad-yaml": ("openapi: 3.0.3\ninfo: [\n", "etlworks.yaml:"),
    "openapi-3.1": (SPEC.replace("openapi: 3.0.3", "openapi: 3.1.0", 1), "3.0.x"),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS), ids=sorted(BAD_SPECS))
def test_bad_spec_stops_startup_with_one_line(tmp_path: Path, case: str) -> None:
    text, where = BAD_SPECS[case]
    result = _serve(str(_write(tmp_path, "etlworks.yaml", text)))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("mockserver:")]
    assert len(lines) == 1 and where in lines[0] and "etlworks.yaml" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_fixture_that_breaks_its_schema_stops_startup(tmp_path: Path) -> None:
    _write(tmp_path, "fixtures/etlworks/bad.yaml", "- operation: getFlowStatus\n  body: {status: paused}\n")
    result = _serve(str(SPECS / "etlworks.yaml"), "--fixtures", str(tmp_path / "fixtures"))
    assert result.returncode == 2
    assert "bad.yaml:1" in result.stderr and "does not fit the 200 schema" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: address in use" in result.stderr


def test_binding_beyond_loopback_needs_an_admin_token() -> None:
    result = _serve("--host", "0.0.0.0")
    assert result.returncode == 2 and "--admin-token" in result.stderr


def test_admin_token_guards_the_control_api(tmp_path: Path) -> None:
    server = start_server("--admin-token", "s3cret", tmp=tmp_path)
    try:
        with server.client() as client:
            refused = client.get("/__mock/journal")
            allowed = client.get("/__mock/journal", headers={"X-Mock-Admin-Token": "s3cret"})
            api = client.get("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"])
    finally:
        server.stop()
    assert refused.status_code == 401 and refused.json()["type"].endswith("admin-token-required")
    assert allowed.status_code == 200 and api.status_code == 200


def test_sigterm_lets_in_flight_requests_finish_and_exits_0(tmp_path: Path) -> None:
    server = start_server("--seed", "1", tmp=tmp_path)
    result: dict[str, httpx.Response] = {}

    def slow_request() -> None:
        headers = {**CREDENTIALS["etlworks"], "Prefer": "delay=1500"}
        result["response"] = httpx.get(server.base_url + "/rest/v1/executions/7", headers=headers, timeout=10)

    thread = threading.Thread(target=slow_request)
    thread.start()
    import time

    time.sleep(0.5)
    server.process.send_signal(signal.SIGTERM)
    thread.join(timeout=10)
    assert server.process.wait(timeout=10) == 0
    assert result["response"].status_code == 200 and result["response"].json()["flowId"] == 7
    assert "poll report:" in server.log.read_text()


def test_sixth_api_spec_lints_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "lint", str(DATA / "sixth" / "pipelines.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout


def test_workers_give_identical_answers(tmp_path: Path) -> None:
    # Origin "now" is fixed once by the parent; mock time nearly frozen so no run moves mid-test.
    server = start_server("--workers", "2", "--clock-origin", "now", "--time-scale", "0.001", tmp=tmp_path)
    try:
        path = "/v1/spaces/acme/projects/web/workflowRuns/0f8fad5b-d9cb-469f-a165-70867728950e"
        bodies = []
        for _ in range(30):  # a fresh connection each time, so both workers answer
            with httpx.Client(base_url=server.base_url) as client:
                bodies.append(client.get(path, headers=CREDENTIALS["codecatalyst"]).json())
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    finally:
        server.stop()
    assert len(children) >= 2, "uvicorn runs one process per worker"
    assert all(body == bodies[0] for body in bodies)
