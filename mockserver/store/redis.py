"""The Redis store: state shared by replicas on several machines, through redis-py's asyncio client.

Key layout, for prefix P and session S (the default session "" is written `-`; the braces are a
Redis Cluster hash tag, so one session's keys share a slot and a Lua script may touch them all):

    P:{S}:pins      hash  id -> scenario name
    P:{S}:clock     hash  "" -> seconds the session's clock was advanced; id -> that id's own
    P:{S}:run:<id>  hash  scenario, polls, started, t0..tN (when each step was first answered)
    P:{S}:log       list of encoded journal entries (credentials masked), oldest first, capped
                    at journal_size

TTLs: a run expires `ttl` after its last poll; each poll and pin also renews the session's pins and
clock; every journal append renews the log (like the memory and SQLite journals, it keeps the last
journal_size entries while in use). A batch of entries is one RPUSH (variadic), LTRIM and PEXPIRE
in one round trip, no script: on Redis' side well under a µs an entry, where a stream's XADD from
Lua cost ~4 µs. Poll counting is one Lua script (HINCRBY plus the step times), atomic across
replicas.

Pins and clock offsets are answered from a per-process snapshot of the session (`store.shared`),
kept while no change was announced: every change is published, and each listening replica
confirms it before the writer answers (`store.notices`), so a pin set through one replica is
seen by the very next request to any other, and an unpinned id costs no round trip at all.

A lost connection raises `StateUnavailable` within the socket timeout (never a hang); the next
call reconnects (one immediate retry on a stale pooled connection).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from mockserver.exceptions import StateUnavailable
from mockserver.store.base import KeyView, Progress, StoreOptions, redact_url, step_index
from mockserver.store.buffer import Batch, WriteBehind
from mockserver.store.journal import JournalEntry, decode_entry
from mockserver.store.notices import Notices
from mockserver.store.scripts import TAKE_TURN
from mockserver.store.sessions import check_session
from mockserver.store.shared import SharedStore, Snapshot, ViewCache

__all__ = ["RedisStore", "session_tag"]

_LOG = logging.getLogger("mockserver.state")


def session_tag(session: str) -> str:
    """The session's part of a key: `{name}`, `{-}` for the default session (names start alphanumeric)."""
    return "{" + check_session(session) + "}" if session else "{-}"


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore(SharedStore):
    """State in one Redis database, shared by every replica that uses the same URL and prefix."""

    def __init__(self, url: str, options: StoreOptions | None = None) -> None:
        super().__init__(options or StoreOptions())
        self.url = redact_url(url)
        timeout = self.options.timeout
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=0,
        )
        self._deadline = timeout * 3 + 0.5  # connect + retry + reply, never longer
        self._ttl_ms = max(1, round(self.options.ttl * 1000))
        self._take = self._redis.register_script(TAKE_TURN)
        self._keys: dict[str, tuple[str, str, str, str]] = {}
        self._journal = WriteBehind(self._write_entries, self.options.journal_size)
        self._down = False
        self._views = ViewCache(max_age=timeout)
        listener = aioredis.Redis.from_url(
            url, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0), health_check_interval=0
        )
        self._notices = Notices(self._redis, listener, self.options.prefix, timeout, self._views.drop)

    def _names(self, session: str) -> tuple[str, str, str, str]:
        """(pins, clock, journal, run prefix) keys of `session`."""
        found = self._keys.get(session)
        if found is None:
            base = f"{self.options.prefix}:{session_tag(session)}:"
            found = (base + "pins", base + "clock", base + "log", base + "run:")
            if len(self._keys) > 1024:
                self._keys.clear()
            self._keys[session] = found
        return found

    @asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        """Turn any Redis failure or overrun into StateUnavailable, logged once per outage."""
        try:
            async with asyncio.timeout(self._deadline):
                yield
        except (RedisError, OSError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            if not self._down:
                _LOG.warning("state store %s unavailable: %s", self.url, reason)
            self._down = True
            raise StateUnavailable(f"state store {self.url} unavailable: {reason}") from None
        if self._down:
            self._down = False
            _LOG.warning("state store %s reachable again", self.url)

    async def ping(self) -> None:
        async with self._guard():
            await self._redis.ping()

    async def pin(self, session: str, key: str, scenario: str) -> None:
        pins, _, _, run = self._names(session)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hset(pins, key, scenario)
            pipe.pexpire(pins, self._ttl_ms)
            pipe.delete(run + key)
            await self._notices.execute(pipe)

    async def unpin(self, session: str, key: str) -> None:
        pins, _, _, run = self._names(session)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hdel(pins, key)
            pipe.delete(run + key)
            await self._notices.execute(pipe)

    def _token(self, session: str) -> tuple[int, int] | None:
        return self._notices.token()

    async def _read(self, session: str, keys: Sequence[str]) -> list[KeyView]:
        pins, clock, _, _ = self._names(session)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.hmget(pins, list(keys))
            pipe.hmget(clock, ["", *keys])
            pinned, (whole, *own) = await pipe.execute()
        base = float(whole or 0.0)
        return [
            KeyView(_text(pin), base + (float(mine or 0.0) if key else 0.0))
            for key, pin, mine in zip(keys, pinned, own, strict=True)
        ]

    async def _snapshot(self, session: str) -> Snapshot:
        token = self._token(session)  # before reading: a change heard meanwhile voids the snapshot
        pins, clock, _, _ = self._names(session)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hgetall(pins)
            pipe.hgetall(clock)
            pinned, offsets = await pipe.execute()
        return Snapshot(
            token,
            {k.decode(): v.decode() for k, v in pinned.items()},
            {k.decode(): float(v) for k, v in offsets.items()},
        )

    async def take_turn(
        self, session: str, key: str, scenario: str, spans: Sequence[int | None], now: float
    ) -> Progress:
        step_index(spans, 0)  # refuses a scenario without steps, as every store does
        pins, clock, _, run = self._names(session)
        args: list[str | int] = [scenario, repr(now), self._ttl_ms, *(-1 if s is None else s for s in spans)]
        async with self._guard():
            reply = await self._take(keys=[run + key, pins, clock], args=args)
        polls, index, started, *times = (float(v) for v in reply)
        return Progress(int(polls), int(index), started, tuple(times))

    async def advance(self, session: str, seconds: float, key: str = "") -> float:
        _, clock, _, _ = self._names(session)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.hincrbyfloat(clock, key, seconds)
            pipe.pexpire(clock, self._ttl_ms)
            pipe.hget(clock, "")
            own, _, whole = await self._notices.execute(pipe)
        return float(own) + (float(whole or 0.0) if key else 0.0)

    async def _write_entries(self, batch: Batch) -> None:
        """The batch in one round trip: per session, one RPUSH of its entries, then the cap and TTL."""
        by_session: dict[str, list[bytes]] = {}
        for session, data in batch:
            by_session.setdefault(session, []).append(data)
        cap = max(1, self.options.journal_size)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            for session, entries in by_session.items():
                log = self._names(session)[2]
                pipe.rpush(log, *entries)
                pipe.ltrim(log, -cap, -1)
                pipe.pexpire(log, self._ttl_ms)
            await pipe.execute()

    async def recent(self, session: str, count: int | None = None) -> list[JournalEntry]:
        log = self._names(session)[2]
        size = max(1, self.options.journal_size)
        wanted = size if count is None else min(count, size)
        if wanted <= 0:
            return []
        await self._journal.flush()
        async with self._guard():
            rows: list[bytes | str] = await self._redis.lrange(log, -wanted, -1)
        return [decode_entry(row) for row in rows]

    async def _runs(self, session: str) -> list[bytes]:
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self._names(session)[3]) + "*"
        return [name async for name in self._redis.scan_iter(match=pattern, count=500)]

    async def reset(self, session: str) -> None:
        pins, clock, journal, _ = self._names(session)
        self._journal.discard(session)
        await self._journal.flush()
        async with self._guard():
            runs = await self._runs(session)
            pipe = self._redis.pipeline(transaction=True)
            pipe.unlink(pins, clock, journal, *runs)
            await self._notices.execute(pipe)

    async def sizes(self, session: str) -> dict[str, int]:
        pins, clock, journal, _ = self._names(session)
        await self._journal.flush()
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.llen(journal)
            pipe.hlen(pins)
            pipe.hlen(clock)
            pipe.hexists(clock, "")
            length, pinned, offsets, whole = await pipe.execute()
            runs = await self._runs(session)
        return {
            "journal": int(length),
            "pinned": int(pinned),
            "scenarioRuns": len(runs),
            "clockOffsets": int(offsets) - (1 if whole else 0),
        }

    async def close(self) -> None:
        await self._journal.flush()
        await self._notices.close()
        await self._redis.aclose()
