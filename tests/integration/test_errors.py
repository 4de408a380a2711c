"""Bad requests get the API's own documented error; the mock's own errors are problem documents."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import CREDENTIALS
from tests.integration.test_serve import REQUESTS

DEFINITION = "2aa9465e-dec7-4c3e-8fa6-bd168af9eaca"
WORKFLOWS = f"/api/v1/accounts/acme/definitions/{DEFINITION}/workflows"


def test_8x8_definition_id_not_a_uuid_gets_code_1000(client: httpx.Client) -> None:
    response = client.get(
        "/api/v1/accounts/acme/definitions/not-a-uuid/workflows", headers=CREDENTIALS["eightbyeight"]
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 1000
    assert "definitionId" in body["message"] and "uuid" in body["message"]
    assert set(body) == {"code", "message", "errorId", "timestamp"}


@pytest.mark.parametrize(
    ("query", "names"),
    [("limit=501", "limit"), ("limit=0", "limit"), ("offset=-1", "offset"), ("status=Running", "status")],
    ids=["limit-above-500", "limit-zero", "offset-negative", "status-not-in-enum"],
)
def test_8x8_bad_list_parameters_get_its_400(client: httpx.Client, query: str, names: str) -> None:
    response = client.get(f"{WORKFLOWS}?{query}", headers=CREDENTIALS["eightbyeight"])
    assert response.status_code == 400
    assert response.json()["code"] == 1000
    assert f"'{names}'" in response.json()["message"]


def test_etlworks_non_numeric_flow_id_gets_its_400(client: httpx.Client) -> None:
    response = client.get("/rest/v1/executions/abc", headers=CREDENTIALS["etlworks"])
    assert response.status_code == 400
    assert response.json() == {"message": "path parameter 'flowId' must be of type integer (got 'abc')"}


def test_etlworks_without_token_gets_401(client: httpx.Client) -> None:
    response = client.get("/rest/v1/executions/12")
    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]


def test_oracle_missing_identifier_header_gets_401_naming_it(client: httpx.Client) -> None:
    path = "/selfservice/v1/executions/status?id=3-AAAA111&requestor=X"
    response = client.get(path, headers={"Authorization": CREDENTIALS["oracle_selfservice"]["Authorization"]})
    assert response.status_code == 401
    assert response.json()["code"] == "NotAuthenticated"
    assert "'Identifier'" in response.json()["message"]


def test_oracle_bearer_token_must_be_a_jwt(client: httpx.Client) -> None:
    headers = {**CREDENTIALS["oracle_selfservice"], "Authorization": "Bearer not-a-jwt"}
    response = client.get("/selfservice/v1/executions/status?id=1-A&requestor=X", headers=headers)
    assert response.status_code == 401


def test_oracle_missing_requestor_gets_invalid_parameter(client: httpx.Client) -> None:
    response = client.get(
        "/selfservice/v1/executions/status?id=1-A", headers=CREDENTIALS["oracle_selfservice"]
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "InvalidParameter",
        "message": "query parameter 'requestor' is required but missing",
    }


def test_undeclared_method_gets_405_with_allow(client: httpx.Client) -> None:
    response = client.delete(REQUESTS["etlworks"], headers=CREDENTIALS["etlworks"])
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:mockserver:problem:method-not-allowed"


def test_unknown_path_names_the_closest_routes(client: httpx.Client) -> None:
    response = client.get("/rest/v1/execution/12")
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "urn:mockserver:problem:no-such-route"
    assert "/rest/v1/executions/{flowId}" in body["detail"]


def test_prefer_code_returns_that_documented_response(client: httpx.Client) -> None:
    response = client.get(WORKFLOWS, headers={**CREDENTIALS["eightbyeight"], "Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json()["code"] == 1300


def test_prefer_example_returns_that_named_example(client: httpx.Client) -> None:
    response = client.get(WORKFLOWS, headers={**CREDENTIALS["eightbyeight"], "Prefer": "example=seedSample"})
    assert response.status_code == 200
    assert [item["workflowId"] for item in response.json()] == [
        "60dbe307fe55d99fc083db61",
        "60dbe307fe55d99fc083db62",
    ]


@pytest.mark.parametrize(
    ("prefer", "names"),
    [("code=418", "200, 400"), ("example=nope", "seedSample"), ("colour=blue", "code, example")],
    ids=["undocumented-code", "unknown-example", "unknown-preference"],
)
def test_bad_prefer_gets_a_problem_naming_valid_choices(
    client: httpx.Client, prefer: str, names: str
) -> None:
    response = client.get(WORKFLOWS, headers={**CREDENTIALS["eightbyeight"], "Prefer": prefer})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:mockserver:problem:bad-prefer"
    assert names in response.json()["detail"]


def test_prefer_dynamic_bypasses_the_fixture(client: httpx.Client) -> None:
    path = "/api/v1/accounts/test_account_id/definitions/5870442f-3ddd-4657-b74c-6e17308f5230/workflows"
    fixture = client.get(path, headers=CREDENTIALS["eightbyeight"]).json()
    generated = client.get(path, headers={**CREDENTIALS["eightbyeight"], "Prefer": "dynamic=true"}).json()
    assert [i["workflowId"] for i in fixture] == ["60dbe307fe55d99fc083db61", "60dbe307fe55d99fc083db62"]
    assert generated != fixture


def test_onedata_errors_carry_id_description_and_ctx(client: httpx.Client) -> None:
    response = client.get("/api/v3/oneprovider/automation/execution/workflows/abc")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["id"] == "forbidden" and "X-Auth-Token" in error["description"]
    assert error["ctx"]["service"] == "opw" and isinstance(error["ctx"]["timestamp"], int)


def test_codecatalyst_without_token_is_401(client: httpx.Client) -> None:
    # Decided once, in the spec (codecatalyst-missing-credential-401): RFC 7235's answer.
    response = client.get(REQUESTS["codecatalyst"])
    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]


def test_codecatalyst_bad_run_id_is_a_validation_exception(client: httpx.Client) -> None:
    path = "/v1/spaces/acme-space/projects/web-app/workflowRuns/example-workflow-run-id-123abc"
    response = client.get(path, headers=CREDENTIALS["codecatalyst"])
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "ValidationException"
    assert "path parameter 'id'" in response.json()["message"]


def test_an_id_the_response_cannot_hold_is_not_found(client: httpx.Client) -> None:
    # Requests allow projectName of length 1; responses document 3..63, so no such run exists.
    path = "/v1/spaces/acme-space/projects/ab/workflowRuns/0f8fad5b-d9cb-469f-a165-70867728950e"
    response = client.get(path, headers=CREDENTIALS["codecatalyst"])
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"] == "ResourceNotFoundException"


def test_prefer_code_200_types_the_id_before_answering(client: httpx.Client) -> None:
    """Issue 12: Prefer is decided after the parameters are typed (98765 is an integer)."""
    response = client.get(
        "/rest/v1/executions/98765", headers={**CREDENTIALS["etlworks"], "Prefer": "code=200"}
    )
    assert response.status_code == 200
    assert response.json()["flowId"] == 98765 and response.json()["status"]


def test_prefer_code_200_on_an_id_the_schema_cannot_hold_is_invalid(client: httpx.Client) -> None:
    response = client.get(
        "/rest/v1/executions/abc", headers={**CREDENTIALS["etlworks"], "Prefer": "code=200"}
    )
    assert response.status_code == 400
    assert "flowId" in response.text


def test_prefer_is_decided_after_the_credentials_are_checked(client: httpx.Client) -> None:
    response = client.get("/rest/v1/executions/1", headers={"Prefer": "code=200"})
    assert response.status_code == 401


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_trailing_slash_gets_the_apis_own_404_not_a_redirect(client: httpx.Client, method: str) -> None:
    path = "/v1/spaces/acme/projects/web/workflowRuns/00000000-0000-4000-8000-000000000003/"
    response = client.request(method, path, headers=CREDENTIALS["codecatalyst"], follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert response.json() == {"message": f"no resource at {path}"}


def test_a_trailing_slash_on_onedata_gets_its_error_envelope(client: httpx.Client) -> None:
    path = "/api/v3/oneprovider/automation/execution/workflows/abc/"
    response = client.get(path, headers=CREDENTIALS["onedata"], follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["error"]["id"] == "notFound"


def test_a_trailing_slash_where_the_api_documents_no_404_is_the_mocks_no_such_route(
    client: httpx.Client,
) -> None:
    response = client.get(
        "/rest/v1/executions/1234/", headers=CREDENTIALS["etlworks"], follow_redirects=False
    )
    assert response.status_code == 404
    assert response.json()["type"] == "urn:mockserver:problem:no-such-route"
    assert "did you mean /rest/v1/executions/1234?" in response.json()["detail"]


def test_get_on_a_control_api_post_is_405_listing_post(client: httpx.Client) -> None:
    response = client.get("/__mock/reset")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["detail"].endswith("allowed: POST")
