"""The producer's view of the store: memory read on the spot, a shared store read in rounds.

The same requests through a memory store and a real SQLite store must give the same answers, and
every poll must be counted exactly once whatever the number of rounds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.pipeline.pins import CURRENT_SESSION, Lookup, StorePins, run_now
from mockserver.store import MemoryStore, Store
from mockserver.store.sqlite import SqliteStore, prepare_file
from tests.unit.parts import Parts, wire

FLOW = ("etlworks", "getFlowStatus")
STATUS = ("oracle_selfservice", "getWorkflowStatus")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    prepare_file(tmp_path / "state.db")
    shared = SqliteStore(tmp_path / "state.db")
    yield shared
    asyncio.run(shared.close())


def _states(parts: Parts, requests: list[Any], session: str = "") -> list[Any]:
    async def run() -> list[Any]:
        token = CURRENT_SESSION.set(session)
        try:
            out = []
            for request in requests:
                reply = (await parts.chooser.choose(request)).reply
                assert reply is not None
                body = reply.body
                out.append(body.get("status") if reply.status == 200 else reply.status)
            return out
        finally:
            CURRENT_SESSION.reset(token)

    return asyncio.run(run())


def test_a_pinned_story_counts_each_poll_once(store: Store) -> None:
    parts = wire(store=store)
    request = parts.request(*FLOW, path={"flowId": "42"})
    reader = wire().producer  # on a memory store: the id's key, read outside a request
    key = reader.ask(request.api, request.op, request.values, "200").key
    asyncio.run(store.pin("", key, "fails-after-3-polls"))
    assert _states(parts, [request] * 5) == ["running"] * 3 + ["error"] * 2
    assert asyncio.run(store.sizes(""))["scenarioRuns"] == 1
    after = asyncio.run(store.take_turn("", key, "fails-after-3-polls", (3, None), 0.0))
    assert after.polls == 6  # five requests counted five polls, whatever the rounds


def test_sessions_and_the_session_clock_stay_apart(store: Store) -> None:
    parts = wire(store=store)
    request = parts.request(*FLOW, path={"flowId": "9002"})  # a fixture-pinned scenario
    assert _states(parts, [request] * 2, session="a") == ["running", "running"]
    assert _states(parts, [request] * 4, session="b") == ["running"] * 3 + ["error"]
    assert _states(parts, [request] * 2, session="a") == ["running", "error"]
    asyncio.run(store.advance("b", 60.0))
    assert asyncio.run(store.offset("b")) == 60.0 and asyncio.run(store.offset("a")) == 0.0


def test_a_list_reads_its_ids_in_a_batch_and_rolls_each_up_once_per_poll(store: Store) -> None:
    parts = wire(store=store)
    request = parts.request(*STATUS, query={"id": ["9-FAILSTEP2", "9-SUCCEEDS"], "requestor": "X"})

    async def run() -> list[dict[str, str]]:
        seen = []
        for _ in range(3):
            reply = (await parts.chooser.choose(request)).reply
            assert reply is not None and reply.status == 200
            seen.append({i["executionId"]: i["status"] for i in reply.body["response"]})
        return seen

    seen = asyncio.run(run())
    assert seen[0] == {"9-FAILSTEP2": "running", "9-SUCCEEDS": "running"}
    assert seen[2]["9-FAILSTEP2"] == "failure"  # three polls, three turns: not more, not fewer


def test_the_memory_store_is_read_without_an_event_loop() -> None:
    store = MemoryStore()
    run_now(store.pin("", "k", "s"))
    assert StorePins(store).pinned("k") == "s" and Lookup(store, "").synchronous


def test_a_shared_store_is_read_only_inside_a_request(tmp_path: Path) -> None:
    prepare_file(tmp_path / "state.db")
    shared = SqliteStore(tmp_path / "state.db")
    with pytest.raises(RuntimeError, match="only while a request is answered"):
        StorePins(shared).pinned("k")
    asyncio.run(shared.close())
