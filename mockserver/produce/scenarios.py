"""Scenarios: an id pinned to a named story, told one poll at a time.

A scenario's steps say what each poll answers (a state, the states of child steps, or an error
status); the times follow what the id has actually been through, so a start time never moves
and an end time appears once and stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockserver.pipeline.state import ScenarioRun
from mockserver.produce.lifecycle import Timeline
from mockserver.spec.extensions import Lifecycle, Scenario, Step

__all__ = ["Turn", "child_timeline", "take_turn", "timeline_of"]


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


def timeline_of(lifecycle: Lifecycle, scenario: Scenario, run: ScenarioRun, turn: Turn) -> Timeline | None:
    """The resource's timeline at this turn, or None when the step names no state."""
    return _timeline(lifecycle, _states_over(scenario.steps, turn.index, None), turn.step_times, run)


def child_timeline(
    lifecycle: Lifecycle, scenario: Scenario, run: ScenarioRun, turn: Turn, child: int
) -> Timeline | None:
    """The timeline of child number `child` (steps' `children`, the last state repeating)."""
    return _timeline(lifecycle, _states_over(scenario.steps, turn.index, child), turn.step_times, run)
