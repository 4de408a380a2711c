"""Write-behind for the shared stores' journals: a request queues its entry, one task writes batches.

The entry is recorded after the answer is sent, so nobody waits for the store; batching turns one
write per request into one per `linger` (20 ms: one SQLite transaction, one Redis round trip for
every entry queued meanwhile), so under load the journal costs a few writes a second, not one per
request. Reading the journal (`flush`), a full queue and closing write at once. The queue holds
at most `limit` entries: when it is full, a request waits for the batch in flight (the store is
slower than the requests); while the store is unreachable the oldest queued entries are dropped
instead, so no request waits on an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from mockserver.exceptions import StateUnavailable

__all__ = ["Batch", "WriteBehind"]

_LOG = logging.getLogger("mockserver.state")

Batch = list[tuple[str, bytes]]
"""(session, encoded entry) pairs, oldest first."""


class WriteBehind:
    """Entries queued in this process and written by one background task, oldest first."""

    def __init__(self, write: Callable[[Batch], Awaitable[None]], limit: int, linger: float = 0.02) -> None:
        self._write = write
        self._limit = max(1, limit)
        self._linger = linger
        self._hurry = asyncio.Event()
        self._pending: Batch = []
        self._task: asyncio.Task[None] | None = None
        self._written: asyncio.Future[None] | None = None
        self._reachable = True
        self.dropped = 0

    async def add(self, session: str, data: bytes) -> None:
        """Queue one entry; the writer starts on the next turn of the loop if idle."""
        while len(self._pending) >= self._limit and self._reachable and self._running():
            if self._written is None:
                self._written = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._written)
        self._pending.append((session, data))
        if len(self._pending) >= self._limit:
            self._hurry.set()
        if len(self._pending) > self._limit:
            del self._pending[0]
            self.dropped += 1
        self._start()

    def _running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _start(self) -> None:
        if self._pending and not self._running():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    def discard(self, session: str) -> None:
        """Forget the queued entries of `session` (it is being reset)."""
        self._pending = [item for item in self._pending if item[0] != session]

    async def flush(self) -> None:
        """Return once everything queued so far is written (or dropped: the store is unreachable)."""
        self._hurry.set()
        self._start()
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    def _batch_done(self) -> None:
        waiting, self._written = self._written, None
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def _drain(self) -> None:
        try:
            if self._linger > 0 and not self._hurry.is_set():  # let a batch gather
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._linger):
                        await self._hurry.wait()
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._write(batch)
                    self._reachable = True
                except StateUnavailable as exc:  # already logged by the store; these entries are lost
                    self._reachable = False
                    self.dropped += len(batch)
                    _LOG.debug("journal: %d entries dropped: %s", len(batch), exc)
                    return
                except Exception:  # a bug must not end journaling silently
                    self.dropped += len(batch)
                    _LOG.exception("journal: %d entries dropped", len(batch))
                    return
                finally:
                    self._batch_done()
        finally:
            self._hurry.clear()
            self._batch_done()
