"""One resource: the same body for the same parts, its state following the clock, ids echoed."""

from __future__ import annotations

from mockserver.produce.cache import Cache
from mockserver.produce.lifecycle import Clock
from mockserver.produce.resource import Resources, copy_json, echoes
from mockserver.spec.responses import response_schema
from tests.unit.parts import ORIGIN, op

SCHEMA = response_schema(op("etlworks", "getFlowStatus"), 200) or {}


def _resources() -> Resources:
    return Resources(Clock(ORIGIN, scale=0.0), Cache(16))


def test_the_same_parts_make_the_same_body_and_callers_get_copies() -> None:
    resources = _resources()
    first = resources.make(SCHEMA, (0, "etlworks", "flowStatus", "1"), ORIGIN)
    first["flowId"] = -1
    again = resources.make(SCHEMA, (0, "etlworks", "flowStatus", "1"), ORIGIN)
    assert again != first and again == _resources().make(SCHEMA, (0, "etlworks", "flowStatus", "1"), ORIGIN)


def test_the_state_follows_the_clock_to_a_terminal_state() -> None:
    resources = _resources()
    lifecycle = resources.lifecycle(SCHEMA)
    assert lifecycle is not None
    parts = (0, "etlworks", "flowStatus", "2")
    early = resources.make(SCHEMA, parts, ORIGIN - 10_000)["status"]
    late = resources.make(SCHEMA, parts, ORIGIN + 10 * 86_400)["status"]
    assert early == lifecycle.initial and lifecycle.states[late].terminal


def test_echo_writes_request_ids_and_refuses_what_cannot_fit() -> None:
    resources = _resources()
    body: dict[str, object] = {}
    values = {"path": {"flowId": 42}, "query": {}}
    assert resources.echo(body, SCHEMA, {"/flowId": "path.flowId"}, values, None) and body["flowId"] == 42
    wrong = {"path": {"flowId": "not a number"}}
    assert not resources.echo({}, SCHEMA, {"/flowId": "path.flowId"}, wrong, None)
    assert echoes({"flowId": 42}, {"/flowId": "path.flowId"}, values)
    assert not echoes({"flowId": 41}, {"/flowId": "path.flowId"}, values)


def test_copy_json_is_deep() -> None:
    original = {"a": [{"b": 1}]}
    copied = copy_json(original)
    copied["a"][0]["b"] = 2
    assert original == {"a": [{"b": 1}]}
