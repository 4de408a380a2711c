"""Scenarios: pinned ids told poll by poll; an error step is an answer, not a body."""

from __future__ import annotations

import pytest

from mockserver.pipeline.pins import SessionClock, StorePins, run_now
from mockserver.produce.scenarios import ScenarioAnswer, ScenarioRun, Turns, take_turn
from mockserver.store import MemoryStore
from tests.unit.parts import ORIGIN, op

FLOW = op("etlworks", "getFlowStatus")


def test_each_poll_takes_the_next_step_and_the_last_repeats() -> None:
    scenario = FLOW.rules.scenarios["succeeds-after-3-polls"]
    run = ScenarioRun(scenario.name)
    states = [take_turn(scenario, run, 100.0 + i).step.state for i in range(5)]
    assert states == ["running", "running", "running", "success", "success"] and run.polls == 5


def test_turns_follow_a_pin_or_a_fixture_and_raise_an_error_step() -> None:
    state = MemoryStore()
    turns = Turns(StorePins(state), SessionClock(ORIGIN, scale=0.0))
    assert turns.pinned(FLOW, "k") is None
    forced = turns.take(FLOW, "k", "flaps-to-500-then-recovers", answer=FLOW)
    assert forced is not None and forced.turn.step.state == "running"
    with pytest.raises(ScenarioAnswer) as raised:
        turns.take(FLOW, "k", "flaps-to-500-then-recovers", answer=FLOW)
    assert raised.value.step.status == "500" and raised.value.poll == 2 and raised.value.key == "k"
    run_now(state.pin("", "k", "stays-running"))
    forced = turns.take(FLOW, "k", "flaps-to-500-then-recovers", answer=FLOW)
    assert forced is not None and forced.scenario.name == "stays-running"


def test_an_id_sees_the_clock_plus_its_own_offset() -> None:
    state = MemoryStore()
    run_now(state.advance("", 30.0, "k"))
    clock = SessionClock(ORIGIN, scale=0.0)
    turns = Turns(StorePins(state, clock), clock)
    assert turns.now("k") == ORIGIN + 30.0 and turns.now("other") == ORIGIN
    run_now(state.advance("", 5.0))  # the session's clock moves every id, once
    assert turns.now("k") == ORIGIN + 35.0 and turns.now("other") == ORIGIN + 5.0
