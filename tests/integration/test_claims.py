"""Claims the README makes about `serve` options and the mock's own problem types, each checked."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import CREDENTIALS, DATA, launch, start_server

SIXTH = (DATA / "sixth" / "pipelines.yaml").read_text()
KEY = {"X-Api-Key": "k"}
ETL = CREDENTIALS["etlworks"]


def _spec(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """The sixth API's spec with one change (a file of the test's own)."""
    assert old in SIXTH
    path = tmp_path / name
    path.write_text(SIXTH.replace(old, new, 1))
    return path


def _get(
    *args: str, tmp: Path, path: str, headers: dict[str, str], env: dict[str, str] | None = None
) -> httpx.Response:
    server = start_server(*args, tmp=tmp, env=env)
    try:
        return httpx.get(server.base_url + path, headers=headers, timeout=10)
    finally:
        server.stop()


def test_validate_responses_fails_closed_with_response_invalid(tmp_path: Path) -> None:
    # The response schema caps `number` at 5 while the path allows any: run 9 echoes an invalid body.
    spec = _spec(
        tmp_path,
        "pipelines.yaml",
        "number: {type: integer, minimum: 1}\n                  state",
        "number: {type: integer, minimum: 1, maximum: 5}\n                  state",
    )
    path = "/ci/v2/pipelines/a/runs/9"
    unchecked = _get(str(spec), tmp=tmp_path, path=path, headers=KEY)
    checked = _get(str(spec), "--validate-responses", tmp=tmp_path, path=path, headers=KEY)
    assert unchecked.status_code == 200  # without the flag the broken answer goes out as it is
    assert checked.status_code == 500, checked.text
    assert checked.headers["content-type"] == "application/problem+json"
    assert checked.json()["type"] == "urn:mockserver:problem:response-invalid"
    assert "number" not in checked.json()  # the invalid body is not sent


def test_undocumented_failure_when_the_api_documents_no_error_for_an_invalid_request(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path, "pipelines.yaml", '        "422":\n          $ref: "#/components/responses/Invalid"\n', ""
    )
    answer = _get(str(spec), tmp=tmp_path, path="/ci/v2/pipelines/a/runs/0", headers=KEY)
    assert answer.status_code == 400
    assert answer.json()["type"] == "urn:mockserver:problem:undocumented-failure"
    assert "'number' must be at least 1 (got 0)" in answer.json()["detail"]


def test_mock_failure_when_the_mock_itself_fails(tmp_path: Path) -> None:
    # The real server with a bug put in (making an integer raises): no valid spec provokes one, and
    # a spec the mock cannot serve (minimum above maximum) is refused at start-up (schema-bounds).
    spec = DATA / "sixth" / "pipelines.yaml"
    server = launch("tests.broken_mock", "serve", str(spec), tmp=tmp_path)
    try:
        answer = httpx.get(server.base_url + "/ci/v2/pipelines/a/runs/2", headers=KEY, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:mockserver:problem:mock-failure"
    assert "Traceback" not in answer.text
    log = server.log.read_text()
    assert "a bug put in by tests/broken_mock.py" in answer.json()["detail"]
    assert "mock failure on GET /ci/v2/pipelines/a/runs/2: RuntimeError: a bug put in" in log


def test_token_refuses_every_other_credential_over_http(tmp_path: Path) -> None:
    server = start_server("--token", "good-one", "--token", "second", tmp=tmp_path)
    try:
        with server.client() as client:
            good = client.get("/rest/v1/executions/1", headers={"Authorization": "Bearer good-one"})
            second = client.get("/rest/v1/executions/1", headers={"Authorization": "Bearer second"})
            other = client.get("/rest/v1/executions/1", headers={"Authorization": "Bearer well-formed"})
            onedata = client.get(
                "/api/v3/oneprovider/automation/execution/workflows/w1", headers={"X-Auth-Token": "nope"}
            )
    finally:
        server.stop()
    assert good.status_code == 200 and second.status_code == 200
    assert other.status_code == 401, other.text
    assert onedata.status_code == 403, onedata.text


def test_faults_file_sends_an_undocumented_status_only_with_force(tmp_path: Path) -> None:
    # Etlworks documents no 429: the forced rule sends it; the same rule without force stops
    # start-up (tests/cli/test_startup_checks.py), so the legacy operation keeps answering.
    faults = tmp_path / "faults.yaml"
    faults.write_text(
        "rules:\n  - {api: etlworks, operation: getFlowStatus, error_rate: 1.0, status: 429, force: true}\n"
    )
    server = start_server("--faults", str(faults), tmp=tmp_path)
    try:
        with server.client() as client:
            forced = [client.get(f"/rest/v1/executions/{i}", headers=ETL) for i in range(5)]
            legacy = [
                client.get(f"/plugins/dashboard/rest/v1/flows/{i}", headers=ETL).status_code for i in range(5)
            ]
    finally:
        server.stop()
    assert [answer.status_code for answer in forced] == [429] * 5
    # Sent in the envelope of Etlworks' closest documented error, with the Retry-After a 429 gets.
    assert forced[0].json()["message"] == "fault injected: 429", forced[0].text
    assert forced[0].headers["retry-after"] == "1"
    assert legacy == [200] * 5


def test_mockserver_environment_settings_apply_and_a_flag_wins(tmp_path: Path) -> None:
    path = "/rest/v1/executions/31"
    from_env = start_server(tmp=tmp_path, env={"MOCKSERVER_SEED": "7", "MOCKSERVER_JOURNAL_SIZE": "2"})
    try:
        with from_env.client() as client:
            bodies = [client.get(path, headers=ETL).json() for _ in range(3)]
            journal = client.get("/__mock/journal").json()["entries"]
    finally:
        from_env.stop()
    seven = _get("--seed", "7", tmp=tmp_path, path=path, headers=ETL).json()
    flag_wins = _get("--seed", "0", tmp=tmp_path, path=path, headers=ETL, env={"MOCKSERVER_SEED": "7"}).json()
    zero = _get(tmp=tmp_path, path=path, headers=ETL).json()
    assert bodies[0] == seven
    assert flag_wins == zero != seven
    assert len(journal) == 2


def test_journal_size_and_the_id_cap_bound_the_state(tmp_path: Path) -> None:
    server = start_server("--journal-size", "3", tmp=tmp_path, env={"MOCKSERVER_MAX_IDS": "2"})
    try:
        with server.client() as client:
            for flow in range(1, 6):
                client.get(f"/rest/v1/executions/{flow}", headers=ETL)
            journal = client.get("/__mock/journal").json()["entries"]
            for flow in (41, 42, 43):
                pin = {"api": "etlworks", "operation": "getFlowStatus", "params": {"flowId": flow}}
                client.put("/__mock/scenarios", json={**pin, "scenario": "fails-after-3-polls"})
            sizes = client.get("/__mock/health").json()["state"]
            latest = [client.get("/rest/v1/executions/43", headers=ETL).json()["status"] for _ in range(4)]
    finally:
        server.stop()
    assert [entry["path"] for entry in journal] == [f"/rest/v1/executions/{n}" for n in (3, 4, 5)]
    assert sizes["pinned"] == 2 and sizes["journal"] == 3
    assert latest == ["running"] * 3 + ["error"]  # the newest pins stay
