"""The state contract every store keeps: pins, scenario progress, clock offsets, journal, per session.

Answers derive from (seed, request, clock); this is the only mutable state of the mock. Every
operation names a session ("" is the default one, as without sessions; any other is a name
`sessions.check_session` accepts); sessions never see each other's pins, progress, clock or
journal. Backends: `memory` (one process), `sqlite` (the workers of one machine), `redis`
(replicas on several machines).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mockserver.store.journal import JournalEntry
from mockserver.store.polls import poll_report

__all__ = [
    "DEFAULT_SESSION",
    "KeyView",
    "Progress",
    "Store",
    "StoreOptions",
    "redact_url",
    "select_entries",
    "step_index",
]

DEFAULT_SESSION = ""


@dataclass(frozen=True)
class StoreOptions:
    """Bounds shared by every backend; `ttl`, `prefix` and `timeout` matter to Redis only."""

    journal_size: int = 1000
    max_ids: int = 10_000
    ttl: float = 86_400.0
    prefix: str = "mockserver"
    timeout: float = 1.0


@dataclass(frozen=True)
class Progress:
    """One poll's place in a scenario: polls so far (this one included), its step, step start times."""

    polls: int
    index: int
    started: float
    step_times: tuple[float, ...]


@dataclass(frozen=True)
class KeyView:
    """What one request needs to know about an id: its pinned scenario and its clock offset."""

    pinned: str | None
    offset: float


def step_index(spans: Sequence[int | None], poll: int) -> int:
    """The step answering poll number `poll` (0-based); `spans` are polls per step, None = forever."""
    if not spans:
        raise ValueError("a scenario needs at least one step")
    seen = 0
    for index, span in enumerate(spans):
        if span is None or poll < seen + span:
            return index
        seen += span
    return len(spans) - 1


def select_entries(
    entries: Sequence[JournalEntry], *, limit: int, path: str | None, status: int | None
) -> list[JournalEntry]:
    """The newest `limit` entries (oldest first) whose path contains `path` and status is `status`."""
    if limit <= 0:
        return []
    if path is None and status is None:
        return list(entries[-limit:])
    chosen = [
        e for e in entries if (path is None or path in e.path) and (status is None or e.status == status)
    ]
    return chosen[-limit:]


class Store(abc.ABC):
    """The mock's mutable state, scoped by session; one contract for every backend."""

    def __init__(self, options: StoreOptions) -> None:
        self.options = options

    @abc.abstractmethod
    async def pin(self, session: str, key: str, scenario: str) -> None:
        """Pin `key` to `scenario` from now on; its progress starts over."""

    @abc.abstractmethod
    async def unpin(self, session: str, key: str) -> None:
        """Forget the pin of `key` and its progress."""

    @abc.abstractmethod
    async def pinned(self, session: str, key: str) -> str | None:
        """The scenario `key` is pinned to, or None."""

    def cached_view(self, session: str, key: str) -> KeyView | None:
        """`view` from what this process knows for sure, without waiting; None when it must read."""
        return None

    @abc.abstractmethod
    async def view(self, session: str, key: str) -> KeyView:
        """The pin of `key` and its clock offset, read together (one round trip where remote)."""

    async def views(self, session: str, keys: Sequence[str]) -> list[KeyView]:
        """`view` of several ids at once (a collection's items), in their order."""
        return [await self.view(session, key) for key in keys]

    @abc.abstractmethod
    async def take_turn(
        self, session: str, key: str, scenario: str, spans: Sequence[int | None], now: float
    ) -> Progress:
        """Count one poll of `key` through `scenario` atomically and say which step answers it.

        Progress starts over when `key` was last polled through another scenario. Concurrent
        callers (in any process sharing the store) always get distinct poll numbers.
        """

    @abc.abstractmethod
    async def advance(self, session: str, seconds: float, key: str = "") -> float:
        """Move the clock of `key` (of the whole session when "") on; returns `offset(session, key)`."""

    @abc.abstractmethod
    async def offset(self, session: str, key: str = "") -> float:
        """Seconds the session's clock was advanced, plus those of `key`."""

    @abc.abstractmethod
    async def append(self, session: str, entry: JournalEntry) -> None:
        """Add a finished request to the journal (the oldest falls off beyond `journal_size`).

        Shared stores queue it and write batches in the background (see `flush`): the entry is
        recorded after its answer was sent, so no request waits for it.
        """

    @abc.abstractmethod
    async def recent(self, session: str, count: int | None = None) -> list[JournalEntry]:
        """The newest `count` journal entries (all kept when None), oldest first."""

    @abc.abstractmethod
    async def reset(self, session: str) -> None:
        """Forget the session's journal, pins, progress and clock offsets."""

    @abc.abstractmethod
    async def sizes(self, session: str) -> dict[str, int]:
        """How much the session holds: journal, pinned, scenarioRuns, clockOffsets."""

    async def ping(self) -> None:
        """Check the store answers (at start-up); StateUnavailable when it does not."""
        return None

    async def flush(self) -> None:
        """Return once this process's appended entries are visible to every process sharing the store."""
        return None

    async def close(self) -> None:
        """Write what is queued, release connections and files (the store cannot be used after)."""
        return None

    async def journal(
        self, session: str, *, limit: int = 100, path: str | None = None, status: int | None = None
    ) -> list[JournalEntry]:
        """The newest `limit` entries matching `path` (a substring) and `status`, oldest first."""
        if limit <= 0:
            return []
        filtered = path is not None or status is not None
        entries = await self.recent(session, None if filtered else limit)
        return select_entries(entries, limit=limit, path=path, status=status)

    async def poll_report(self, session: str, name: Callable[[str], Any] = str) -> list[dict[str, Any]]:
        """How each client polled each execution, from the session's journal."""
        return poll_report(await self.recent(session), name)


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return urlunsplit(parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{hostport}"))
