"""Scenarios: an id pinned to a named story, told one poll at a time.

A scenario's steps say what each poll answers (a state, the states of child steps, or an error
status); the times follow what the id has actually been through, so a start time never moves
and an end time appears once and stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mockserver.produce.lifecycle import Clock, Timeline
from mockserver.spec.catalog import Operation
from mockserver.spec.rules import Lifecycle, Scenario, Step

__all__ = [
    "Forced",
    "Pins",
    "ScenarioAnswer",
    "ScenarioRun",
    "StepProgress",
    "Turn",
    "Turns",
    "child_timeline",
    "history_timeline",
    "take_turn",
    "timeline_of",
]


@dataclass
class ScenarioRun:
    """One id pinned to a named scenario, and what it has answered so far."""

    name: str
    polls: int = 0
    started: float | None = None
    history: list[tuple[str, float]] = field(default_factory=list)


class StepProgress(Protocol):
    """One counted poll: polls so far (this one included), its step, when the run and each step began."""

    @property
    def polls(self) -> int: ...

    @property
    def index(self) -> int: ...

    @property
    def started(self) -> float: ...

    @property
    def step_times(self) -> tuple[float, ...]: ...


class Pins(Protocol):
    """What producing needs of the mock's state: pinned scenarios, their progress, clock offsets."""

    def pinned(self, key: str) -> str | None: ...

    def progress(self, key: str, scenario: Scenario, now: float) -> StepProgress:
        """Count one poll of `key` through `scenario` (atomically, wherever the state lives)."""
        ...

    def offset(self, key: str) -> float: ...


@dataclass(frozen=True)
class Turn:
    """What one poll of a pinned id answers: the step, its index, and when each step began."""

    step: Step
    index: int
    step_times: Sequence[float]


def take_turn(scenario: Scenario, run: ScenarioRun, now: float) -> Turn:
    """Advance `run` by one poll and return the step that answers it."""
    if run.started is None:
        run.started = now
    index = scenario.step_at(run.polls)
    step = scenario.steps[index]
    times = [t for _, t in run.history]
    if len(times) <= index:
        run.history.append((f"step-{index}", now))
        times.append(now)
    run.polls += 1
    return Turn(step, index, times)


def _is_started(lifecycle: Lifecycle, state: str) -> bool:
    known = lifecycle.states.get(state)
    return known.started if known is not None else True


def _is_terminal(lifecycle: Lifecycle, state: str) -> bool:
    known = lifecycle.states.get(state)
    return known.terminal if known is not None else False


def _states_over(steps: Sequence[Step], upto: int, pick: int | None) -> list[str | None]:
    out: list[str | None] = []
    for step in steps[: upto + 1]:
        if pick is None:
            out.append(step.state)
        elif step.children:
            out.append(step.children[min(pick, len(step.children) - 1)])
        else:
            out.append(None)
    return out


def _timeline(
    lifecycle: Lifecycle, states: list[str | None], times: Sequence[float], run: ScenarioRun
) -> Timeline | None:
    current = states[-1]
    if current is None:
        return None
    created = (run.started or times[0]) - 1.0
    started = next(
        (times[i] for i, s in enumerate(states) if s is not None and _is_started(lifecycle, s)), None
    )
    ended = None
    if _is_terminal(lifecycle, current):
        ended = next(times[i] for i, s in enumerate(states) if s is not None and _is_terminal(lifecycle, s))
    changed = [times[i] for i in range(len(states)) if i == 0 or states[i] != states[i - 1]]
    return Timeline(current, created, started, ended, changed[-1])


def history_timeline(
    lifecycle: Lifecycle, states: list[str | None], times: Sequence[float], run: ScenarioRun
) -> Timeline | None:
    """The timeline of a resource whose state at each step so far was `states` (None: not shown)."""
    return _timeline(lifecycle, states, times, run)


def timeline_of(lifecycle: Lifecycle, scenario: Scenario, run: ScenarioRun, turn: Turn) -> Timeline | None:
    """The resource's timeline at this turn, or None when the step names no state."""
    return _timeline(lifecycle, _states_over(scenario.steps, turn.index, None), turn.step_times, run)


def child_timeline(
    lifecycle: Lifecycle, scenario: Scenario, run: ScenarioRun, turn: Turn, child: int
) -> Timeline | None:
    """The timeline of child number `child` (steps' `children`, the last state repeating)."""
    return _timeline(lifecycle, _states_over(scenario.steps, turn.index, child), turn.step_times, run)


@dataclass(frozen=True)
class Forced:
    """A scenario's turn that decides the states of this answer."""

    scenario: Scenario
    run: ScenarioRun
    turn: Turn


class ScenarioAnswer(Exception):
    """A scenario answers this poll with an error status, in `op`'s error format."""

    def __init__(self, op: Operation, key: str, name: str, poll: int, step: Step) -> None:
        super().__init__(step.status)
        self.op = op
        self.key = key
        self.name = name
        self.poll = poll
        self.step = step


class Turns:
    """Scenario turns of pinned ids, told by the mock clock plus each id's own offset."""

    def __init__(self, pins: Pins, clock: Clock) -> None:
        self.pins = pins
        self.clock = clock

    def now(self, key: str) -> float:
        """The mock time as the id `key` sees it."""
        return self.clock.now() + self.pins.offset(key)

    def take(
        self, op: Operation, key: str, fixture_scenario: str | None, *, answer: Operation
    ) -> Forced | None:
        """This poll's turn of the scenario `key` is pinned to (by the control API or a fixture).

        Raises:
            ScenarioAnswer: the turn answers with an error status, in `answer`'s error format.
        """
        forced = self.pinned(op, key, fixture_scenario)
        if forced is not None and forced.turn.step.status is not None:
            raise ScenarioAnswer(answer, key, forced.scenario.name, forced.run.polls, forced.turn.step)
        return forced

    def pinned(self, op: Operation, key: str, fixture_scenario: str | None = None) -> Forced | None:
        """This poll's turn, whatever it answers; None when `key` follows no scenario of `op`."""
        name = self.pins.pinned(key) or fixture_scenario
        if name is None or name not in op.rules.scenarios:
            return None
        scenario = op.rules.scenarios[name]
        p = self.pins.progress(key, scenario, self.now(key))
        run = ScenarioRun(name, p.polls, p.started)
        return Forced(scenario, run, Turn(scenario.steps[p.index], p.index, p.step_times))
