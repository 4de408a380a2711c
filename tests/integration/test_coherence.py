"""Generated answers agree with the request: ids, lists, status-dependent fields, step trees, fixtures."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.spec.catalog import load_document, resolve_refs
from tests.conftest import CREDENTIALS, SPECS, start_server
from tests.property.stories import lanes_follow

DEFINITION = "5b0c2f9e-6d1a-4c55-9a0e-3f4f2b7c8d10"  # 19-24 instances per version, mixed states
WORKFLOWS = f"/api/v1/accounts/acme/definitions/{DEFINITION}/workflows"
ORACLE = CREDENTIALS["oracle_selfservice"]
EIGHT = CREDENTIALS["eightbyeight"]


def _time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _seed_example(slug: str, path: str, name: str = "seedSample") -> Any:
    document = resolve_refs(load_document(SPECS / f"{slug}.yaml"), where=slug)
    content = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return content["examples"][name]["value"]


def test_etlworks_echoes_flow_and_audit_ids(client: httpx.Client) -> None:
    body = client.get("/rest/v1/executions/4321?auditId=99", headers=CREDENTIALS["etlworks"]).json()
    assert (body["flowId"], body["auditId"]) == (4321, 99)


def test_etlworks_current_and_legacy_paths_agree(client: httpx.Client) -> None:
    current = client.get("/rest/v1/executions/4321", headers=CREDENTIALS["etlworks"]).json()
    legacy = client.get("/plugins/dashboard/rest/v1/flows/4321", headers=CREDENTIALS["etlworks"]).json()
    assert current == legacy


@pytest.mark.parametrize("flow", range(100, 130))
def test_etlworks_fields_follow_the_status(client: httpx.Client, flow: int) -> None:
    body = client.get(f"/rest/v1/executions/{flow}", headers=CREDENTIALS["etlworks"]).json()
    if body["status"] == "running":
        assert "ended" not in body and "duration" not in body
    else:
        assert body["ended"] >= body["started"]
        assert body["duration"].endswith("sec")
    if body["status"] != "error":
        assert body["code"] is None and body["errorLocationInSql"] is None


def test_oracle_status_has_one_entry_per_requested_id_in_order(client: httpx.Client) -> None:
    path = "/selfservice/v1/executions/status?id=9-C&id=1-A&id=5-B&requestor=X"
    body = client.get(path, headers=ORACLE).json()
    assert [e["executionId"] for e in body["response"]] == ["9-C", "1-A", "5-B"]


def test_oracle_entry_for_an_id_is_the_same_alone_or_with_others(client: httpx.Client) -> None:
    together = client.get("/selfservice/v1/executions/status?id=1-A&id=5-B&requestor=X", headers=ORACLE)
    alone = client.get("/selfservice/v1/executions/status?id=5-B&requestor=X", headers=ORACLE)
    assert together.json()["response"][1] == alone.json()["response"][0]


def test_oracle_step_tree_can_be_walked(client: httpx.Client) -> None:
    base = "/selfservice/v1/executions/7-TREE/status/details?requestor=X"
    pending, seen = [0], set()
    while pending:
        step = pending.pop()
        response = client.get(f"{base}&stepId={step}", headers=ORACLE)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["executionId"] == "7-TREE" and body["stepId"] == step
        for sub in body["subSteps"]:
            assert sub["stepId"] not in seen, "step ids are unique in the tree"
            seen.add(sub["stepId"])
            if sub["hasSubStep"]:
                pending.append(sub["stepId"])
            else:
                leaf = client.get(f"{base}&stepId={sub['stepId']}", headers=ORACLE).json()
                assert leaf["subSteps"] == []
    assert len(seen) >= 2


def test_oracle_step_outside_the_tree_is_its_404(client: httpx.Client) -> None:
    path = "/selfservice/v1/executions/7-TREE/status/details?requestor=X&stepId=987654"
    response = client.get(path, headers=ORACLE)
    assert response.status_code == 404
    assert response.json()["code"] == "NotAuthorizedOrNotFound"


def test_8x8_list_is_newest_first_and_echoes_ids(client: httpx.Client) -> None:
    items = client.get(f"{WORKFLOWS}?limit=500", headers=EIGHT).json()
    assert len(items) >= 10, "a list long enough for its order to mean something"
    starts = [_time(i["startedAt"]) for i in items]
    assert starts == sorted(starts, reverse=True)
    assert {(i["definitionId"], i["data"]["accountId"]) for i in items} == {(DEFINITION, "acme")}


def test_8x8_without_version_lists_the_latest_version_only(client: httpx.Client) -> None:
    items = client.get(f"{WORKFLOWS}?limit=500", headers=EIGHT).json()
    every = [
        i for v in (1, 2, 3) for i in client.get(f"{WORKFLOWS}?limit=500&version={v}", headers=EIGHT).json()
    ]
    latest = max(i["version"] for i in every)
    assert {i["version"] for i in items} == {latest}
    assert len(items) == sum(1 for i in every if i["version"] == latest)


def test_8x8_pages_are_slices_of_one_stable_list(client: httpx.Client) -> None:
    whole = client.get(f"{WORKFLOWS}?limit=500&version=1", headers=EIGHT).json()
    assert len(whole) >= 10, "several pages"
    pages: list[Any] = []
    for offset in range(0, len(whole) + 7, 7):
        page = client.get(f"{WORKFLOWS}?limit=7&offset={offset}&version=1", headers=EIGHT).json()
        assert len(page) <= 7
        pages += page
    assert [i["workflowId"] for i in pages] == [i["workflowId"] for i in whole]
    assert len({i["workflowId"] for i in pages}) == len(pages)


def test_8x8_filters_by_status_and_start_time(client: httpx.Client) -> None:
    whole = client.get(f"{WORKFLOWS}?limit=500&version=2", headers=EIGHT).json()
    middle = whole[len(whole) // 2]["startedAt"]
    done = client.get(f"{WORKFLOWS}?limit=500&version=2&status=Complete", headers=EIGHT).json()
    assert 0 < len(done) < len(whole), "the status filter removes some and keeps some"
    assert [i["workflowId"] for i in done] == [i["workflowId"] for i in whole if i["status"] == "Complete"]
    assert all(i["completedAt"] is not None for i in done)
    newer = client.get(f"{WORKFLOWS}?limit=500&version=2&startTimeFrom={middle}", headers=EIGHT).json()
    assert [i["workflowId"] for i in newer] == [i["workflowId"] for i in whole[: len(whole) // 2 + 1]]
    older = client.get(f"{WORKFLOWS}?limit=500&version=2&startTimeTo={middle}", headers=EIGHT).json()
    assert [i["workflowId"] for i in older] == [i["workflowId"] for i in whole[len(whole) // 2 :]]


def test_8x8_completed_at_is_null_unless_complete(client: httpx.Client) -> None:
    items = client.get(f"{WORKFLOWS}?limit=500&version=3", headers=EIGHT).json()
    assert len(items) >= 10
    for item in items:
        assert (item["completedAt"] is not None) == (item["status"] == "Complete")


def test_seed_samples_are_served_exactly(client: httpx.Client) -> None:
    path = "/selfservice/v1/executions/status?id=3-BLFVC0W&id=3-XTFVC0W&requestor=EXADATA_CPU_SCALE"
    assert client.get(path, headers=ORACLE).json() == _seed_example(
        "oracle_selfservice", "/executions/status"
    )
    details = client.get("/selfservice/v1/executions/3-7JZXAGH/status/details?requestor=X", headers=ORACLE)
    assert details.json() == _seed_example("oracle_selfservice", "/executions/{id}/status/details")
    flow = client.get("/rest/v1/executions/1234", headers=CREDENTIALS["etlworks"])
    assert flow.json() == _seed_example("etlworks", "/rest/v1/executions/{flowId}")
    listing = "/api/v1/accounts/test_account_id/definitions/5870442f-3ddd-4657-b74c-6e17308f5230/workflows"
    assert client.get(listing, headers=EIGHT).json() == _seed_example(
        "eightbyeight", "/accounts/{accountId}/definitions/{definitionId}/workflows"
    )


def test_list_rules_apply_to_fixture_lists(client: httpx.Client) -> None:
    listing = "/api/v1/accounts/test_account_id/definitions/5870442f-3ddd-4657-b74c-6e17308f5230/workflows"
    assert len(client.get(f"{listing}?limit=1", headers=EIGHT).json()) == 1
    assert client.get(f"{listing}?status=Runnable", headers=EIGHT).json() == []


def test_fixtures_only_answers_unknown_ids_with_the_apis_404(tmp_path: Path) -> None:
    strict = start_server("--fixtures-only", tmp=tmp_path)
    try:
        with strict.client() as http:
            unknown = http.get(WORKFLOWS, headers=EIGHT)
            known = http.get(
                "/api/v1/accounts/test_account_id/definitions/5870442f-3ddd-4657-b74c-6e17308f5230/workflows",
                headers=EIGHT,
            )
    finally:
        strict.stop()
    assert unknown.status_code == 404 and unknown.json()["code"] == 1300
    assert known.status_code == 200 and len(known.json()) == 2


@pytest.mark.parametrize("run", range(20))
def test_codecatalyst_end_time_only_when_terminal(client: httpx.Client, run: int) -> None:
    path = f"/v1/spaces/acme-space/projects/web-app/workflowRuns/0f8fad5b-d9cb-469f-a165-{run:012d}"
    body = client.get(path, headers=CREDENTIALS["codecatalyst"]).json()
    assert (body["id"], body["spaceName"], body["projectName"]) == (
        path.rsplit("/", 1)[1],
        "acme-space",
        "web-app",
    )
    terminal = body["status"] in ("SUCCEEDED", "FAILED", "STOPPED")
    assert ("endTime" in body) == terminal
    if terminal:
        assert _time(body["startTime"]) <= _time(body["endTime"]) <= _time(body["lastUpdatedTime"])


@pytest.mark.parametrize("run", range(20))
def test_onedata_times_and_lane_runs_follow_the_workflow(client: httpx.Client, run: int) -> None:
    wid = f"{run:06d}aa0d3f6c8aa1b2c3d4e5f6a7b8c9d0ech1a2b"
    body = client.get(
        f"/api/v3/oneprovider/automation/execution/workflows/{wid}", headers=CREDENTIALS["onedata"]
    ).json()
    assert body["atmWorkflowExecutionId"] == wid
    assert body["suspendTime"] == 0
    if body["status"] == "scheduled":
        assert body["startTime"] == 0 and body["finishTime"] == 0
    elif body["status"] == "active":
        assert body["startTime"] >= body["scheduleTime"] and body["finishTime"] == 0
    else:
        assert body["scheduleTime"] <= body["startTime"] <= body["finishTime"]
    assert lanes_follow(body), body


def test_onedata_and_codecatalyst_samples_are_served_exactly(client: httpx.Client) -> None:
    onedata = client.get(
        "/api/v3/oneprovider/automation/execution/workflows/11a53ed06d175c89bc3ed5be61f8217cch1890",
        headers=CREDENTIALS["onedata"],
    )
    assert onedata.json() == _seed_example("onedata", "/automation/execution/workflows/{wid}")
    run = client.get(
        "/v1/spaces/ExampleCorp/projects/MyDemoProject/workflowRuns/a1b2c3d4-5678-90ab-cdef-000000123abc",
        headers=CREDENTIALS["codecatalyst"],
    )
    assert run.json() == _seed_example(
        "codecatalyst", "/v1/spaces/{spaceName}/projects/{projectName}/workflowRuns/{id}"
    )


def test_a_poller_watches_runs_progress_to_a_terminal_state(tmp_path: Path) -> None:
    live = start_server("--clock-origin", "now", "--time-scale", "30", tmp=tmp_path)
    seen: dict[int, list[str]] = {}
    try:
        with live.client() as http:
            for _ in range(40):
                for flow in range(1, 6):
                    body = http.get(f"/rest/v1/executions/{flow}", headers=CREDENTIALS["etlworks"]).json()
                    states = seen.setdefault(flow, [])
                    if not states or states[-1] != body["status"]:
                        states.append(body["status"])
                if all(s[-1] != "running" for s in seen.values()):
                    break
                time.sleep(0.25)
    finally:
        live.stop()
    assert any(states[0] == "running" for states in seen.values()), seen
    for states in seen.values():
        assert states[-1] in ("success", "warning", "error"), seen
        assert "running" not in states[1:], "a terminal state never turns back into running"


# Lists that can fail: 12 instances in every state, each start time a boundary of its own filter.
EVERY = "/api/v1/accounts/test_account_id/definitions/00000000-0000-4000-8000-0000000000b1/workflows"


def test_8x8_every_state_list_is_newest_first_and_pages_are_slices(client: httpx.Client) -> None:
    whole = client.get(EVERY, headers=EIGHT).json()
    assert len(whole) == 12 and {i["status"] for i in whole} == {
        "Runnable",
        "Suspended",
        "Complete",
        "Terminated",
    }
    starts = [_time(i["startedAt"]) for i in whole]
    assert starts == sorted(starts, reverse=True) and len(set(starts)) == 12
    pages = [client.get(f"{EVERY}?limit=5&offset={o}", headers=EIGHT).json() for o in (0, 5, 10, 15)]
    assert [len(p) for p in pages] == [5, 5, 2, 0]
    assert [i["workflowId"] for p in pages for i in p] == [i["workflowId"] for i in whole]


@pytest.mark.parametrize("status", ["Runnable", "Suspended", "Complete", "Terminated"])
def test_8x8_status_filter_keeps_exactly_that_state(client: httpx.Client, status: str) -> None:
    whole = client.get(EVERY, headers=EIGHT).json()
    kept = client.get(f"{EVERY}?status={status}", headers=EIGHT).json()
    expected = [i["workflowId"] for i in whole if i["status"] == status]
    assert 0 < len(expected) < len(whole)
    assert [i["workflowId"] for i in kept] == expected
    assert all((i["completedAt"] is not None) == (status == "Complete") for i in kept)


@pytest.mark.parametrize("index", [0, 5, 11])
def test_8x8_start_time_bounds_are_inclusive(client: httpx.Client, index: int) -> None:
    whole = client.get(EVERY, headers=EIGHT).json()
    bound = whole[index]["startedAt"]
    newer = client.get(f"{EVERY}?startTimeFrom={bound}", headers=EIGHT).json()
    older = client.get(f"{EVERY}?startTimeTo={bound}", headers=EIGHT).json()
    assert [i["workflowId"] for i in newer] == [i["workflowId"] for i in whole[: index + 1]]
    assert [i["workflowId"] for i in older] == [i["workflowId"] for i in whole[index:]]
    both = client.get(f"{EVERY}?startTimeFrom={bound}&startTimeTo={bound}", headers=EIGHT).json()
    assert [i["workflowId"] for i in both] == [whole[index]["workflowId"]]


def test_8x8_completed_at_is_null_unless_complete_on_every_state(client: httpx.Client) -> None:
    whole = client.get(EVERY, headers=EIGHT).json()
    assert all((i["completedAt"] is not None) == (i["status"] == "Complete") for i in whole)


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A mock whose clock hardly moves (origin = start, 1 mock µs per real second): which branch
    each generated run is in depends on the seed and the clock moves the test makes, not the hour."""
    running = start_server(
        "--clock-origin",
        "now",
        "--time-scale",
        "0.000001",
        "--validate-responses",
        tmp=tmp_path_factory.mktemp("pinned"),
    )
    with running.client() as http:
        yield http
    running.stop()


def _advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("/__mock/clock", json={"seconds": seconds}).status_code in (200, 204)


def test_etlworks_every_status_branch_is_reached_with_a_pinned_clock(pinned: httpx.Client) -> None:
    http = pinned
    http.post("/__mock/reset")
    seen: dict[str, int] = {}
    for moment in (0, 60, 3600):
        if moment:
            _advance(http, moment - (60 if moment == 3600 else 0))
        for flow in range(100, 140):
            body = http.get(f"/rest/v1/executions/{flow}", headers=CREDENTIALS["etlworks"]).json()
            seen[body["status"]] = seen.get(body["status"], 0) + 1
            if body["status"] == "running":
                assert "ended" not in body and "duration" not in body and "exception" not in body
            else:
                assert body["ended"] >= body["started"] and body["duration"].endswith("sec")
            assert body.get("code") is None or body["status"] == "error"
            assert ("exception" in body) == (body["status"] == "error")
            assert body.get("warnings") is None or body["status"] == "warning"
            assert body["fileName"] is None and body["parentAuditId"] is None
            assert body.get("metrics") in (None, []) and body.get("fileMetrics") in (None, [])
    assert {"running", "success", "warning", "error"} <= set(seen), seen


def test_codecatalyst_and_onedata_running_and_terminal_branches_are_reached(pinned: httpx.Client) -> None:
    http = pinned
    http.post("/__mock/reset")
    runs, workflows = set(), set()
    for moment in (0, 3600):
        _advance(http, moment)
        for n in range(30):
            path = f"/v1/spaces/acme-space/projects/web-app/workflowRuns/0f8fad5b-d9cb-469f-a165-{n:012d}"
            body = http.get(path, headers=CREDENTIALS["codecatalyst"]).json()
            runs.add(body["status"])
            terminal = body["status"] in ("SUCCEEDED", "FAILED", "STOPPED")
            assert ("endTime" in body) == terminal and body.get("statusReasons", []) == []
            wid = f"{n:06d}aa0d3f6c8aa1b2c3d4e5f6a7b8c9d0ech1a2b"
            run = http.get(
                f"/api/v3/oneprovider/automation/execution/workflows/{wid}", headers=CREDENTIALS["onedata"]
            )
            flow = run.json()
            workflows.add(flow["status"])
            assert lanes_follow(flow), flow
            for lane in flow["lanes"]:
                assert [(r["runNumber"], r["originRunNumber"], r["runType"]) for r in lane["runs"]] == [
                    (1, None, "regular")
                ]
    assert {"IN_PROGRESS", "SUCCEEDED"} <= runs and len(runs) >= 3, runs
    assert {"active", "finished"} <= workflows, workflows
