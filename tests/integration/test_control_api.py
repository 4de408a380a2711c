"""The control API (`/__mock/`): checked pins, keys as JSON objects, ISO times, a correct 405."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.conftest import CREDENTIALS, start_server

PROBLEM = "urn:mockserver:problem:bad-request"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    # --validate-responses: every answer of the control API is checked against admin.yaml too.
    server = start_server("--validate-responses", tmp=tmp_path_factory.mktemp("control"))
    with server.client() as client:
        yield client
    server.stop()


def _pin(http: httpx.Client, params: Any, **changes: Any) -> httpx.Response:
    body = {"api": "etlworks", "operation": "getFlowStatus", "params": params, "scenario": "stays-running"}
    return http.put("/__mock/scenarios", json={**body, **changes})


def test_get_on_reset_is_405_allowing_post(http: httpx.Client) -> None:
    response = http.get("/__mock/reset")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["detail"] == "GET is not declared for /__mock/reset; allowed: POST"


def test_a_parameter_name_of_the_wrong_case_is_refused_naming_the_apis_own(http: httpx.Client) -> None:
    response = _pin(http, {"flowid": 42})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == PROBLEM
    assert "'flowid'" in problem["detail"] and "did you mean 'flowId'?" in problem["detail"]


def test_a_parameter_value_of_the_wrong_type_is_refused_as_a_request_would_be(http: httpx.Client) -> None:
    response = _pin(http, {"flowId": "abc"})
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM
    assert response.json()["detail"] == "params: path parameter 'flowId' must be of type integer (got 'abc')"


def test_a_path_parameter_that_names_the_id_is_required(http: httpx.Client) -> None:
    response = _pin(http, {})
    assert response.status_code == 400
    assert "'flowId' is required" in response.json()["detail"]


def test_a_mistyped_api_or_scenario_gets_did_you_mean(http: httpx.Client) -> None:
    assert "did you mean 'etlworks'?" in _pin(http, {"flowId": 1}, api="etlwork").json()["detail"]
    wrong_op = _pin(http, {"flowId": 1}, operation="getStatus").json()["detail"]
    assert "did you mean 'getFlowStatus'?" in wrong_op
    wrong_scenario = _pin(http, {"flowId": 1}, scenario="stays_running").json()["detail"]
    assert "did you mean 'stays-running'?" in wrong_scenario


def test_a_pin_given_the_id_as_text_keys_the_same_requests_as_a_number(http: httpx.Client) -> None:
    """Params are typed as a request's are: "4242" pins the id that GET .../4242 polls."""
    pinned = _pin(http, {"flowId": "4242"}, scenario="fails-after-3-polls")
    assert pinned.status_code == 200
    assert pinned.json()["key"] == {"api": "etlworks", "resource": "flowStatus", "params": {"flowId": 4242}}
    states = [
        http.get("/rest/v1/executions/4242", headers=CREDENTIALS["etlworks"]).json()["status"]
        for _ in range(4)
    ]
    assert states == ["running", "running", "running", "error"]


def test_keys_and_times_in_the_journal_polls_and_clock_are_json(http: httpx.Client) -> None:
    http.post("/__mock/reset")
    http.get("/rest/v1/executions/4343?auditId=7", headers=CREDENTIALS["etlworks"])
    key = {"api": "etlworks", "resource": "flowStatus", "params": {"flowId": 4343, "auditId": 7}}
    (entry,) = http.get("/__mock/journal").json()["entries"]
    assert [e["key"] for e in entry["executions"]] == [key]
    assert entry["time"].endswith("Z") and len(entry["time"]) == len("2026-01-01T00:00:00.000Z")
    health_now = datetime.fromisoformat(http.get("/__mock/health").json()["now"])
    assert datetime.fromisoformat(entry["time"]).tzinfo == health_now.tzinfo
    (summary,) = http.get("/__mock/polls").json()["polls"]
    assert summary["execution"] == key
    body = {"seconds": 60, "api": "etlworks", "operation": "getFlowStatus", "params": {"flowId": 4343}}
    advanced = http.post("/__mock/clock", json=body).json()
    assert advanced["key"] == {"api": "etlworks", "resource": "flowStatus", "params": {"flowId": 4343}}


def test_a_list_items_key_names_its_each_parameter(http: httpx.Client) -> None:
    body = {
        "seconds": 5,
        "api": "oracle_selfservice",
        "operation": "getWorkflowStatus",
        "params": {"id": "9-X"},
    }
    advanced = http.post("/__mock/clock", json=body)
    assert advanced.status_code == 200
    assert advanced.json()["key"] == {
        "api": "oracle_selfservice",
        "resource": "getWorkflowStatus",
        "params": {"id": "9-X"},
    }
