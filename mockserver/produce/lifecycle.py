"""Status over time: where a resource is in its lifecycle, and the time fields that follow."""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockserver.produce.generate import format_time
from mockserver.spec.pointers import pointer_delete, pointer_get, pointer_set, subschema
from mockserver.spec.rules import Lifecycle, Order

__all__ = [
    "Clock",
    "Timeline",
    "apply_timeline",
    "human_duration",
    "running_item",
    "schedule",
    "sort_key",
    "timeline_at",
    "timeline_from",
    "timeline_window",
]


class Clock:
    """Mock time: real time since `origin`, scaled, plus any advance.

    Generated timelines are placed relative to the origin, so servers (and worker processes)
    with the same origin and seed give the same answers at the same moment.
    """

    def __init__(self, origin: float, scale: float = 1.0) -> None:
        self.origin = origin
        self.scale = scale
        self.advanced = 0.0

    def now(self) -> float:
        return self.origin + (time.time() - self.origin) * self.scale + self.advanced

    def advance(self, seconds: float) -> None:
        self.advanced += seconds

    def reset(self) -> None:
        self.advanced = 0.0


@dataclass(frozen=True)
class Timeline:
    """Where one resource stands: its state and the times of its transitions (epoch seconds)."""

    state: str
    created: float
    started: float | None
    ended: float | None
    updated: float


Schedule = tuple[tuple[str, float], ...]
"""A resource's whole story: each state and the moment (epoch seconds) it is entered."""

_MAX_TRANSITIONS = 64  # a lifecycle with cycles (Runnable <-> Suspended) stops moving after this


def schedule(lifecycle: Lifecycle, rng: random.Random, created: float) -> Schedule:
    """Draw the whole story once, from `created` to a terminal state, from `rng`."""
    state, entered = lifecycle.initial, created
    story = [(state, entered)]
    for _ in range(_MAX_TRANSITIONS):
        current = lifecycle.states[state]
        if current.terminal:
            break
        entered += rng.uniform(*current.lasts)
        names = list(current.next)
        state = rng.choices(names, weights=[current.next[n] for n in names])[0]
        story.append((state, entered))
    return tuple(story)


def timeline_from(lifecycle: Lifecycle, story: Schedule, now: float) -> Timeline:
    """Where a story stands at `now` (before its start it is in its first state)."""
    index = max(0, bisect.bisect_right([moment for _, moment in story], now) - 1)
    state, entered = story[index]
    started = next((t for s, t in story[: index + 1] if lifecycle.states[s].started), None)
    ended = entered if lifecycle.states[state].terminal else None
    return Timeline(state, story[0][1], started, ended, entered)


def timeline_window(lifecycle: Lifecycle, story: Schedule, now: float) -> tuple[Timeline, float, float]:
    """`timeline_from`, and the span of time around `now` over which that timeline holds."""
    moments = [moment for _, moment in story]
    after = bisect.bisect_right(moments, now)
    since = moments[after - 1] if after > 0 else float("-inf")
    until = moments[after] if after < len(moments) else float("inf")
    return timeline_from(lifecycle, story, now), since, until


def timeline_at(lifecycle: Lifecycle, rng: random.Random, created: float, now: float) -> Timeline:
    """Where a resource created at `created` stands at `now`, its story drawn from `rng`."""
    return timeline_from(lifecycle, schedule(lifecycle, rng, created), now)


def sort_key(value: Any) -> Any:
    """A value as it sorts and compares: RFC 3339 strings as epoch seconds, others as they are."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return value


def apply_timeline(
    body: MutableMapping[str, Any],
    schema: Mapping[str, Any],
    lifecycle: Lifecycle,
    timeline: Timeline,
    now: float | None = None,
) -> None:
    """Write the state and the time fields of `timeline` into `body`, in place (`now` paces a
    `cascadeOrder`: which item runs)."""
    pointer_set(body, lifecycle.field, timeline.state)
    terminal = lifecycle.states[timeline.state].terminal
    for pointer, moment in (
        (lifecycle.created, timeline.created),
        (lifecycle.start, timeline.started),
        (lifecycle.end, timeline.ended),
        (lifecycle.updated, timeline.updated),
    ):
        if pointer is None:
            continue
        sub = subschema(schema, pointer)
        if moment is not None:
            unit = sub.get("x-time", "rfc3339")
            pointer_set(body, pointer, format_time(moment, unit))
        else:
            _unset(body, schema, lifecycle, pointer, sub)
    if lifecycle.duration is not None:
        if timeline.started is not None and timeline.ended is not None:
            pointer_set(body, lifecycle.duration, human_duration(timeline.ended - timeline.started))
        else:
            _unset(body, schema, lifecycle, lifecycle.duration, subschema(schema, lifecycle.duration))
    for pattern, states in lifecycle.cascade.items():
        if timeline.state in states:
            _cascade(body, lifecycle, timeline, pattern, states[timeline.state], now)
    shown = {**lifecycle.when, **lifecycle.shows}
    hidden = [p for p, states in shown.items() if timeline.state not in states]
    if not terminal:
        hidden += lifecycle.terminal_only
    for pointer in hidden:
        _unset(body, schema, lifecycle, pointer, subschema(schema, pointer))


def _cascade(
    body: Any, lifecycle: Lifecycle, timeline: Timeline, pattern: str, nested: str, now: float | None
) -> None:
    """Nested states follow the resource's: all alike, or (`cascadeOrder`) one item at a time."""
    order = lifecycle.order
    if order is None or not pattern.startswith(f"{order.items}/*/"):
        _set_each(body, pattern.split("/")[1:], nested)
        return
    items = pointer_get(body, order.items)
    if not isinstance(items, list):
        return
    running = running_item(order, len(items), nested, timeline, now)
    tokens = pattern[len(order.items) + 3 :].split("/")
    for index, item in enumerate(items):
        state = order.proceed if index < running else nested if index == running else order.waiting
        _set_each(item, tokens, state)


def running_item(order: Order, count: int, nested: str, timeline: Timeline, now: float | None) -> int:
    """Which of `count` items is in `nested` (before it: `proceed`, after it: `waiting`)."""
    if nested == order.proceed:
        return count
    if nested == order.waiting:
        return -1
    if timeline.started is None:
        return 0
    until = timeline.ended if timeline.ended is not None else now if now is not None else timeline.started
    return max(0, min(count - 1, int((until - timeline.started) // order.every)))


def _set_each(node: Any, tokens: list[str], value: Any) -> None:
    """Set `value` at a pointer whose `*` tokens stand for every item of an array."""
    head, rest = tokens[0], tokens[1:]
    if head == "*":
        if isinstance(node, list) and rest:
            for item in node:
                _set_each(item, rest, value)
        return
    if not isinstance(node, dict):
        return
    if not rest:
        node[head] = value
    elif head in node:
        _set_each(node[head], rest, value)


def human_duration(seconds: float) -> str:
    """`3 min 25 sec`, `1 h 2 min 0 sec`: a readable length of time."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min {secs} sec"
    return f"{minutes} min {secs} sec" if minutes else f"{secs} sec"


def _unset(
    body: MutableMapping[str, Any],
    schema: Mapping[str, Any],
    lifecycle: Lifecycle,
    pointer: str,
    sub: Mapping[str, Any],
) -> None:
    if pointer in lifecycle.unset:
        pointer_set(body, pointer, lifecycle.unset[pointer])
    elif sub.get("nullable"):
        pointer_set(body, pointer, None)
    else:
        pointer_delete(body, pointer)
