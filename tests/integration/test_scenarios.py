"""Status over time: scenarios told poll by poll, the control API, the poll report, faults."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import CREDENTIALS, FIXTURES, RunningServer, start_server
from tests.property.stories import lanes_follow

ORACLE = CREDENTIALS["oracle_selfservice"]


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server("--clock-origin", "now", tmp=tmp_path_factory.mktemp("scenarios"))
    yield running
    running.stop()


@pytest.fixture
def http(mock: RunningServer) -> Iterator[httpx.Client]:
    with mock.client() as client:
        assert client.post("/__mock/reset").status_code == 200
        yield client


def poll(
    http: httpx.Client,
    path: str,
    headers: dict[str, str],
    read: Callable[[Any], Any],
    *,
    done: Callable[[Any], bool],
) -> list[Any]:
    """The loop a client developer writes: poll, back off, honour Retry-After, stop when done."""
    seen: list[Any] = []
    delay = 0.05
    for _ in range(20):
        response = http.get(path, headers=headers)
        if response.status_code == 429:
            seen.append(("429", response.headers.get("retry-after")))
            time.sleep(float(response.headers.get("retry-after", "1")))
            continue
        if response.status_code >= 500:
            seen.append((str(response.status_code), None))
            time.sleep(delay)
            continue
        assert response.status_code == 200, response.text
        value = read(response.json())
        seen.append(value)
        if done(value):
            return seen
        time.sleep(delay)
        delay = min(delay * 1.5, 0.3)
    raise AssertionError(f"never finished: {seen}")


def test_etlworks_run_fails_after_three_polls(http: httpx.Client) -> None:
    bodies: list[Any] = []

    def read(body: Any) -> str:
        bodies.append(body)
        return str(body["status"])

    states = poll(
        http, "/rest/v1/executions/9002", CREDENTIALS["etlworks"], read, done=lambda s: s != "running"
    )
    assert states == ["running", "running", "running", "error"]
    assert len({b["started"] for b in bodies}) == 1, "the start time never moves"
    assert "ended" not in bodies[0] and bodies[-1]["ended"] >= bodies[-1]["started"]


def test_codecatalyst_run_is_throttled_then_fails(http: httpx.Client) -> None:
    path = "/v1/spaces/acme/projects/web/workflowRuns/00000000-0000-4000-8000-000000000003"
    states = poll(
        http, path, CREDENTIALS["codecatalyst"], lambda b: b["status"], done=lambda s: s == "FAILED"
    )
    assert states == ["IN_PROGRESS", "IN_PROGRESS", ("429", "1"), "IN_PROGRESS", "FAILED"]
    report = http.get("/__mock/polls").json()["polls"]
    run = "00000000-0000-4000-8000-000000000003"
    mine = next(p for p in report if p["execution"]["params"].get("id") == run)
    assert mine["execution"] == {
        "api": "codecatalyst",
        "resource": "getWorkflowRun",
        "params": {"spaceName": "acme", "projectName": "web", "id": run},
    }
    assert mine["polls"] == 5 and mine["honouredRetryAfter"] is True and mine["stoppedWhenTerminal"] is True
    assert mine["backedOff"] is True


def test_onedata_execution_fails_and_lane_runs_follow(http: httpx.Client) -> None:
    path = "/api/v3/oneprovider/automation/execution/workflows/scenario-fails"
    bodies: list[Any] = []

    def read(body: Any) -> str:
        bodies.append(body)
        return str(body["status"])

    states = poll(http, path, CREDENTIALS["onedata"], read, done=lambda s: s == "failed")
    assert states == ["scheduled", "active", "active", "failed"]
    assert bodies[0]["startTime"] == 0 and bodies[1]["startTime"] > 0
    assert bodies[2]["finishTime"] == 0 and bodies[3]["finishTime"] >= bodies[3]["startTime"]
    assert {run["status"] for lane in bodies[-1].get("lanes", []) for run in lane["runs"]} <= {"failed"}


def test_oracle_execution_fails_at_step_two(http: httpx.Client) -> None:
    path = "/selfservice/v1/executions/9-FAILSTEP2/status/details?requestor=X"
    steps = poll(
        http, path, ORACLE, lambda b: [s["status"] for s in b["subSteps"][:3]], done=lambda s: "Failed" in s
    )
    assert steps[0][:2] == ["In Progress", "Queued"]
    assert steps[1][:2] == ["Completed", "In Progress"]
    assert steps[-1] == ["Completed", "Failed", "Queued"]


def test_oracle_parent_status_succeeds_after_three_polls(http: httpx.Client) -> None:
    path = "/selfservice/v1/executions/status?id=9-SUCCEEDS&requestor=X"
    states = poll(http, path, ORACLE, lambda b: b["response"][0]["status"], done=lambda s: s != "running")
    assert states == ["running", "running", "running", "success"]


def _rolled_up(steps: list[dict[str, Any]]) -> str:
    """The parent status the Oracle spec's rollup rules give a list of root steps."""
    states = [s["status"] for s in steps]
    if "Failed" in states:
        return "failure"
    return "success" if states and all(s == "Completed" for s in states) else "running"


def test_oracle_list_and_details_tell_one_story(http: httpx.Client) -> None:
    # Each poll of either view is a poll of 9-FAILSTEP2: running, steps, failure, steps.
    status = "/selfservice/v1/executions/status?id=9-FAILSTEP2&requestor=X"
    details = "/selfservice/v1/executions/9-FAILSTEP2/status/details?requestor=X"
    assert http.get(status, headers=ORACLE).json()["response"][0]["status"] == "running"
    middle = [s["status"] for s in http.get(details, headers=ORACLE).json()["subSteps"][:3]]
    assert middle == ["Completed", "In Progress", "Queued"]
    assert http.get(status, headers=ORACLE).json()["response"][0]["status"] == "failure"
    steps = http.get(details, headers=ORACLE).json()["subSteps"]
    assert _rolled_up(steps) == "failure" and "Failed" in {s["status"] for s in steps}


def test_oracle_list_is_throttled_with_its_execution(http: httpx.Client) -> None:
    path = "/selfservice/v1/executions/status?id=9-THROTTLED&requestor=X"
    seen = poll(http, path, ORACLE, lambda b: b["response"][0]["status"], done=lambda s: s != "running")
    assert seen == ["running", ("429", "1"), "success"]


def test_oracle_generated_list_status_is_the_rollup_of_its_steps(http: httpx.Client) -> None:
    # A day later every generated execution has ended; each step completed or failed on its own
    # draw, so a list status drawn apart from the steps would disagree for some of these ids.
    assert http.post("/__mock/clock", json={"seconds": 86400}).status_code == 200
    executions = [f"3-ROLL{n:03d}" for n in range(12)]
    query = "&".join(f"id={e}" for e in executions)
    listed = http.get(f"/selfservice/v1/executions/status?{query}&requestor=X", headers=ORACLE).json()
    parents = {item["executionId"]: item["status"] for item in listed["response"]}
    for execution in executions:
        details = f"/selfservice/v1/executions/{execution}/status/details?requestor=X"
        steps = http.get(details, headers=ORACLE).json()["subSteps"]
        assert parents[execution] == _rolled_up(steps), execution
    assert set(parents.values()) <= {"success", "failure"}


def test_8x8_newest_instance_completes(http: httpx.Client) -> None:
    path = "/api/v1/accounts/acme/definitions/00000000-0000-4000-8000-0000000000a1/workflows?limit=1"

    def read(body: Any) -> tuple[str, Any]:
        return body[0]["status"], body[0]["completedAt"]

    seen = poll(http, path, CREDENTIALS["eightbyeight"], read, done=lambda s: s[0] != "Runnable")
    assert [s for s, _ in seen] == ["Runnable"] * 3 + ["Complete"]
    assert all(c is None for _, c in seen[:3]) and seen[-1][1] is not None


def test_8x8_filters_judge_the_state_the_scenario_gives(http: httpx.Client) -> None:
    # The newest instance of a1 is Runnable for 3 polls, then Complete. A client asking for
    # completed instances only sees it once it has completed; one asking for running ones sees
    # it while it runs. Every poll, filtered or not, is a poll of that instance.
    base = "/api/v1/accounts/filters/definitions/00000000-0000-4000-8000-0000000000a1/workflows?limit=1"
    key = CREDENTIALS["eightbyeight"]
    running = http.get(base + "&status=Runnable", headers=key).json()
    assert running and running[0]["status"] == "Runnable"
    newest = running[0]["workflowId"]
    complete = http.get(base + "&status=Complete", headers=key).json()
    assert complete and complete[0]["workflowId"] != newest and complete[0]["status"] == "Complete"
    assert http.get(base, headers=key).json()[0]["workflowId"] == newest  # third poll: still running
    final = http.get(base + "&status=Complete", headers=key).json()
    assert final[0]["workflowId"] == newest and final[0]["status"] == "Complete"
    assert http.get(base + "&status=Runnable", headers=key).json()[:1] != [final[0]]


def test_etlworks_flaps_to_500_then_recovers(http: httpx.Client) -> None:
    statuses = [http.get("/rest/v1/executions/9005", headers=CREDENTIALS["etlworks"]) for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 500, 500, 200, 200]
    assert statuses[1].json() == {"message": "scenario flaps-to-500-then-recovers: poll 2 answers 500"}
    assert [statuses[i].json()["status"] for i in (0, 3, 4)] == ["running", "running", "success"]


def test_reset_starts_the_story_over(http: httpx.Client) -> None:
    first = [
        http.get("/rest/v1/executions/9001", headers=CREDENTIALS["etlworks"]).json()["status"]
        for _ in range(4)
    ]
    assert first[-1] == "success"
    assert http.post("/__mock/reset").json()["state"]["scenarioRuns"] == 0
    assert http.get("/rest/v1/executions/9001", headers=CREDENTIALS["etlworks"]).json()["status"] == "running"


def test_pin_any_id_to_a_scenario_through_the_control_api(http: httpx.Client) -> None:
    pin = {
        "api": "etlworks",
        "operation": "getFlowStatus",
        "params": {"flowId": 31337},
        "scenario": "stays-running",
    }
    assert http.put("/__mock/scenarios", json=pin).status_code == 200
    states = {
        http.get("/rest/v1/executions/31337", headers=CREDENTIALS["etlworks"]).json()["status"]
        for _ in range(6)
    }
    assert states == {"running"}
    bad = http.put("/__mock/scenarios", json={**pin, "scenario": "nope"})
    assert bad.status_code == 400 and "succeeds-after-3-polls" in bad.json()["detail"]
    offered = http.get("/__mock/scenarios").json()["scenarios"]
    names = {(s["api"], s["operation"], s["name"]) for s in offered}
    assert ("codecatalyst", "getWorkflowRun", "throttled-then-fails") in names
    assert ("oracle_selfservice", "getWorkflowStatusDetails", "fails-at-step-2") in names


def test_advancing_the_clock_for_one_id_finishes_its_run(http: httpx.Client) -> None:
    path = "/v1/spaces/acme/projects/web/workflowRuns/0f8fad5b-d9cb-469f-a165-70867728950e"
    before = http.get(path, headers=CREDENTIALS["codecatalyst"]).json()
    advance = {
        "seconds": 3600,
        "api": "codecatalyst",
        "operation": "getWorkflowRun",
        "params": {"spaceName": "acme", "projectName": "web", "id": path.rsplit("/", 1)[1]},
    }
    assert http.post("/__mock/clock", json=advance).status_code == 200
    after = http.get(path, headers=CREDENTIALS["codecatalyst"]).json()
    assert after["status"] in ("SUCCEEDED", "FAILED", "STOPPED")
    assert after["startTime"] == before["startTime"]


def test_journal_records_requests_with_credentials_masked(http: httpx.Client) -> None:
    http.get("/rest/v1/executions/77?auditId=5", headers={"Authorization": "Bearer secret-token-1234"})
    entries = http.get("/__mock/journal", params={"path": "/rest/v1/executions/77"}).json()["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["method"], entry["query"], entry["status"]) == ("GET", "auditId=5", 200)
    assert entry["headers"]["authorization"] == "Bearer ***1234"
    assert "secret" not in str(entry)
    assert http.get("/__mock/journal", params={"status": 404}).json()["entries"] == []


def test_faults_occur_at_the_configured_rate(tmp_path: Path) -> None:
    faulty = start_server("--error-rate", "0.3", "--error-status", "500", "--fault-seed", "3", tmp=tmp_path)
    try:
        with faulty.client() as client:
            codes = [
                client.get(f"/rest/v1/executions/{i}", headers=CREDENTIALS["etlworks"]) for i in range(400)
            ]
            onedata = [
                client.get(
                    "/api/v3/oneprovider/automation/execution/workflows/x", headers=CREDENTIALS["onedata"]
                )
                for _ in range(50)
            ]
    finally:
        faulty.stop()
    errors = [r for r in codes if r.status_code == 500]
    assert 0.3 - 0.07 < len(errors) / len(codes) < 0.3 + 0.07  # about 3 sigma for n = 400
    assert all(r.json() == {"message": "fault injected: 500"} for r in errors)
    assert {r.status_code for r in codes} == {200, 500}
    assert {r.status_code for r in onedata} <= {200, 500}


def test_faults_never_send_an_undocumented_status(tmp_path: Path) -> None:
    faulty = start_server("--error-rate", "1", "--error-status", "429", tmp=tmp_path)
    try:
        with faulty.client() as client:
            etlworks = client.get("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"])
            codecatalyst = client.get(
                "/v1/spaces/acme/projects/web/workflowRuns/0f8fad5b-d9cb-469f-a165-70867728950e",
                headers=CREDENTIALS["codecatalyst"],
            )
    finally:
        faulty.stop()
    assert etlworks.status_code == 200  # Etlworks documents no 429
    assert codecatalyst.status_code == 429 and codecatalyst.headers["retry-after"] == "1"
    assert codecatalyst.headers["x-amzn-errortype"] == "ThrottlingException"


def test_latency_and_dropped_connections(tmp_path: Path) -> None:
    faulty = start_server("--latency", "150-200", "--drop-rate", "1", tmp=tmp_path)
    try:
        with faulty.client() as client:
            started = time.monotonic()
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"])
            assert time.monotonic() - started >= 0.15
            assert client.get("/__mock/health").status_code == 200
    finally:
        faulty.stop()


def test_prefer_delay_waits(http: httpx.Client) -> None:
    started = time.monotonic()
    response = http.get("/rest/v1/executions/1", headers={**CREDENTIALS["etlworks"], "Prefer": "delay=300"})
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


# README's scenario table, replayed: parsed at test time so the table and the mock cannot drift.
_README = Path(__file__).resolve().parents[2] / "README.md"
_POLL = {
    "etlworks": (lambda i: f"/rest/v1/executions/{i}", lambda b: b["status"]),
    "codecatalyst": (lambda i: f"/v1/spaces/acme/projects/web/workflowRuns/{i}", lambda b: b["status"]),
    "onedata": (lambda i: f"/api/v3/oneprovider/automation/execution/workflows/{i}", lambda b: _lanes(b)),
    "oracle_selfservice": (
        lambda i: f"/selfservice/v1/executions/status?id={i}&requestor=X",
        lambda b: b["response"][0]["status"],
    ),
    "eightbyeight": (lambda i: f"/api/v1/accounts/acme/definitions/{i}/workflows", lambda b: b[0]["status"]),
}


def _lanes(body: Any) -> str:
    """The workflow's status, once its lanes are shown and every lane run follows it."""
    assert lanes_follow(body), body
    return str(body["status"])


def _sequence(text: str) -> list[str]:
    """A table cell -> each poll's state or status (a count repeats a state; `forever`: three polls)."""
    out: list[str] = []
    for token in (t.strip() for t in text.split(",")):
        token = token.removeprefix("newest instance ")
        name, _, times = token.partition(" \N{MULTIPLICATION SIGN}")
        word = name.split()[0] if name.split() and name.split()[0].isdigit() else name
        if word.endswith(" forever"):
            word, times = word.removesuffix(" forever"), "3"
        out += [word] * (int(times) if times else 1)
    return out


def _table_rows() -> list[tuple[str, str, str, list[str]]]:
    """(api, id, scenario, the polls it documents) for every row of README's scenario table."""
    section = _README.read_text().split("## Scenarios", 1)[1].split("\n\n")
    lines = next(p for p in section if p.startswith("| API")).splitlines()[2:]
    rows = []
    last = ""
    for line in lines:
        slug, ids_cell, text = (c.strip() for c in line.strip("|").split("|"))
        raw = ids_cell.split("`")[1]
        execution = (
            last[: len(last) - len(raw) + 1] + raw[1:] if raw.startswith("\N{HORIZONTAL ELLIPSIS}") else raw
        )
        last = execution
        name, _, story = text.partition(": ")
        story = story.split("; status ", 1)[1] if "; status " in story else story
        story = story.split(" (")[0] if story.endswith(")") else story
        rows.append((slug, execution, name.strip("`"), _sequence(story)))
    return rows


ROWS = _table_rows()


def test_the_readme_table_names_every_pinned_id_and_its_scenario() -> None:
    pinned = {
        (slug, str(next(iter(next(iter(r["request"].values())).values()))), r["scenario"])
        for slug in _POLL
        for r in yaml.safe_load((FIXTURES / slug / "scenarios.yaml").read_text())
        if "scenario" in r
    }
    assert {(slug, execution, name) for slug, execution, name, _ in ROWS} == pinned


@pytest.mark.parametrize(("slug", "execution", "name", "polls"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_each_documented_scenario_is_what_a_poller_sees(
    http: httpx.Client, slug: str, execution: str, name: str, polls: list[str]
) -> None:
    path, read = _POLL[slug]
    expected = [*polls, polls[-1], polls[-1]]  # the last step repeats
    seen = []
    for _ in expected:
        response = http.get(path(execution), headers=CREDENTIALS[slug])
        seen.append(read(response.json()) if response.status_code == 200 else str(response.status_code))
    assert seen == expected, name
