"""The choose step: Prefer, a fault, a scenario's turn, a fixture, generation; every Prefer combination."""

from __future__ import annotations

import pytest

from mockserver.pipeline.faults import FaultRule
from mockserver.pipeline.prefer import PreferError
from tests.unit.parts import wire

FLOW = ("etlworks", "getFlowStatus")
ALWAYS_500 = (FaultRule(error_rate=1.0, status=500),)


def test_no_preference_generates_a_body_that_echoes_the_typed_id() -> None:
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "98765"}))
    assert choice.reply is not None and choice.reply.status == 200
    assert choice.reply.body["flowId"] == 98765 and choice.delay_s == 0.0 and not choice.drop


def test_prefer_code_200_on_a_generated_id_gives_the_full_body() -> None:
    """The bug of issue 12: the raw "98765" never became the integer the schema wants."""
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "98765"}, prefer="code=200"))
    assert choice.reply is not None and choice.reply.status == 200
    assert choice.reply.body["flowId"] == 98765 and "status" in choice.reply.body


def test_prefer_code_200_on_a_fixture_id_serves_the_fixture() -> None:
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "1234"}, prefer="code=200"))
    assert choice.reply is not None and choice.reply.body["flowName"] == "Load orders"


def test_prefer_code_of_a_documented_error_renders_the_native_error() -> None:
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "1"}, prefer="code=403"))
    assert choice.reply is not None and choice.reply.status == 403
    assert "Prefer: code=403" in str(choice.reply.body)


def test_prefer_code_not_documented_names_the_documented_codes() -> None:
    parts = wire()
    with pytest.raises(PreferError, match="documents 200, 400, 401, 403, 500"):
        parts.choose(parts.request(*FLOW, path={"flowId": "1"}, prefer="code=404"))


def test_prefer_example_returns_a_copy_of_that_example() -> None:
    parts = wire()
    first = parts.choose(parts.request(*FLOW, path={"flowId": "5"}, prefer="example=seedSample"))
    assert first.reply is not None and first.reply.status == 200 and first.reply.body["flowId"] == 1234
    first.reply.body["flowId"] = 0
    again = parts.choose(parts.request(*FLOW, path={"flowId": "5"}, prefer="example=seedSample"))
    assert again.reply is not None and again.reply.body["flowId"] == 1234


def test_prefer_unknown_example_names_the_examples() -> None:
    parts = wire()
    with pytest.raises(PreferError, match="has examples seedSample"):
        parts.choose(parts.request(*FLOW, path={"flowId": "5"}, prefer="example=nope"))


def test_prefer_code_and_example_pick_an_example_of_that_response() -> None:
    parts = wire()
    request = parts.request(*FLOW, path={"flowId": "5"}, prefer="code=400, example=invalidFlowId")
    choice = parts.choose(request)
    assert choice.reply is not None and choice.reply.status == 400
    with pytest.raises(PreferError, match="has examples invalidFlowId"):
        parts.choose(parts.request(*FLOW, path={"flowId": "5"}, prefer="code=400, example=seedSample"))


def test_prefer_dynamic_bypasses_the_fixture() -> None:
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "1234"}, prefer="dynamic=true"))
    assert choice.reply is not None and choice.reply.body["flowId"] == 1234
    assert choice.reply.body.get("flowName") != "Load orders"


def test_prefer_dynamic_with_an_error_code_answers_the_error() -> None:
    parts = wire()
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "1"}, prefer="dynamic=true, code=500"))
    assert choice.reply is not None and choice.reply.status == 500


def test_prefer_delay_is_a_wait_before_the_same_answer() -> None:
    parts = wire()
    plain = parts.choose(parts.request(*FLOW, path={"flowId": "7"}))
    delayed = parts.choose(parts.request(*FLOW, path={"flowId": "7"}, prefer="delay=250"))
    assert delayed.delay_s == 0.25 and delayed.reply == plain.reply


def test_prefer_code_or_example_comes_before_a_fault() -> None:
    parts = wire(faults=ALWAYS_500)
    faulted = parts.choose(parts.request(*FLOW, path={"flowId": "7"}))
    chosen = parts.choose(parts.request(*FLOW, path={"flowId": "7"}, prefer="code=200"))
    example = parts.choose(parts.request(*FLOW, path={"flowId": "7"}, prefer="example=seedSample"))
    assert faulted.reply is not None and faulted.reply.body == {"message": "fault injected: 500"}
    assert chosen.reply is not None and chosen.reply.status == 200
    assert example.reply is not None and example.reply.status == 200


def test_prefer_dynamic_or_delay_leaves_faults_in_force_and_delays_add_up() -> None:
    parts = wire(faults=(FaultRule(latency_ms=(100.0, 100.0), error_rate=1.0, status=500),))
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "7"}, prefer="dynamic=true, delay=50"))
    assert choice.reply is not None and choice.reply.status == 500
    assert choice.delay_s == pytest.approx(0.15)


def test_a_fault_drop_is_a_choice_without_a_reply() -> None:
    parts = wire(faults=(FaultRule(drop_rate=1.0),))
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "7"}))
    assert choice.drop and choice.reply is None


def test_a_fault_status_the_operation_does_not_document_is_not_sent() -> None:
    parts = wire(faults=(FaultRule(error_rate=1.0, status=429),))
    choice = parts.choose(parts.request(*FLOW, path={"flowId": "7"}))
    assert choice.reply is not None and choice.reply.status == 200


def test_a_scenario_turn_comes_before_the_fixture_and_its_error_steps_answer() -> None:
    parts = wire()
    statuses = []
    for _ in range(5):
        choice = parts.choose(parts.request(*FLOW, path={"flowId": "9005"}))
        assert choice.reply is not None
        statuses.append((choice.reply.status, (choice.reply.body or {}).get("status")))
    assert [s for s, _ in statuses] == [200, 500, 500, 200, 200]
    assert statuses[0][1] == "running" and statuses[-1][1] == "success"


def test_fixtures_only_answers_not_found_where_no_fixture_matches() -> None:
    parts = wire(fixtures_only=True)
    request = parts.request("onedata", "getWorkflowExecutionDetails", path={"wid": "nothing-here"})
    choice = parts.choose(request)
    assert choice.reply is not None and choice.reply.status == 404
