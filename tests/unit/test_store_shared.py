"""Stores shared between OS processes, Redis TTLs and outages, SQLite under a held lock."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mockserver.exceptions import StateUnavailable
from mockserver.store import StoreOptions, from_url
from mockserver.store.buffer import Batch, WriteBehind
from tests.conftest import ROOT, free_port
from tests.store_fixtures import RedisServer, redis_binary, redis_server  # noqa: F401  (the fixture)
from tests.unit.test_store import entry, opened, run


def _helper(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_fixtures", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _result(process: subprocess.Popen[bytes]) -> object:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


@pytest.fixture(params=("sqlite", "redis"))
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "redis":
        return str(request.getfixturevalue("redis_server").url)
    return f"sqlite://{tmp_path / 'state.db'}"


def test_processes_count_polls_atomically(shared_url: str) -> None:
    prefix = f"procs-{uuid.uuid4().hex[:8]}"
    workers = [_helper(shared_url, prefix, "take", "flow:42", "40") for _ in range(3)]
    seen = [_result(w) for w in workers]
    assert all(isinstance(polls, list) and polls == sorted(polls) for polls in seen)
    assert sorted(p for polls in seen for p in polls) == list(range(1, 121))  # none lost, none twice


def test_processes_see_each_others_pins(shared_url: str) -> None:
    prefix = f"pins-{uuid.uuid4().hex[:8]}"
    assert (
        _result(_helper(shared_url, prefix, "pin", "flow:42", "fails-after-3-polls")) == "fails-after-3-polls"
    )

    async def here() -> str | None:
        async with opened(from_url(shared_url, StoreOptions(prefix=prefix))) as store:
            seen = await store.pinned("", "flow:42")
            await store.pin("", "flow:7", "stays-running")
            return seen

    assert run(here()) == "fails-after-3-polls"
    assert _result(_helper(shared_url, prefix, "pinned", "flow:7")) == "stays-running"


def test_redis_key_layout_and_ttls(redis_server: RedisServer) -> None:  # noqa: F811
    async def body() -> None:
        async with opened(from_url(redis_server.url, StoreOptions(prefix="ttl", ttl=2.0))) as store:
            await store.pin("s1", "k", "fails")
            await store.take_turn("s1", "k", "fails", (1, None), 1.0)
            await store.advance("s1", 5.0, "k")
            await store.append("s1", entry("/a"))
            await store.pin("", "k", "fails")
            await store.flush()
            with redis_server.client() as raw:
                keys = sorted(raw.keys("ttl:*"))
                assert keys == [
                    b"ttl:{-}:pins",
                    b"ttl:{s1}:clock",
                    b"ttl:{s1}:log",
                    b"ttl:{s1}:pins",
                    b"ttl:{s1}:run:k",
                ]
                assert all(0 < raw.pttl(key) <= 2000 for key in keys)
            await asyncio.sleep(1.2)
            await store.append("s1", entry("/b"))
            await store.flush()
            await asyncio.sleep(1.2)
            assert [e.path for e in await store.recent("s1")] == ["/a", "/b"]  # the append renewed it
            await asyncio.sleep(2.2)
            assert await store.recent("s1") == []  # untouched for longer than its ttl
            assert await store.pinned("s1", "k") is None
            assert await store.offset("s1", "k") == 0.0
            assert (await store.take_turn("s1", "k", "fails", (1, None), 9.0)).polls == 1

    run(body())


def test_redis_journal_is_a_list_kept_at_its_cap(redis_server: RedisServer) -> None:  # noqa: F811
    """Each batch is one RPUSH and LTRIM: the list never holds more than the cap, oldest first."""

    async def body() -> None:
        async with opened(from_url(redis_server.url, StoreOptions(prefix="cap", journal_size=50))) as store:
            for i in range(1000):
                await store.append("", entry(f"/runs/{i}"))
                if i % 97 == 0:
                    await store.flush()  # batches of several sizes
            await store.flush()
            with redis_server.client() as raw:
                assert raw.type("cap:{-}:log") == b"list"
                assert raw.llen("cap:{-}:log") == 50
            assert [e.path for e in await store.recent("")] == [f"/runs/{i}" for i in range(950, 1000)]
            assert [e.path for e in await store.recent("", 3)] == ["/runs/997", "/runs/998", "/runs/999"]
            assert (await store.sizes(""))["journal"] == 50

    run(body())


def test_redis_restart_gives_the_typed_error_then_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = RedisServer(tmp_path)
    server.start()

    async def body() -> None:
        async with opened(from_url(server.url, StoreOptions(prefix="restart", timeout=0.5))) as store:
            await store.pin("", "k", "fails")
            server.stop()
            for _ in range(2):
                with pytest.raises(StateUnavailable, match=f"state store {server.url} unavailable"):
                    await asyncio.wait_for(store.pinned("", "k"), 15)
            await store.append("", entry("/lost"))  # answered already: the entry is dropped, no error
            await asyncio.wait_for(store.flush(), 15)
            server.start()
            assert await store.pinned("", "k") is None  # no persistence configured: the call works
            await store.pin("", "k", "stays-running")
            assert await store.pinned("", "k") == "stays-running"
            await store.append("", entry("/after"))
            assert [e.path for e in await store.recent("")] == ["/after"]

    try:
        with caplog.at_level(logging.WARNING, logger="mockserver.state"):
            run(body())
    finally:
        server.stop()
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(": ")[0] for line in lines] == [
        f"state store {server.url} unavailable",
        f"state store {server.url} reachable again",
    ]


def test_a_redis_that_stops_answering_times_out_instead_of_hanging(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    assert server.process is not None
    pid = server.process.pid

    async def body() -> None:
        async with opened(from_url(server.url, StoreOptions(prefix="paused", timeout=0.3))) as store:
            await store.take_turn("", "k", "s", (2, None), 1.0)
            os.kill(pid, signal.SIGSTOP)  # accepts connections, answers nothing
            try:
                with pytest.raises(StateUnavailable):
                    await asyncio.wait_for(store.take_turn("", "k", "s", (2, None), 2.0), 15)
            finally:
                os.kill(pid, signal.SIGCONT)
            assert (await store.take_turn("", "k", "s", (2, None), 3.0)).polls >= 2

    try:
        run(body())
    finally:
        server.stop()


def test_unreachable_redis_is_the_typed_error_without_the_password() -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"

    async def body() -> None:
        async with opened(from_url(url, StoreOptions(timeout=0.5))) as store:
            with pytest.raises(StateUnavailable):
                await asyncio.wait_for(store.ping(), 15)
            with pytest.raises(StateUnavailable) as caught:
                await asyncio.wait_for(store.view("", "k"), 15)
            assert "hunter2" not in str(caught.value)
            assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/0" in str(caught.value)

    run(body())


def test_sqlite_waits_for_a_held_lock_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "state.db"

    async def body() -> None:
        async with opened(from_url(f"sqlite://{path}")) as store:
            other = sqlite3.connect(path, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")  # another worker in the middle of a write
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.005)

            beat = asyncio.create_task(ticker())
            pinning = asyncio.create_task(store.pin("", "k", "s"))
            await asyncio.sleep(0.05)
            assert not pinning.done()
            before = ticks
            await asyncio.sleep(0.05)
            assert ticks > before  # the loop runs while the pin waits for the lock
            other.execute("COMMIT")
            await pinning
            beat.cancel()
            other.close()
            assert await store.pinned("", "k") == "s"

    run(body())


def test_memory_and_sqlite_cap_ids(tmp_path: Path) -> None:
    async def body() -> None:
        options = StoreOptions(max_ids=3)
        async with (
            opened(from_url(None, options)) as memory,
            opened(from_url(f"sqlite://{tmp_path / 'state.db'}", options)) as sqlite,
        ):
            for i in range(200):
                await memory.pin("", f"k{i}", "s")
                await sqlite.pin("", f"k{i}", "s")
            assert (await memory.sizes(""))["pinned"] == 3
            assert await memory.pinned("", "k0") is None
            assert 3 <= (await sqlite.sizes(""))["pinned"] <= 3 + 64  # trimmed every 64 writes
            assert await sqlite.pinned("", "k0") is None
            assert [await s.pinned("", "k199") for s in (memory, sqlite)] == ["s", "s"]

    run(body())


def test_write_behind_waits_when_full_and_drops_while_unreachable() -> None:
    written: list[list[str]] = []
    permits = asyncio.Semaphore(0)  # one per batch the "store" may take
    reachable = True

    async def write(batch: Batch) -> None:
        await permits.acquire()
        if not reachable:
            raise StateUnavailable("store down")
        written.append([data.decode() for _, data in batch])

    async def body() -> None:
        nonlocal reachable
        queue = WriteBehind(write, limit=3)
        for n in range(3):
            await queue.add("", f"e{n}".encode())
        await asyncio.sleep(0)  # the writer takes e0-e2 and waits for the store
        for n in range(3, 6):
            await queue.add("", f"e{n}".encode())
        seventh = asyncio.create_task(queue.add("", b"e6"))
        await asyncio.sleep(0.01)
        assert not seventh.done()  # full and the store is slow: the request waits, nothing is lost
        permits.release()
        await seventh
        for _ in range(10):
            permits.release()
        await queue.flush()
        assert written == [["e0", "e1", "e2"], ["e3", "e4", "e5"], ["e6"]]
        assert queue.dropped == 0
        reachable = False
        await queue.add("", b"lost")
        await queue.flush()  # the store refuses: the batch is dropped, and the queue remembers
        for n in range(5):
            await queue.add("", f"late{n}".encode())  # never waits while unreachable
        assert queue.dropped == 1 + 2  # "lost", then the two oldest beyond the limit of 3
        reachable = True
        await queue.flush()
        assert written[-1] == ["late2", "late3", "late4"]

    run(asyncio.wait_for(body(), 20))


def test_a_missing_redis_server_fails_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match=r"^redis-server not found: install the Debian package"):
        redis_binary()
