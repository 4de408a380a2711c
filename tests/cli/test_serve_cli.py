"""`mockserver serve` as a process: bad configuration, access rules, graceful shutdown."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

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


def _wait_for_health(base: str, process: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited {process.returncode}"
        try:
            return httpx.get(base + "/__mock/health", timeout=1).json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("no answer within 30 s")


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
        # The workers share one journal (a SQLite store): whichever answers shows all 30 requests
        # (another worker's entries are written behind, within a round trip).
        # Which worker answers shows in the health answer; fresh connections reach both.
        pids = set()
        for _ in range(200):
            with httpx.Client(base_url=server.base_url) as client:
                pids.add(client.get("/__mock/health").json()["worker"]["pid"])
            if len(pids) >= 2:
                break
        journals = set()
        for _ in range(10):
            for _ in range(100):
                with httpx.Client(base_url=server.base_url) as client:
                    entries = client.get("/__mock/journal", params={"limit": 100}).json()["entries"]
                if len(entries) >= 30:
                    break
                time.sleep(0.05)
            journals.add(tuple(sorted(str(entry) for entry in entries)))
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    finally:
        server.stop()
    assert len(children) >= 2, "uvicorn runs one process per worker"
    assert len(pids) == 2 and pids <= {int(child) for child in children}, (pids, children)
    assert all(body == bodies[0] for body in bodies)
    assert len(journals) == 1 and len(next(iter(journals))) == 30, "one journal, every request"
    log = server.log.read_text()
    assert "Warning" not in log and "warn" not in log.lower(), log  # not ours to show (issue 14 #13)


def test_restart_on_the_same_port_right_after_a_held_keep_alive_connection(tmp_path: Path) -> None:
    # The server closes the idle keep-alive connection at shutdown, so its end sits in TIME_WAIT:
    # the start-up port probe must bind like uvicorn does (SO_REUSEADDR), or the restart fails.
    port = free_port()
    first = start_server(tmp=tmp_path, port=port)
    with httpx.Client(base_url=first.base_url) as held:
        assert held.get("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"]).status_code == 200
        first.stop()
        assert first.process.returncode == 0
        second = start_server(tmp=tmp_path, port=port)
    try:
        answer = httpx.get(second.base_url + "/rest/v1/executions/1", headers=CREDENTIALS["etlworks"])
    finally:
        second.stop()
    assert answer.status_code == 200 and answer.json()["flowId"] == 1


@pytest.mark.parametrize("port", ["99999", "-5", "0", "http"])
def test_a_port_out_of_range_is_one_line_and_exit_2(port: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", port],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"mockserver serve: error: argument --port: expected a port number 1-65535, got {port!r}"
        " (see mockserver serve --help)"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("serve", "--prot", "1"), "mockserver serve: error: unknown option --prot (did you mean --port?)"),
        (("serve", "--time-scael", "3"), "unknown option --time-scael (did you mean --time-scale?)"),
        (("lint", "--verbose"), "mockserver lint: error: unknown option --verbose"),
        (("serv",), "(did you mean serve?)"),
    ],
)
def test_a_mistyped_option_gets_one_line_with_did_you_mean(args: tuple[str, ...], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and expected in result.stderr, result.stderr


def test_top_level_help_speaks_to_users() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "Command line only" not in result.stdout and "exit code" not in result.stdout.split("\n\n")[1]
    for command in ("serve", "verify", "lint", "wait"):
        assert f"    {command} " in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MOCKSERVER_PORT": "70000"}, "MOCKSERVER_PORT=70000: expected a port number 1-65535"),
        ({"MOCKSERVER_WORKERS": "0"}, "MOCKSERVER_WORKERS=0: expected at least 1"),
        ({"MOCKSERVER_ERROR_STATUS": "299"}, "MOCKSERVER_ERROR_STATUS=299: expected an error status 400-599"),
    ],
)
def test_a_bad_setting_from_the_environment_is_one_line(env: dict[str, str], expected: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"mockserver: error: {expected}"]


def test_error_status_outside_the_error_range_is_refused_as_a_flag() -> None:
    result = _serve("--error-status", "299", "--error-rate", "0.5")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "mockserver serve: error: argument --error-status: expected an error status 400-599, got '299'"
        " (see mockserver serve --help)"
    ]


def test_banner_names_each_api_with_its_base_url_the_ui_and_the_control_api(tmp_path: Path) -> None:
    server = start_server(tmp=tmp_path)
    server.stop()
    log = server.log.read_text()
    base = server.base_url
    assert f"mockserver: serving 5 APIs from {SPECS} on {base}/" in log, log
    for slug, path in [
        ("codecatalyst", ""),
        ("eightbyeight", "/api/v1"),
        ("etlworks", ""),
        ("onedata", "/api/v3/oneprovider"),
        ("oracle_selfservice", "/selfservice/v1"),
    ]:
        assert re.search(rf"^  {slug} +{re.escape(base + path)}/ ", log, re.M), log
    assert re.search(rf"^  UI +{re.escape(base)}/ ", log, re.M), log
    assert re.search(rf"^  control API +{re.escape(base)}/__mock/ ", log, re.M), log
    assert "Warning" not in log, log


def test_serve_in_a_folder_with_its_own_specs_serves_those(tmp_path: Path) -> None:
    # The rule (README, Commands): a specs/ folder in the current directory wins over the bundled
    # specs, with fixtures/ from that folder too (if it has one); the banner says which.
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    (project / "specs" / "pipelines.yaml").write_text((DATA / "sixth" / "pipelines.yaml").read_text())
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(port)],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "PYTHONPATH": str(ROOT)},
        )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert health["apis"] == ["pipelines"], health
    assert f"serving 1 API from {project / 'specs'} on" in log.read_text()


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_a_fixture_folder_that_does_not_exist_stops_startup(tmp_path: Path, where: str) -> None:
    missing = tmp_path / "nodir"
    args = ["--fixtures", str(missing)] if where == "flag" else []
    source = f"--fixtures {missing}" if where == "flag" else f"MOCKSERVER_FIXTURES={missing}"
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MOCKSERVER_FIXTURES": str(missing)} if where == "environment" else None,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"mockserver: error: {source}: no such folder"]


def test_shutdown_poll_report_shows_the_most_polled_then_a_count(tmp_path: Path) -> None:
    server = start_server(tmp=tmp_path)
    with server.client() as client:
        for flow in range(1, 14):  # flow N polled N times: 13 executions
            for _ in range(flow):
                client.get(f"/rest/v1/executions/{flow}", headers=CREDENTIALS["etlworks"])
        full = client.get("/__mock/polls").json()["polls"]
    server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.startswith("poll report: ")]
    assert len(full) == 13
    assert [int(re.search(r": (\d+) polls,", line)[1]) for line in lines[:10]] == list(range(13, 3, -1)), (
        lines
    )
    assert lines[10:] == ["poll report: ... and 3 more (all of them: GET /__mock/polls)"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_refused_request_logs_our_line_only(tmp_path: Path, workers: str) -> None:
    server = start_server("--workers", workers, tmp=tmp_path)
    try:
        for _ in range(4):
            with server.client() as client:
                assert client.get("/rest/v1/executions/1").status_code == 401
    finally:
        server.stop()
    log = server.log.read_text()
    assert "No auth provided" not in log, log  # Connexion's own line: ours already says 401
    if workers == "1":
        assert log.count("GET /rest/v1/executions/1 401 ") == 4, log
