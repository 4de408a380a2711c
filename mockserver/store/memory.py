"""The in-process store: the default for one worker, as cheap as plain dicts.

No method awaits anything, so each one runs to completion without yielding to the event loop:
that alone makes "take the next turn" atomic. Every collection is capped (least recently used
ids and sessions fall off first).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Any

from mockserver.store.base import KeyView, Progress, Store, StoreOptions, step_index
from mockserver.store.journal import JournalEntry

__all__ = ["MAX_SESSIONS", "MemoryStore"]

MAX_SESSIONS = 256


class _Run:
    """One id's progress through one scenario."""

    __slots__ = ("name", "polls", "started", "times")

    def __init__(self, name: str, started: float) -> None:
        self.name = name
        self.polls = 0
        self.started = started
        self.times: list[float] = []


class _Session:
    """Everything one session holds."""

    __slots__ = ("clock", "journal", "offsets", "pins", "runs")

    def __init__(self, journal_size: int) -> None:
        self.journal: deque[JournalEntry] = deque(maxlen=max(1, journal_size))
        self.pins: OrderedDict[str, str] = OrderedDict()
        self.runs: OrderedDict[str, _Run] = OrderedDict()
        self.offsets: OrderedDict[str, float] = OrderedDict()
        self.clock = 0.0


_EMPTY = _Session(1)
_NOTHING = KeyView(None, 0.0)


class MemoryStore(Store):
    """State of one process, in dicts and deques."""

    def __init__(self, options: StoreOptions | None = None) -> None:
        super().__init__(options or StoreOptions())
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._max_ids = self.options.max_ids

    def _session(self, name: str) -> _Session:
        """The session to write to, created on first use."""
        found = self._sessions.get(name)
        if found is None:
            found = self._sessions[name] = _Session(self.options.journal_size)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(name)
        return found

    def _cap(self, store: OrderedDict[str, Any]) -> None:
        while len(store) > self._max_ids:
            store.popitem(last=False)

    async def pin(self, session: str, key: str, scenario: str) -> None:
        state = self._session(session)
        state.pins[key] = scenario
        state.pins.move_to_end(key)
        state.runs.pop(key, None)
        self._cap(state.pins)

    async def unpin(self, session: str, key: str) -> None:
        state = self._sessions.get(session, _EMPTY)
        state.pins.pop(key, None)
        state.runs.pop(key, None)

    async def pinned(self, session: str, key: str) -> str | None:
        return self._sessions.get(session, _EMPTY).pins.get(key)

    def cached_view(self, session: str, key: str) -> KeyView:
        state = self._sessions.get(session, _EMPTY)
        pinned, own = state.pins.get(key), state.offsets.get(key)
        if pinned is None and own is None and not state.clock:
            return _NOTHING  # the common case, without building a value
        return KeyView(pinned, state.clock + (own or 0.0))

    async def view(self, session: str, key: str) -> KeyView:
        return self.cached_view(session, key)

    async def take_turn(
        self, session: str, key: str, scenario: str, spans: Sequence[int | None], now: float
    ) -> Progress:
        state = self._session(session)
        run = state.runs.get(key)
        if run is None or run.name != scenario:
            run = state.runs[key] = _Run(scenario, now)
            self._cap(state.runs)
        else:
            state.runs.move_to_end(key)
        index = step_index(spans, run.polls)
        run.polls += 1
        while len(run.times) <= index:
            run.times.append(now)
        return Progress(run.polls, index, run.started, tuple(run.times[: index + 1]))

    async def advance(self, session: str, seconds: float, key: str = "") -> float:
        state = self._session(session)
        if key:
            state.offsets[key] = state.offsets.get(key, 0.0) + seconds
            state.offsets.move_to_end(key)
            self._cap(state.offsets)
        else:
            state.clock += seconds
        return state.clock + state.offsets.get(key, 0.0)

    async def offset(self, session: str, key: str = "") -> float:
        state = self._sessions.get(session, _EMPTY)
        return state.clock + state.offsets.get(key, 0.0)

    async def append(self, session: str, entry: JournalEntry) -> None:
        self._session(session).journal.append(entry)

    async def recent(self, session: str, count: int | None = None) -> list[JournalEntry]:
        entries = list(self._sessions.get(session, _EMPTY).journal)
        return entries if count is None else entries[-count:] if count > 0 else []

    async def reset(self, session: str) -> None:
        self._sessions.pop(session, None)

    async def sizes(self, session: str) -> dict[str, int]:
        state = self._sessions.get(session, _EMPTY)
        return {
            "journal": len(state.journal),
            "pinned": len(state.pins),
            "scenarioRuns": len(state.runs),
            "clockOffsets": len(state.offsets),
        }
