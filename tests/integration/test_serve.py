"""The server over real HTTP: what it serves, how it answers, and that answers are stable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from mockserver.catalog import load_api
from mockserver.fixtures import response_schema
from tests.conftest import CREDENTIALS, DATA, SLUGS, SPECS, RunningServer, start_server

# One valid request per operation that each API is polled through.
REQUESTS = {
    "codecatalyst": "/v1/spaces/acme-space/projects/web-app/workflowRuns/"
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "eightbyeight": "/api/v1/accounts/acme/definitions/2aa9465e-dec7-4c3e-8fa6-bd168af9eaca/workflows",
    "etlworks": "/rest/v1/executions/777",
    "onedata": "/api/v3/oneprovider/automation/execution/workflows/0d3f6c8aa1b2c3d4e5f6a7b8c9d0e1f2ch1a2b",
    "oracle_selfservice": "/selfservice/v1/executions/3-AAAA111/status/details?requestor=EXADATA_CPU_SCALE",
}


def _conforms(slug: str, path: str, status: int, body: Any) -> list[str]:
    api = load_api(SPECS / f"{slug}.yaml")
    op = next(op for op in api.operations if op.matches(path.split("?")[0]) is not None)
    schema = response_schema(op, status)
    assert schema is not None, f"{op.id} documents no JSON {status}"
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(body)]


def test_index_lists_every_api(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for slug in SLUGS:
        assert f'data-slug="{slug}"' in page.text
        assert f"/__mock/docs/{slug}/" in page.text


@pytest.mark.parametrize("slug", SLUGS)
def test_each_api_has_swagger_ui_and_a_spec_pointing_at_the_mock(client: httpx.Client, slug: str) -> None:
    ui = client.get(f"/__mock/docs/{slug}/")
    assert ui.status_code == 200 and "swagger-ui" in ui.text
    spec = client.get(f"/__mock/docs/{slug}/openapi.json").json()
    assert spec["servers"][0]["url"] == (load_api(SPECS / f"{slug}.yaml").base_path or "/")
    assert client.get("/__mock/docs/static/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("slug", SLUGS)
def test_valid_request_gets_a_body_that_conforms(client: httpx.Client, slug: str) -> None:
    path = REQUESTS[slug]
    response = client.get(path, headers=CREDENTIALS[slug])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert _conforms(slug, path, 200, response.json()) == []


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp=tmp_path_factory.mktemp("second"))
    yield running
    running.stop()


@pytest.mark.parametrize("slug", SLUGS)
def test_same_request_same_body_across_servers(
    client: httpx.Client, second_server: RunningServer, slug: str
) -> None:
    with second_server.client() as other:
        first = client.get(REQUESTS[slug], headers=CREDENTIALS[slug])
        again = other.get(REQUESTS[slug], headers=CREDENTIALS[slug])
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()


def test_another_seed_gives_other_data(tmp_path: Path, client: httpx.Client) -> None:
    other = start_server("--seed", "42", tmp=tmp_path)
    try:
        with other.client() as http:
            seeded = http.get(REQUESTS["etlworks"], headers=CREDENTIALS["etlworks"]).json()
    finally:
        other.stop()
    default = client.get(REQUESTS["etlworks"], headers=CREDENTIALS["etlworks"]).json()
    assert seeded["flowId"] == default["flowId"] == 777
    assert seeded != default


def test_sixth_api_is_served_from_its_spec_alone(tmp_path: Path) -> None:
    spec = DATA / "sixth" / "pipelines.yaml"
    (tmp_path / "no-fixtures").mkdir()  # an empty fixture folder: every answer is generated
    sixth = start_server(str(spec), "--fixtures", str(tmp_path / "no-fixtures"), tmp=tmp_path)
    try:
        with sixth.client() as http:
            run = http.get("/ci/v2/pipelines/build-42/runs/7", headers={"X-Api-Key": "k"})
            bad = http.get("/ci/v2/pipelines/build-42/runs/0", headers={"X-Api-Key": "k"})
            anonymous = http.get("/ci/v2/pipelines/build-42/runs/7")
            index = http.get("/")
    finally:
        sixth.stop()
    assert run.status_code == 200
    assert run.json()["pipeline"] == "build-42" and run.json()["number"] == 7
    assert run.json()["state"] in ("queued", "running", "passed", "failed")
    assert bad.status_code == 422 and bad.json()["fault"]["reason"].startswith("path parameter 'number'")
    assert anonymous.status_code == 401 and anonymous.json()["fault"]["kind"] == "auth"
    assert 'data-slug="pipelines"' in index.text
