"""What `mockserver serve` prints: one safe line per request, no tracebacks, a short poll summary."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from mockserver.server.polls import SHUTDOWN_TOP
from tests.conftest import CREDENTIALS, RunningServer, start_server

ETL = CREDENTIALS["etlworks"]


def _stopped_log(server: RunningServer) -> str:
    server.stop()
    assert server.process.returncode == 0
    return server.log.read_text(encoding="utf-8", errors="replace")


def _drop_every_answer(server: RunningServer) -> None:
    with server.client() as client:
        for flow in (1, 2):
            try:
                client.get(f"/rest/v1/executions/{flow}", headers=ETL)
            except httpx.HTTPError:
                continue
            raise AssertionError("the fault should have dropped the connection")


def test_a_dropped_connection_logs_dropped_without_a_traceback(tmp_path: Path) -> None:
    server = start_server("--drop-rate", "1", tmp=tmp_path)
    _drop_every_answer(server)
    log = _stopped_log(server)
    assert "GET /rest/v1/executions/1 dropped " in log and "GET /rest/v1/executions/2 dropped " in log
    assert " 200 " not in log
    assert "Traceback" not in log and "ERROR" not in log and "without completing" not in log


def test_a_dropped_connection_prints_nothing_under_quiet(tmp_path: Path) -> None:
    server = start_server("--drop-rate", "1", "--quiet", tmp=tmp_path)
    _drop_every_answer(server)
    log = _stopped_log(server)
    lines = log.strip().splitlines()
    banner_end = next(i for i, line in enumerate(lines) if line.strip().startswith("control API"))
    assert log.startswith("mockserver: serving")
    assert lines[banner_end + 1 :] == [], log  # the start-up banner alone


def test_a_refused_credential_is_one_line_of_ours(tmp_path: Path) -> None:
    server = start_server("--quiet", tmp=tmp_path)
    with server.client() as client:
        assert client.get("/rest/v1/executions/5").status_code == 401
    log = _stopped_log(server)
    assert "No auth provided" not in log
    server = start_server(tmp=tmp_path)
    with server.client() as client:
        assert client.get("/rest/v1/executions/5").status_code == 401
    log = _stopped_log(server)
    assert "GET /rest/v1/executions/5 401 " in log and "No auth provided" not in log


def test_control_characters_of_a_path_are_escaped_in_the_log(tmp_path: Path) -> None:
    server = start_server(tmp=tmp_path)
    with server.client() as client:
        client.get("/schemathesis-probe%1B%01%7F", headers=ETL)
        client.get("/rest/v1/executions/7?q=%1B[2J", headers=ETL)
    log = _stopped_log(server)
    assert "GET /schemathesis-probe\\x1b\\x01\\x7f 404 " in log
    assert "\x1b" not in log and "\x01" not in log and "\x7f" not in log


def test_the_shutdown_poll_report_names_the_most_polled_and_counts_the_rest(tmp_path: Path) -> None:
    server = start_server(tmp=tmp_path)
    flows = range(100, 100 + SHUTDOWN_TOP + 3)
    with server.client() as client:
        for _ in range(3):
            client.get("/rest/v1/executions/4242", headers=ETL)
        for flow in flows:
            client.get(f"/rest/v1/executions/{flow}", headers=ETL)
        full = client.get("/__mock/polls").json()["polls"]
    log = _stopped_log(server)
    assert len(full) == SHUTDOWN_TOP + 4  # /__mock/polls keeps every one
    lines = [line for line in log.splitlines() if line.startswith("poll report:")]
    assert len(lines) == SHUTDOWN_TOP + 1
    most = orjson.dumps({"api": "etlworks", "resource": "flowStatus", "params": {"flowId": 4242}}).decode()
    assert most in lines[0] and ": 3 polls" in lines[0]
    assert lines[-1] == "poll report: ... and 4 more (all of them: GET /__mock/polls)"
    assert "(" not in "".join(line.split(": ", 2)[1] for line in lines[:-1])  # no Python tuple reprs
