"""The fakes that prove `verify`: each breakage breaks its one fact, and the rest is the mock.

In process (Starlette's test client) with mock time frozen, so the fake and the mock are asked
at the same mock moment and must agree wherever the breakage does not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings
from tests.conftest import ALL_CREDENTIALS, CREDENTIALS, SLUGS, SPECS
from tests.verify.fake import (
    BREAKAGES,
    NONE,
    BreakingMiddleware,
    Forward,
    Request,
    Response,
    build_app,
    operation_finder,
)

SETTINGS = Settings(
    specs=tuple(SPECS / f"{slug}.yaml" for slug in SLUGS),
    clock_origin="2026-01-01T00:00:00Z",
    time_scale=1e-9,  # frozen: mock time moves a nanosecond per second
)
RUN = "/v1/spaces/ExampleCorp/projects/MyDemoProject/workflowRuns/a1b2c3d4-5678-90ab-cdef-000000123abc"
DEFINITIONS = [f"5870442f-3ddd-4657-b74c-6e17308f{n:04d}" for n in range(8)]
WORKFLOWS = "/api/v1/accounts/acme/definitions/{}/workflows"
FLOW = "/rest/v1/executions/{}"
EXECUTION = "/api/v3/oneprovider/automation/execution/workflows/11a53ed06d175c89bc3ed5be61f8217cch1890"
STATUS = "/selfservice/v1/executions/status?id=9-C&id=1-A&id=5-B&requestor=X"
DETAILS = "/selfservice/v1/executions/3-AAAA111/status/details?requestor=X"

# Requests that cover each API's answers: success, fixture, invalid, unauthenticated, 404, 405.
SAME = [
    ("GET", "/", {}),
    ("GET", RUN, CREDENTIALS["codecatalyst"]),
    ("GET", RUN.replace("a1b2c3d4", "0f8fad5b"), CREDENTIALS["codecatalyst"]),
    ("GET", RUN.replace("a1b2c3d4", "nothex00"), CREDENTIALS["codecatalyst"]),
    ("GET", RUN, {}),
    ("GET", WORKFLOWS.format(DEFINITIONS[0]) + "?limit=3&offset=1", CREDENTIALS["eightbyeight"]),
    ("GET", WORKFLOWS.format(DEFINITIONS[1]) + "?status=Complete", CREDENTIALS["eightbyeight"]),
    ("GET", WORKFLOWS.format(DEFINITIONS[0]) + "?limit=501", CREDENTIALS["eightbyeight"]),
    ("GET", WORKFLOWS.format("not-a-uuid"), CREDENTIALS["eightbyeight"]),
    ("GET", FLOW.format(1234) + "?auditId=1234567", CREDENTIALS["etlworks"]),
    ("GET", "/plugins/dashboard/rest/v1/flows/77", CREDENTIALS["etlworks"]),
    ("GET", FLOW.format("abc"), CREDENTIALS["etlworks"]),
    ("GET", FLOW.format(77), {}),
    ("DELETE", FLOW.format(77), CREDENTIALS["etlworks"]),
    ("GET", EXECUTION, CREDENTIALS["onedata"]),
    ("GET", EXECUTION, {}),
    ("GET", STATUS, CREDENTIALS["oracle_selfservice"]),
    ("GET", DETAILS, CREDENTIALS["oracle_selfservice"]),
    ("GET", DETAILS + "&stepId=999999", CREDENTIALS["oracle_selfservice"]),
    ("GET", "/rest/v1/execution/12", {}),
]


def _client(app: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


MOCK = create_app(SETTINGS)
FIND = operation_finder(SETTINGS.specs)


@pytest.fixture(scope="module")
def mock() -> Iterator[TestClient]:
    with _client(MOCK) as client:
        yield client


def _fake(name: str) -> TestClient:
    """A fresh fake (a breakage's own state starts empty) around the one mock app."""
    return _client(BreakingMiddleware(MOCK, FIND, BREAKAGES[name].make()))


def _comparable(response: httpx.Response) -> tuple[int, dict[str, str], Any]:
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    if not response.headers.get("content-type", "").startswith(("application/json", "application/problem")):
        return response.status_code, headers, response.text

    def strip(node: Any) -> Any:  # error ids and error times are drawn per request
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("errorId", "timestamp")}
        return [strip(v) for v in node] if isinstance(node, list) else node

    return response.status_code, headers, strip(response.json())


@pytest.mark.parametrize(("method", "path", "headers"), SAME, ids=[f"{m} {p}" for m, p, _ in SAME])
def test_a_breakage_that_only_forwards_answers_exactly_like_the_mock(
    mock: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    async def forward_only(request: Request, forward: Forward) -> Response:
        return await forward(request)

    fake = _client(BreakingMiddleware(MOCK, FIND, forward_only))
    assert _comparable(fake.request(method, path, headers=headers)) == _comparable(
        mock.request(method, path, headers=headers)
    )


def test_break_none_is_the_mock_itself() -> None:
    assert type(build_app(NONE, SETTINGS)) is type(create_app(SETTINGS))


# -- one probe per breakage: True while the documented fact holds ------------------------------


def _get(client: TestClient, path: str, slug: str = "", **headers: str) -> httpx.Response:
    response: httpx.Response = client.get(
        path, headers={**(CREDENTIALS[slug] if slug else ALL_CREDENTIALS), **headers}
    )
    return response


def _time(value: str | int) -> float:
    if isinstance(value, int):  # epoch milliseconds: another breakage's, compared all the same
        return value / 1000
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _lists(client: TestClient, query: str = "") -> list[list[Any]]:
    return [_get(client, WORKFLOWS.format(d) + query).json() for d in DEFINITIONS]


def _flows(client: TestClient) -> list[dict[str, Any]]:
    return [_get(client, FLOW.format(flow)).json() for flow in range(100, 130)]


def enum_value(client: TestClient) -> bool:
    return bool(_get(client, RUN).json()["status"] == "SUCCEEDED")


def missing_required(client: TestClient) -> bool:
    return "workflowId" in _get(client, RUN).json()


def wrong_type(client: TestClient) -> bool:
    paths = [FLOW.format(1234), "/plugins/dashboard/rest/v1/flows/1234"]
    return all(isinstance(_get(client, path).json()["started"], int) for path in paths)


def epoch_for_rfc3339(client: TestClient) -> bool:
    return all(isinstance(item["startedAt"], str) for items in _lists(client) for item in items)


def undocumented_status(client: TestClient) -> bool:
    return _get(client, EXECUTION).status_code == 200


def wrong_content_type(client: TestClient) -> bool:
    return _get(client, FLOW.format(1234)).headers["content-type"] == "application/json"


def server_error(client: TestClient) -> bool:
    return _get(client, DETAILS).status_code == 200 and _get(client, STATUS).status_code == 200


def bad_input_accepted(client: TestClient) -> bool:
    queries = ["?limit=501", "?limit=0", "?offset=-1", "?status=Running", "?startTimeFrom=yesterday"]
    return all(_get(client, WORKFLOWS.format(DEFINITIONS[0]) + q).status_code == 400 for q in queries)


def over_limit(client: TestClient) -> bool:
    return all(len(items) <= 2 for items in _lists(client, "?limit=2"))


def filter_ignored(client: TestClient) -> bool:
    return all(i["status"] == "Terminated" for items in _lists(client, "?status=Terminated") for i in items)


def wrong_order(client: TestClient) -> bool:
    starts = [[_time(item["startedAt"]) for item in items] for items in _lists(client)]
    return all(times == sorted(times, reverse=True) for times in starts)


def other_id(client: TestClient) -> bool:
    return bool(_get(client, EXECUTION).json()["atmWorkflowExecutionId"] == EXECUTION.rsplit("/", 1)[1])


def unauthenticated_accepted(client: TestClient) -> bool:
    response: httpx.Response = client.get(FLOW.format(77))
    return response.status_code == 401


def status_regression(client: TestClient) -> bool:
    return len({_get(client, RUN).json()["status"] for _ in range(3)}) == 1


def start_moves(client: TestClient) -> bool:
    paths = [EXECUTION.replace("11a53ed", f"{n:07d}") for n in range(5)]  # generated, mostly started
    return all(len({_get(client, path).json()["startTime"] for _ in range(3)}) == 1 for path in paths)


def end_before_start(client: TestClient) -> bool:
    flows = [*_flows(client), _get(client, FLOW.format(1234)).json()]
    return all(int(f["ended"]) >= int(f["started"]) for f in flows if "ended" in f)


def status_fields(client: TestClient) -> bool:
    return all("ended" not in flow for flow in _flows(client) if flow["status"] == "running")


def when_field(client: TestClient) -> bool:
    return all(flow["code"] is None for flow in _flows(client) if flow["status"] != "error")


def end_moves(client: TestClient) -> bool:
    paths = [FLOW.format(flow) for flow in range(100, 110)]
    return all(len({_get(client, path).json().get("ended") for _ in range(3)}) == 1 for path in paths)


def end_unset(client: TestClient) -> bool:
    runs = [_get(client, RUN.replace("a1b2c3d4", f"{n:08x}")).json() for n in range(12)]
    return all("endTime" in run for run in runs if run["status"] in ("SUCCEEDED", "FAILED", "STOPPED"))


def start_before_created(client: TestClient) -> bool:
    items = [item for items in _lists(client) for item in items]
    return all(_time(i["startedAt"]) >= _time(i["data"]["triggeredAt"]) for i in items)


def pages_inconsistent(client: TestClient) -> bool:
    path = WORKFLOWS.format(DEFINITIONS[0])
    whole = _get(client, path + "?limit=6").json()
    pages = [_get(client, f"{path}?limit=2&offset={offset}").json() for offset in (0, 2, 4)]
    return len(whole) == 6 and pages[0] + pages[1] + pages[2] == whole


def missing_id(client: TestClient) -> bool:
    return [e["executionId"] for e in _get(client, STATUS).json()["response"]] == ["9-C", "1-A", "5-B"]


def no_405(client: TestClient) -> bool:
    path = FLOW.format(77)
    return all(
        client.request(m, path, headers=ALL_CREDENTIALS).status_code == 405 for m in ("POST", "DELETE")
    )


PROBES: dict[str, Callable[[TestClient], bool]] = {
    "enum-value": enum_value,
    "missing-required": missing_required,
    "wrong-type": wrong_type,
    "epoch-for-rfc3339": epoch_for_rfc3339,
    "undocumented-status": undocumented_status,
    "wrong-content-type": wrong_content_type,
    "server-error": server_error,
    "bad-input-accepted": bad_input_accepted,
    "over-limit": over_limit,
    "filter-ignored": filter_ignored,
    "wrong-order": wrong_order,
    "other-id": other_id,
    "unauthenticated-accepted": unauthenticated_accepted,
    "status-regression": status_regression,
    "start-moves": start_moves,
    "end-before-start": end_before_start,
    "status-fields": status_fields,
    "when-field": when_field,
    "pages-inconsistent": pages_inconsistent,
    "end-moves": end_moves,
    "end-unset": end_unset,
    "start-before-created": start_before_created,
    "missing-id": missing_id,
    "no-405": no_405,
}
# A page of limit+1 items, or a page in reverse, is also not a slice of the one list.
OVERLAPS = {("over-limit", "pages-inconsistent"), ("wrong-order", "pages-inconsistent")}


def test_every_breakage_has_a_probe() -> None:
    assert set(PROBES) == set(BREAKAGES)


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_each_breakage_breaks_its_fact_and_the_mock_keeps_it(mock: TestClient, name: str) -> None:
    probe = PROBES[name]
    assert probe(mock), f"the mock itself breaks: {BREAKAGES[name].fact}"
    assert not probe(_fake(name)), f"{name} does not break: {BREAKAGES[name].fact}"


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_each_breakage_keeps_every_other_fact(mock: TestClient, name: str) -> None:
    broken = [
        other
        for other, probe in PROBES.items()
        if other != name and (name, other) not in OVERLAPS and not probe(_fake(name))
    ]
    assert broken == [], f"{name} also breaks " + "; ".join(BREAKAGES[b].fact for b in broken)
