"""Reading parameters: typed by their schemas, defaults filled, clear messages for bad values."""

from __future__ import annotations

import pytest

from mockserver.pipeline.parameters import InvalidParameter, RequestParameters, coerce, path_parameter_problem
from tests.unit.parts import op, read


def test_path_and_query_values_are_typed() -> None:
    values = read("etlworks", "getFlowStatus", path={"flowId": "12"}, query={"auditId": "34"})
    assert values["path"] == {"flowId": 12} and values["query"]["auditId"] == 34


def test_absent_query_parameters_take_their_default() -> None:
    path = {"accountId": "a", "definitionId": "5870442f-3ddd-4657-b74c-6e17308f5230"}
    assert read("eightbyeight", "listWorkflowInstances", path=path)["query"]["limit"] == 100
    assert (
        read("eightbyeight", "listWorkflowInstances", path=path, query={"limit": "3"})["query"]["limit"] == 3
    )


def test_a_value_breaking_its_schema_names_the_parameter_and_rule() -> None:
    with pytest.raises(InvalidParameter, match="query parameter 'auditId' must be of type integer"):
        read("etlworks", "getFlowStatus", path={"flowId": "12"}, query={"auditId": "x"})


def test_arrays_follow_form_and_simple_styles() -> None:
    reader = RequestParameters(
        [
            {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}},
            {"name": "tags", "in": "header", "schema": {"type": "array", "items": {"type": "string"}}},
        ]
    )
    scope = {"query_string": b"ids=1&ids=2", "headers": [(b"tags", b"a,b")]}
    assert reader.read(scope)["query"]["ids"] == [1, 2]
    assert reader.read(scope)["header"]["tags"] == ["a", "b"]


def test_cookies_are_read_as_browsers_send_them() -> None:
    reader = RequestParameters([{"name": "session", "in": "cookie", "schema": {"type": "string"}}])
    values = reader.read({"headers": [(b"cookie", b'theme=dark; session="abc"')]})
    assert values["cookie"] == {"session": "abc"}


def test_the_reader_of_an_equal_parameter_list_is_shared() -> None:
    specs = [{"name": "a", "in": "query", "schema": {"type": "string"}}]
    assert RequestParameters.of(specs) is RequestParameters.of([dict(specs[0])])


def test_coerce_leaves_what_does_not_parse() -> None:
    assert coerce({"type": "integer"}, "7") == 7
    assert coerce({"type": "integer"}, "x") == "x"
    assert coerce({"type": "boolean"}, "true") is True


def test_path_parameter_problem_names_a_raw_value_of_the_wrong_type() -> None:
    flow = op("etlworks", "getFlowStatus")
    assert "must be of type integer" in str(path_parameter_problem(flow.parameters, {"flowId": "abc"}))
    assert path_parameter_problem(flow.parameters, {"flowId": "12"}) is None
