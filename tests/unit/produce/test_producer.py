"""The producer: fixture or generated body, list views, rollups that agree with the detail."""

from __future__ import annotations

from tests.unit.parts import wire

FLOW = ("etlworks", "getFlowStatus")
STATUS = ("oracle_selfservice", "getWorkflowStatus")


def test_a_fixture_that_does_not_echo_the_request_is_not_used() -> None:
    parts = wire()
    producer = parts.producer
    matching = parts.request(*FLOW, path={"flowId": "1234"})
    other = parts.request(*FLOW, path={"flowId": "77"})
    assert producer.fixture(producer.ask(matching.api, matching.op, matching.values, "200")) is not None
    assert producer.fixture(producer.ask(other.api, other.op, other.values, "200")) is None


def test_a_generated_body_reports_what_it_shows_for_the_poll_report() -> None:
    parts = wire(fixtures=False)
    request = parts.request(*FLOW, path={"flowId": "5"})
    ask = parts.producer.ask(request.api, request.op, request.values, "200")
    body = parts.producer.body(ask)
    ((key, state, terminal),) = parts.producer.observe(ask, body)
    assert key == ask.key and state == body["status"] and terminal in (True, False)


def test_the_list_rolls_each_id_up_from_its_detail_scenario() -> None:
    parts = wire()
    request = parts.request(*STATUS, query={"id": ["9-FAILSTEP2", "9-SUCCEEDS"], "requestor": "X"})
    seen = []
    for _ in range(3):
        choice = parts.choose(request)
        assert choice.reply is not None and choice.reply.status == 200
        seen.append({i["executionId"]: i["status"] for i in choice.reply.body["response"]})
    assert seen[0] == {"9-FAILSTEP2": "running", "9-SUCCEEDS": "running"}
    assert seen[2]["9-FAILSTEP2"] == "failure"
    assert len(choice.reply.observed) == 2
