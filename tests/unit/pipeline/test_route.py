"""Routes: the operation of a method and path, and the near misses named in errors."""

from __future__ import annotations

from mockserver.pipeline.route import Routes
from tests.unit.parts import APIS

ROUTES = Routes(APIS)


def test_find_gives_the_operation_and_raw_path_parameters() -> None:
    found = ROUTES.find("GET", "/rest/v1/executions/12")
    assert found is not None
    api, op, params = found
    assert (api.slug, op.id, params) == ("etlworks", "getFlowStatus", {"flowId": "12"})
    assert ROUTES.find("DELETE", "/rest/v1/executions/12") is None


def test_enclosing_finds_the_template_an_empty_parameter_left() -> None:
    near = ROUTES.enclosing("GET", "/rest/v1/executions/")
    assert near is not None and near.id == "getFlowStatus"


def test_allowed_and_closest_help_the_client() -> None:
    assert ROUTES.allowed("/rest/v1/executions/12") == ["GET"]
    assert "/rest/v1/executions/{flowId}" in ROUTES.closest("/rest/v1/execution/12")
    assert ROUTES.api("onedata") is not None and ROUTES.api("nope") is None
