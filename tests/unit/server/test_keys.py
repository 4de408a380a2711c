"""Keys as the control API shows them: JSON objects with the API's own parameter names."""

from __future__ import annotations

from mockserver.produce.ask import item_key, resource_key
from mockserver.server.keys import KeyNames
from tests.unit.parts import APIS, api, op, read

NAMES = KeyNames(APIS)


def test_a_resource_key_names_the_key_parameters_and_leaves_out_absent_ones() -> None:
    values = read("etlworks", "getFlowStatus", path={"flowId": "42"})
    key = resource_key(api("etlworks"), op("etlworks", "getFlowStatus"), values)
    assert NAMES(key) == {"api": "etlworks", "resource": "flowStatus", "params": {"flowId": 42}}
    assert NAMES.text(key) == '{"api":"etlworks","resource":"flowStatus","params":{"flowId":42}}'


def test_a_listed_items_key_names_the_each_parameter() -> None:
    key = item_key(api("oracle_selfservice"), op("oracle_selfservice", "getWorkflowStatus"), "\U0003b9ec-1")
    assert NAMES(key) == {
        "api": "oracle_selfservice",
        "resource": "getWorkflowStatus",
        "params": {"id": "\U0003b9ec-1"},
    }


def test_a_key_that_is_no_tuple_is_shown_whole() -> None:
    assert NAMES("etlworks:flowStatus:nonsense") == {
        "api": "etlworks",
        "resource": "flowStatus",
        "params": {"id": "nonsense"},
    }
