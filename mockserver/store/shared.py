"""What the shared stores (SQLite, Redis) have in common: a view cache and a written-behind journal.

Most requests ask the store one question: is this id pinned, and how far was its clock moved? A
shared store answers it from a snapshot of the session's pins and clock offsets, kept in this
process for as long as nobody changed them. Each backend says how a process learns of a change
(`_token`): SQLite reads a generation counter in a file every worker maps into memory (exact: a
change is visible before its writer answers); Redis replicas hear of it over pub/sub and confirm
before the writer answers (see `store.notices`). A snapshot taken under one token is used while
the token stands; when the backend cannot vouch for one (no token), every question is a read.
So an unpinned id costs no round trip, and no pin is served after the request that changed it
was answered. Journal entries are queued and written in batches (`buffer.WriteBehind`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from mockserver.store.base import KeyView, Store, StoreOptions
from mockserver.store.buffer import WriteBehind
from mockserver.store.journal import JournalEntry, encode_entry

__all__ = ["SharedStore", "Snapshot", "ViewCache"]

_NOTHING = KeyView(None, 0.0)
MAX_SESSIONS = 256


@dataclass(frozen=True)
class Snapshot:
    """One session's pins and clock offsets ("" = the whole session's), read at once under `token`."""

    token: Hashable | None
    pins: Mapping[str, str]
    offsets: Mapping[str, float]
    taken: float = field(default_factory=time.monotonic)

    def view(self, key: str) -> KeyView:
        """What the snapshot says of `key`: its pin and its clock offset (the session's plus its own)."""
        pinned = self.pins.get(key)
        whole = self.offsets.get("", 0.0)
        own = self.offsets.get(key, 0.0) if key else 0.0
        if pinned is None and not whole and not own:
            return _NOTHING
        return KeyView(pinned, whole + own)


class ViewCache:
    """The newest snapshot of each recently read session (those read from the store longest ago go first)."""

    def __init__(self, max_age: float | None = None, max_sessions: int = MAX_SESSIONS) -> None:
        self.max_age = max_age
        self._max_sessions = max_sessions
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()

    def get(self, session: str, token: Hashable | None) -> Snapshot | None:
        """The session's snapshot when it was taken under `token` (and is young enough), else None."""
        if token is None:
            return None
        found = self._snapshots.get(session)
        if found is None or found.token != token:
            return None
        if self.max_age is not None and time.monotonic() - found.taken > self.max_age:
            del self._snapshots[session]
            return None
        return found

    def put(self, session: str, snapshot: Snapshot) -> None:
        """Keep `snapshot` (one taken under no token is not kept)."""
        if snapshot.token is None:
            return
        self._snapshots[session] = snapshot
        self._snapshots.move_to_end(session)
        while len(self._snapshots) > self._max_sessions:
            self._snapshots.popitem(last=False)

    def drop(self, session: str | None = None) -> None:
        """Forget the snapshot of `session` (of every session when None)."""
        if session is None:
            self._snapshots.clear()
        else:
            self._snapshots.pop(session, None)


class SharedStore(Store):
    """A store other processes share: views answered from snapshots, the journal written behind."""

    _journal: WriteBehind
    _views: ViewCache

    def __init__(self, options: StoreOptions) -> None:
        super().__init__(options)
        self._loading: dict[str, tuple[Hashable, asyncio.Future[Snapshot]]] = {}

    def _token(self, session: str) -> Hashable | None:
        """The session's current change token as this process knows it; None: trust no snapshot."""
        return None

    async def _snapshot(self, session: str) -> Snapshot:
        """Read the session's pins and offsets at once, with the token they were read under."""
        raise NotImplementedError

    async def _read(self, session: str, keys: Sequence[str]) -> list[KeyView]:
        """`views` without a cache (no token): only the ids asked, where the backend can."""
        snapshot = await self._snapshot(session)
        return [snapshot.view(key) for key in keys]

    def cached_view(self, session: str, key: str) -> KeyView | None:
        snapshot = self._views.get(session, self._token(session))
        return None if snapshot is None else snapshot.view(key)

    async def views(self, session: str, keys: Sequence[str]) -> list[KeyView]:
        token = self._token(session)
        snapshot = self._views.get(session, token)
        if snapshot is None:
            if token is None:  # nothing to keep a snapshot under: read only what is asked
                return await self._read(session, keys)
            snapshot = await self._load(session, token)
        return [snapshot.view(key) for key in keys]

    async def _load(self, session: str, token: Hashable) -> Snapshot:
        """The session's snapshot, read once for every request that waits for it under `token`.

        A request joins a read in flight only when nothing changed since it began (same token):
        one that arrives after a change reads again.
        """
        flight = self._loading.get(session)
        if flight is None or flight[0] != token:
            task = asyncio.ensure_future(self._snapshot(session))
            flight = self._loading[session] = (token, task)
            task.add_done_callback(lambda done: self._landed(session, done))
        return await asyncio.shield(flight[1])

    def _landed(self, session: str, task: asyncio.Future[Snapshot]) -> None:
        if self._loading.get(session, (None, None))[1] is task:
            del self._loading[session]
        if not task.cancelled() and task.exception() is None:
            self._views.put(session, task.result())

    async def view(self, session: str, key: str) -> KeyView:
        return (await self.views(session, [key]))[0]

    async def pinned(self, session: str, key: str) -> str | None:
        return (await self.view(session, key)).pinned

    async def offset(self, session: str, key: str = "") -> float:
        return (await self.view(session, key)).offset

    async def append(self, session: str, entry: JournalEntry) -> None:
        await self._journal.add(session, encode_entry(entry))

    async def flush(self) -> None:
        await self._journal.flush()
