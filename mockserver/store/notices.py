"""Change notices between Redis replicas: pub/sub, and every listener confirms before the writer answers.

Each replica subscribes to `P:changes` and `P:confirmed`. A change of pins or clock offsets is
written in one transaction with a PUBLISH of its id on `P:changes`; the PUBLISH counts the
replicas listening, each of which drops its cached snapshots, then publishes the id back on
`P:confirmed`. The writer waits for that many confirmations (at most `timeout`) before it
answers, so a client that pins an id through one replica and polls another never meets the old
pin. A replica trusts its snapshots only while its own subscription stands (`token` is None
otherwise): one that has lost it reads the store on every request until it has subscribed again.
A snapshot is also never older than `max_age`, which bounds what a silently cut connection (or a
pin Redis expired by its TTL) could leave behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

__all__ = ["Notices"]

_LOG = logging.getLogger("mockserver.state")
_RETRY_MAX_S = 1.0


class _Wait:
    """Confirmations of one change so far."""

    def __init__(self) -> None:
        self.count = 0
        self.event = asyncio.Event()


class Notices:
    """This replica's subscription: what it has heard, and confirmations of its own changes."""

    def __init__(
        self,
        redis: aioredis.Redis,
        listener: aioredis.Redis,
        prefix: str,
        timeout: float,
        on_change: Callable[[], None],
    ) -> None:
        self._redis = redis
        self._listener = listener  # without retries: a cut connection must end the subscription here
        self._changes = f"{prefix}:changes".encode()
        self._confirmed = f"{prefix}:confirmed".encode()
        self._timeout = timeout
        self._on_change = on_change
        self._replica = uuid.uuid4().hex[:12]
        self._ids = itertools.count()
        self._waiting: dict[bytes, _Wait] = {}
        self._subscription = 0  # counts subscriptions made and lost: a new one trusts no old snapshot
        self._heard = 0  # changes heard on the current subscription
        self._listening = False
        self._subscribed = asyncio.Event()  # set while listening (writers wait for it, bounded)
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._refused = False

    def token(self) -> tuple[int, int] | None:
        """What this replica has heard, as a snapshot's token; None while it is not subscribed."""
        if self._task is None and not self._closed:
            self._start()
        return (self._subscription, self._heard) if self._listening else None

    def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._task = loop.create_task(self._listen(), name="mockserver-state-notices")

    async def _listen(self) -> None:
        delay = 0.05
        while not self._closed:
            pubsub = self._listener.pubsub()
            try:
                await pubsub.subscribe(self._changes, self._confirmed)
                subscribed = 0
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        subscribed += 1
                        if subscribed >= 2:  # both confirmed: from now on no change goes unheard
                            self._subscription += 1
                            self._listening, self._refused, delay = True, False, 0.05
                            self._subscribed.set()
                    elif message["type"] == "message":
                        await self._heard_message(message)
            except ResponseError as exc:  # e.g. an ACL without SUBSCRIBE: say so once
                if not self._refused:
                    _LOG.warning(
                        "state: cannot subscribe to change notices (%s): every request reads the store", exc
                    )
                self._refused = True
            except (RedisError, OSError) as exc:
                _LOG.debug("state notices: subscription lost: %s", exc)
            finally:
                self._lost()
                with contextlib.suppress(RedisError, OSError, RuntimeError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX_S)

    def _lost(self) -> None:
        if self._listening:
            self._subscription += 1
        self._listening = False
        self._subscribed.clear()

    async def _heard_message(self, message: dict[str, Any]) -> None:
        data: bytes = message["data"]
        if message["channel"] == self._changes:
            self._heard += 1
            self._on_change()
            try:
                await self._redis.publish(self._confirmed, data)
            except (RedisError, OSError) as exc:  # the writer times out waiting and says so
                _LOG.debug("state notices: cannot confirm a change: %s", exc)
            return
        wait = self._waiting.get(data)
        if wait is not None:
            wait.count += 1
            wait.event.set()

    async def execute(self, pipe: Any) -> list[Any]:
        """Run the transaction `pipe` (changes) with a notice of it; its replies, once confirmed."""
        if not self._listening and not self._closed:  # its own confirmations come through it
            if self._task is None:
                self._start()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._timeout):
                    await self._subscribed.wait()
        if self._refused:  # no notices here (an ACL without channels): every replica reads the store
            return list(await pipe.execute())
        change = f"{self._replica}:{next(self._ids)}".encode()
        wait = self._waiting[change] = _Wait()
        try:
            pipe.publish(self._changes, change)
            *replies, listeners = await pipe.execute()
            self._on_change()  # this replica's own snapshots, whether or not it listens
            if self._listening:
                await self._confirmations(wait, int(listeners))
            else:
                _LOG.debug("state notices: not subscribed, the change is not confirmed")
            return list(replies)
        finally:
            del self._waiting[change]

    async def _confirmations(self, wait: _Wait, wanted: int) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                while wait.count < wanted:
                    wait.event.clear()
                    await wait.event.wait()
        except TimeoutError:
            _LOG.warning(
                "state: %d of %d replicas confirmed a change within %g s; the others read it within %g s",
                wait.count,
                wanted,
                self._timeout,
                self._timeout,
            )

    async def close(self) -> None:
        """Stop listening (the notices cannot be used after); never waits longer than `timeout`."""
        self._closed = True
        self._listening = False
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=self._timeout)
        await self._listener.aclose()  # cuts the subscription's connection, should the task linger
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=self._timeout)
