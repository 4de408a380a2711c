"""One story per tree (`x-mock.tree`): siblings in sequence or in parallel, parents rolled up from
their children, and a scenario's states passed down so every level agrees."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence

from mockserver.produce.lifecycle import Schedule, schedule
from mockserver.spec.rules import Lifecycle, Tree

__all__ = [
    "NEVER",
    "children_for",
    "leaf_story",
    "parent_story",
    "released_after",
    "scenario_children",
    "state_at",
]

NEVER = float("inf")
"""The release time of a sibling that never starts (an earlier one in its sequence did not proceed)."""


def state_at(story: Schedule, moment: float) -> str:
    """The state a story is in at `moment` (before its first entry: its first state)."""
    index = max(0, bisect.bisect_right([t for _, t in story], moment) - 1)
    return story[index][0]


def leaf_story(lifecycle: Lifecycle, rng: random.Random, created: float, release: float) -> Schedule:
    """A node without children: waiting in its first state from `created`, its own story drawn
    from `release` on (a never-released node waits for good)."""
    if release == NEVER:
        return ((lifecycle.initial, created),)
    story = schedule(lifecycle, rng, release)
    if lifecycle.states[lifecycle.initial].started:
        return story
    return ((story[0][0], min(created, release)), *story[1:])


def _proceeds(rules: Tree, lifecycle: Lifecycle, state: str) -> bool:
    known = lifecycle.states.get(state)
    if rules.proceed:
        return state in rules.proceed
    return known is not None and known.terminal


def released_after(rules: Tree, lifecycle: Lifecycle, story: Schedule, release: float) -> float:
    """When the next sibling starts: with this one in parallel; in a sequence, once this one ends
    in a `proceed` state (never, when it ends otherwise)."""
    if rules.siblings != "sequence":
        return release
    final, moment = story[-1]
    return moment if _proceeds(rules, lifecycle, final) else NEVER


def parent_story(rules: Tree, stories: Sequence[Schedule]) -> Schedule:
    """A parent's story from its children's: at every change of a child, the `rollup` state."""
    moments = sorted({t for story in stories for _, t in story})
    out: list[tuple[str, float]] = []
    for moment in moments:
        state = rules.state([state_at(story, moment) for story in stories])
        if state is None:
            state = out[-1][0] if out else stories[0][0][0]
        if not out or out[-1][0] != state:
            out.append((state, moment))
    return tuple(out)


def scenario_children(rules: Tree, lifecycle: Lifecycle, listed: Sequence[str], count: int) -> list[str]:
    """The states of `count` children from a scenario step's list (the last one repeating); in a
    sequence, the children after one that does not proceed have not started."""
    states = [listed[min(i, len(listed) - 1)] for i in range(count)]
    if rules.siblings == "sequence":
        stopped = next((i for i, s in enumerate(states) if not _proceeds(rules, lifecycle, s)), None)
        if stopped is not None:
            states[stopped + 1 :] = [lifecycle.initial] * (count - stopped - 1)
    return states


def children_for(rules: Tree, lifecycle: Lifecycle, state: str, count: int) -> list[str]:
    """States of `count` children that roll up to their parent's `state`: all alike when that
    holds, else (sequence) done ones, one in `state`'s making, then waiting ones."""
    if count == 0:
        return []
    names = list(lifecycle.states)
    done = next((s for s in names if _proceeds(rules, lifecycle, s)), state)
    candidates: list[list[str]] = [[state] * count]
    for other in names:
        if rules.siblings == "sequence":
            candidates.append([other] + [lifecycle.initial] * (count - 1))
        else:
            candidates.append([done] * (count - 1) + [other])
    for states in candidates:
        rolled = not rules.rollup or rules.state(states) == state
        ordered = rules.siblings != "sequence" or scenario_children(rules, lifecycle, states, count) == states
        if rolled and ordered:
            return states
    return [state] * count
