"""The shared stores' view cache: unpinned ids cost no read, and no process ever serves an old pin.

Two stores built on one SQLite file or one Redis stand for two workers or two replicas. The
checks that matter: after `pin`/`advance`/`reset` returns in one, the other's very next answer
(without an await in between where possible) already shows the change.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mockserver.store import KeyView, StoreOptions, from_url
from mockserver.store.redis import RedisStore
from mockserver.store.shared import SharedStore, Snapshot, ViewCache
from mockserver.store.sqlfile import MappedCounter
from tests.store_fixtures import RedisServer, redis_server  # noqa: F401  (the fixture)
from tests.unit.test_store import run

MakeShared = Callable[..., SharedStore]


@pytest.fixture(params=("sqlite", "redis"))
def make_shared(request: pytest.FixtureRequest, tmp_path: Path) -> MakeShared:
    """Builds stores that share one SQLite file or one Redis (each call: another worker)."""
    prefix = f"cache-{uuid.uuid4().hex[:8]}"
    url = f"sqlite://{tmp_path / 'state.db'}"
    if request.param == "redis":
        url = request.getfixturevalue("redis_server").url

    def make(**options: Any) -> SharedStore:
        store = from_url(url, StoreOptions(prefix=prefix, **options))
        assert isinstance(store, SharedStore)
        return store

    return make


async def _listening(store: SharedStore) -> None:
    """Wait (bounded) until the store can vouch for a snapshot: Redis replicas must subscribe first."""
    deadline = time.monotonic() + 10
    while store._token("") is None:
        assert time.monotonic() < deadline, "the store never subscribed to change notices"
        await asyncio.sleep(0.01)


def _count_reads(store: SharedStore) -> list[str]:
    """Record every snapshot `store` reads from the shared state (by session)."""
    reads: list[str] = []
    real = store._snapshot

    async def counted(session: str) -> Snapshot:
        reads.append(session)
        return await real(session)

    store._snapshot = counted  # type: ignore[method-assign]
    return reads


def test_snapshot_view_adds_the_session_clock_to_the_ids_own() -> None:
    snap = Snapshot(1, {"a": "fails"}, {"": 10.0, "a": 5.0, "b": 2.0})
    assert snap.view("a") == KeyView("fails", 15.0)
    assert snap.view("b") == KeyView(None, 12.0)
    assert snap.view("") == KeyView(None, 10.0)
    assert Snapshot(1, {}, {}).view("z") == KeyView(None, 0.0)


def test_view_cache_keeps_a_snapshot_only_under_its_token_and_age() -> None:
    cache = ViewCache(max_age=0.05, max_sessions=2)
    cache.put("s", Snapshot(7, {}, {}))
    assert cache.get("s", 7) is not None
    assert cache.get("s", 8) is None  # another token: something changed
    assert cache.get("s", None) is None  # the store cannot vouch for any snapshot
    cache.put("untrusted", Snapshot(None, {}, {}))
    assert cache.get("untrusted", None) is None
    time.sleep(0.06)
    assert cache.get("s", 7) is None  # too old
    for name in ("a", "b", "c"):
        cache.put(name, Snapshot(1, {}, {}))
    assert cache.get("a", 1) is None and cache.get("c", 1) is not None  # least recently used fell off
    cache.drop()
    assert cache.get("c", 1) is None


def test_the_mapped_counter_is_one_value_for_every_mapping(tmp_path: Path) -> None:
    first, second = MappedCounter(tmp_path / "gen"), MappedCounter(tmp_path / "gen")
    try:
        assert first.value == second.value == 0
        first.value = 41
        assert second.value == 41
        second.value = 2**40
        assert first.value == 2**40
    finally:
        first.close()
        second.close()
    again = MappedCounter(tmp_path / "gen")  # reopening keeps the value (the file is never shrunk)
    assert again.value == 2**40
    again.close()


def test_unpinned_ids_are_answered_from_one_read(make_shared: MakeShared) -> None:
    async def body() -> None:
        store = make_shared()
        try:
            await _listening(store)
            reads = _count_reads(store)
            views = [await store.view("", f"flow:{n}") for n in range(200)]
            assert views == [KeyView(None, 0.0)] * 200
            assert [store.cached_view("", f"flow:{n}") for n in range(200, 210)] == [KeyView(None, 0.0)] * 10
            assert reads == [""]
        finally:
            await store.close()

    run(body())


def test_concurrent_requests_wait_for_one_read(make_shared: MakeShared) -> None:
    async def body() -> None:
        store, writer = make_shared(), make_shared()
        try:
            await _listening(store)
            reads = _count_reads(store)
            views = await asyncio.gather(*(store.view("", f"flow:{n}") for n in range(30)))
            assert views == [KeyView(None, 0.0)] * 30
            assert reads == [""]  # thirty requests, one read
            await writer.pin("", "flow:3", "stays-running")
            again = await asyncio.gather(*(store.view("", f"flow:{n}") for n in range(30)))
            assert again[3].pinned == "stays-running" and reads == ["", ""]
        finally:
            await store.close()
            await writer.close()

    run(body())


def test_a_change_through_one_process_is_seen_by_the_next_answer_of_another(make_shared: MakeShared) -> None:
    async def body() -> None:
        reader, writer = make_shared(), make_shared()
        try:
            await _listening(reader)
            await _listening(writer)
            assert await reader.view("", "flow:42") == KeyView(None, 0.0)  # cached now
            reads = _count_reads(reader)

            await writer.pin("", "flow:42", "fails-after-3-polls")
            # No await between: the writer returned only once the reader had heard of the change.
            assert reader.cached_view("", "flow:42") is None
            assert (await reader.view("", "flow:42")).pinned == "fails-after-3-polls"

            await writer.advance("", 60.0)
            assert await reader.view("", "flow:9") == KeyView(None, 60.0)
            await writer.advance("", 5.0, "flow:42")
            assert await reader.view("", "flow:42") == KeyView("fails-after-3-polls", 65.0)

            await writer.unpin("", "flow:42")
            assert (await reader.view("", "flow:42")).pinned is None
            await writer.pin("", "flow:7", "stays-running")
            await writer.reset("")
            assert await reader.view("", "flow:7") == KeyView(None, 0.0)
            assert len(reads) == 5  # one read after each of the five changes, none in between
            assert reader.cached_view("", "flow:7") == KeyView(None, 0.0)
        finally:
            await reader.close()
            await writer.close()

    run(body())


def test_a_writer_that_just_started_is_confirmed_too(make_shared: MakeShared) -> None:
    async def body() -> None:
        reader = make_shared()
        try:
            await _listening(reader)
            assert await reader.view("", "flow:8") == KeyView(None, 0.0)  # cached now
            writer = make_shared()  # its first call is a change: it subscribes before it writes
            try:
                await writer.pin("", "flow:8", "stays-running")
                assert writer._token("") is not None  # it listened (to collect the confirmations)
                assert reader.cached_view("", "flow:8") is None
                assert (await reader.view("", "flow:8")).pinned == "stays-running"
            finally:
                await writer.close()
        finally:
            await reader.close()

    run(body())


def test_sessions_are_cached_apart(make_shared: MakeShared) -> None:
    async def body() -> None:
        one, two = make_shared(), make_shared()
        try:
            await _listening(one)
            await two.pin("alice", "flow:1", "stays-running")
            assert (await one.view("alice", "flow:1")).pinned == "stays-running"
            assert (await one.view("bob", "flow:1")).pinned is None
            await two.pin("bob", "flow:1", "fails-after-3-polls")
            assert (await one.view("bob", "flow:1")).pinned == "fails-after-3-polls"
            assert (await one.view("alice", "flow:1")).pinned == "stays-running"
        finally:
            await one.close()
            await two.close()

    run(body())


def test_a_replica_that_never_confirms_delays_the_writer_and_is_named(
    redis_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    prefix = f"mute-{uuid.uuid4().hex[:8]}"
    mute = redis_server.client().pubsub()  # type: ignore[no-untyped-call]
    mute.subscribe(f"{prefix}:changes")  # a listener that hears every change and never answers
    mute.get_message(timeout=2)

    async def body() -> None:
        store = from_url(redis_server.url, StoreOptions(prefix=prefix, timeout=0.3))
        assert isinstance(store, RedisStore)
        try:
            await _listening(store)
            with caplog.at_level(logging.WARNING, logger="mockserver.state"):
                await store.pin("", "flow:1", "stays-running")
            assert (await store.view("", "flow:1")).pinned == "stays-running"
        finally:
            await store.close()

    try:
        run(body())
    finally:
        mute.close()
    assert "1 of 2 replicas confirmed a change within 0.3 s" in caplog.text


def test_a_replica_that_lost_its_subscription_trusts_no_snapshot(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    prefix = f"lost-{uuid.uuid4().hex[:8]}"
    raw = redis_server.client()

    async def body() -> None:
        store = from_url(redis_server.url, StoreOptions(prefix=prefix))
        assert isinstance(store, RedisStore)
        try:
            await _listening(store)
            assert await store.view("", "flow:5") == KeyView(None, 0.0)
            before = store._token("")
            raw.client_kill_filter(_type="pubsub")  # the notices stop; nothing says what changed since
            raw.hset(f"{prefix}:{{-}}:pins", "flow:5", "stays-running")  # a change nobody announced
            deadline = time.monotonic() + 10
            while store._token("") == before:
                assert time.monotonic() < deadline, "the lost subscription went unnoticed"
                await asyncio.sleep(0.01)
            assert (await store.view("", "flow:5")).pinned == "stays-running"
        finally:
            await store.close()

    try:
        run(body())
    finally:
        raw.close()


def test_a_redis_user_without_channels_works_without_the_cache(
    redis_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = f"nochan{uuid.uuid4().hex[:6]}"
    with redis_server.client() as raw:  # Redis 7's default for a new user: no pub/sub channels
        raw.execute_command("ACL", "SETUSER", name, "on", ">secret", "~*", "+@all", "resetchannels")
    url = redis_server.url.replace("redis://", f"redis://{name}:secret@")
    prefix = f"acl-{uuid.uuid4().hex[:8]}"

    async def body() -> None:
        reader = from_url(url, StoreOptions(prefix=prefix, timeout=0.5))
        writer = from_url(url, StoreOptions(prefix=prefix, timeout=0.5))
        assert isinstance(reader, RedisStore) and isinstance(writer, RedisStore)
        try:
            with caplog.at_level(logging.WARNING, logger="mockserver.state"):
                assert await reader.view("", "flow:3") == KeyView(None, 0.0)
                await writer.pin("", "flow:3", "stays-running")
            assert reader.cached_view("", "flow:3") is None  # no notices: nothing is cached
            assert (await reader.view("", "flow:3")).pinned == "stays-running"
            await writer.advance("", 30.0)
            assert await reader.view("", "flow:4") == KeyView(None, 30.0)
        finally:
            await reader.close()
            await writer.close()

    run(body())
    assert "cannot subscribe to change notices (this user has no permissions" in caplog.text
