"""The producer's view of the state store while one request is answered: pins, offsets, turns.

Producing is synchronous; the store is async. What the store can say at once (`cached_view`:
always for the memory store; for a shared store while its snapshot of the session stands) is
used on the spot, and the memory store's turns run to completion without an event-loop turn.
Otherwise a shared store (SQLite, Redis) is read in rounds: an attempt to answer notes which ids
it lacks, the chooser fetches them in one batch (`resolve`) and answers again; each poll is
counted once per request, whatever the number of rounds.
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

from mockserver.produce.lifecycle import Clock
from mockserver.produce.scenarios import StepProgress
from mockserver.spec.rules import Scenario
from mockserver.store import DEFAULT_SESSION, KeyView, MemoryStore, Progress, Store

__all__ = [
    "CURRENT_LOOKUP",
    "CURRENT_SESSION",
    "Lookup",
    "MissingState",
    "SessionClock",
    "StorePins",
    "run_now",
]

T = TypeVar("T")
_NOTHING = KeyView(None, 0.0)


def run_now(call: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never awaits (the memory store's), without an event loop."""
    try:
        call.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    call.close()
    raise RuntimeError("run_now: the call awaited something")


class MissingState(BaseException):
    """The first round of a shared store's request stops at the first id it has not read."""


class Lookup:
    """What one request read of the store, and what it still needs (shared stores only)."""

    def __init__(self, store: Store, session: str) -> None:
        self.store = store
        self.session = session
        self.synchronous = isinstance(store, MemoryStore)
        self.views: dict[str, KeyView] = {}
        self.taken: dict[str, Progress] = {}
        self.want_views: dict[str, None] = {}
        clock = store.cached_view(session, "")  # "": the session clock, read with the first id
        if clock is None:
            self.want_views[""] = None
        else:
            self.views[""] = clock
        self.want_turns: dict[str, tuple[str, tuple[int | None, ...], float]] = {}
        self.rounds = 0

    @property
    def pending(self) -> bool:
        return bool(self.want_views or self.want_turns)

    def view(self, key: str) -> KeyView:
        known = self.views.get(key)
        if known is not None:
            return known
        known = self.store.cached_view(self.session, key)
        if known is not None:
            self.views[key] = known
            return known
        self.want_views[key] = None
        if self.rounds == 0 and key:  # read with the session clock ("") in one batch
            raise MissingState(key)
        return _NOTHING  # provisional: this round's answer is thrown away

    def progress(self, key: str, scenario: Scenario, now: float) -> StepProgress:
        done = self.taken.get(key)
        if done is not None:
            return done
        spans = tuple(step.polls for step in scenario.steps)
        if self.synchronous:
            done = self.taken[key] = run_now(
                self.store.take_turn(self.session, key, scenario.name, spans, now)
            )
            return done
        if key in self.views:  # counted only once its pin is known for sure
            self.want_turns[key] = (scenario.name, spans, now)
        return Progress(1, 0, now, (now,))  # provisional

    async def resolve(self) -> None:
        """Read the ids the last round lacked (one batch), else count the polls it took."""
        self.rounds += 1
        if self.want_views:
            keys: Sequence[str] = list(self.want_views)
            self.want_views.clear()
            self.want_turns.clear()  # taken again once every pin of the round is known
            for key, found in zip(keys, await self.store.views(self.session, keys), strict=True):
                self.views[key] = found
            return
        turns = dict(self.want_turns)
        self.want_turns.clear()
        for key, (name, spans, now) in turns.items():
            self.taken[key] = await self.store.take_turn(self.session, key, name, spans, now)


CURRENT_LOOKUP: ContextVar[Lookup | None] = ContextVar("mockserver_lookup", default=None)
CURRENT_SESSION: ContextVar[str] = ContextVar("mockserver_session", default=DEFAULT_SESSION)
"""The session of the request being answered (set by the server from its header or path prefix)."""


class SessionClock(Clock):
    """Mock time plus the clock advance of the session being answered (kept in the store)."""

    def __init__(self, origin: float, scale: float = 1.0) -> None:
        super().__init__(origin, scale)
        self.pins: StorePins | None = None

    def base_now(self) -> float:
        """Mock time of no session in particular: the store's advances are added by the caller."""
        return super().now()

    def now(self) -> float:
        return super().now() + (self.pins.lookup().view("").offset if self.pins is not None else 0.0)


class StorePins:
    """`produce.scenarios.Pins` over a store, for the request being answered (CURRENT_LOOKUP)."""

    def __init__(self, store: Store, clock: SessionClock | None = None) -> None:
        self.store = store
        if clock is not None:
            clock.pins = self

    def lookup(self) -> Lookup:
        current = CURRENT_LOOKUP.get()
        if current is not None:
            return current
        if not isinstance(self.store, MemoryStore):
            raise RuntimeError("a shared store is read only while a request is answered")
        return Lookup(self.store, DEFAULT_SESSION)  # outside a request (unit tests): read directly

    def pinned(self, key: str) -> str | None:
        return self.lookup().view(key).pinned

    def offset(self, key: str) -> float:
        """The id's own clock offset (the session-wide one is in `SessionClock`)."""
        lookup = self.lookup()
        return lookup.view(key).offset - lookup.view("").offset if key else 0.0

    def progress(self, key: str, scenario: Scenario, now: float) -> StepProgress:
        return self.lookup().progress(key, scenario, now)
