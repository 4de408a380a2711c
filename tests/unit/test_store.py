"""One behaviour suite for every state store: memory, SQLite (a real file) and a real redis-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from mockserver.spec.catalog import load_catalog
from mockserver.spec.rules import Scenario
from mockserver.store import JournalEntry, Progress, Store, StoreOptions, from_url
from tests.conftest import SPECS
from tests.store_fixtures import redis_server  # noqa: F401  (the fixture)

MakeStore = Callable[..., Store]
KINDS = ("memory", "sqlite", "redis")


def run(body: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(body)


def _maker(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """Builds a store of `kind`; two built by one test share state (except memory)."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    url = {"memory": None, "sqlite": f"sqlite://{tmp_path / 'state.db'}"}.get(kind)
    if kind == "redis":
        url = request.getfixturevalue("redis_server").url

    def make(**options: Any) -> Store:
        return from_url(url, StoreOptions(prefix=prefix, **options))

    return make


@pytest.fixture(params=KINDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    return _maker(str(request.param), request, tmp_path)


@pytest.fixture(params=("sqlite", "redis"))
def make_shared(request: pytest.FixtureRequest, tmp_path: Path) -> MakeStore:
    """The kinds several processes share."""
    return _maker(str(request.param), request, tmp_path)


@asynccontextmanager
async def opened(store: Store) -> AsyncIterator[Store]:
    try:
        yield store
    finally:
        await store.close()


def entry(path: str = "/runs/1", status: int = 200, **extra: Any) -> JournalEntry:
    headers = extra.pop("headers", [(b"user-agent", b"poller/1.0")])
    return JournalEntry(
        time=extra.pop("time", 1000.0),
        method="GET",
        path=path,
        query="",
        raw_headers=headers,
        secret=frozenset(extra.pop("secret", ())),
        status=status,
        client_host="127.0.0.1",
        **extra,
    )


def test_pin_read_clear_and_progress_starting_over(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store()) as store:
            await store.ping()
            assert await store.pinned("", "run:1") is None
            await store.pin("", "run:1", "fails-after-3")
            assert await store.pinned("", "run:1") == "fails-after-3"
            assert (await store.view("", "run:1")).pinned == "fails-after-3"
            assert await store.pinned("", "run:2") is None
            await store.take_turn("", "run:1", "fails-after-3", (3, None), 10.0)
            await store.take_turn("", "run:1", "fails-after-3", (3, None), 11.0)
            await store.pin("", "run:1", "fails-after-3")  # pinning again starts the story over
            assert (await store.take_turn("", "run:1", "fails-after-3", (3, None), 12.0)).polls == 1
            await store.unpin("", "run:1")
            assert await store.pinned("", "run:1") is None
            assert (await store.sizes(""))["pinned"] == 0

    run(body())


def test_turns_follow_the_steps_and_keep_their_start_times(make_store: MakeStore) -> None:
    async def body() -> list[Progress]:
        async with opened(make_store()) as store:
            return [await store.take_turn("", "k", "s", (2, 1, None), 100.0 + i) for i in range(6)]

    turns = run(body())
    assert [t.polls for t in turns] == [1, 2, 3, 4, 5, 6]
    assert [t.index for t in turns] == [0, 0, 1, 2, 2, 2]
    assert all(t.started == 100.0 for t in turns)
    assert turns[1].step_times == (100.0,)
    assert turns[2].step_times == (100.0, 102.0)
    assert turns[5].step_times == (100.0, 102.0, 103.0)


def test_last_step_repeats_and_another_scenario_starts_over(make_store: MakeStore) -> None:
    async def body() -> list[tuple[int, int]]:
        async with opened(make_store()) as store:
            out = [await store.take_turn("", "k", "a", (1, 1), float(i)) for i in range(4)]
            out.append(await store.take_turn("", "k", "b", (1, 1), 50.0))
            return [(p.polls, p.index) for p in out]

    assert run(body()) == [(1, 0), (2, 1), (3, 1), (4, 1), (1, 0)]


def test_a_scenario_without_steps_is_refused(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store()) as store:
            with pytest.raises(ValueError, match="a scenario needs at least one step"):
                await store.take_turn("", "k", "empty", (), 1.0)

    run(body())


def test_concurrent_takers_get_distinct_turns(make_store: MakeStore) -> None:
    async def body() -> list[int]:
        async with opened(make_store()) as store:
            turns = await asyncio.gather(*(store.take_turn("", "k", "s", (5, None), 1.0) for _ in range(60)))
            return sorted(t.polls for t in turns)

    assert run(body()) == list(range(1, 61))


def test_two_stores_on_one_backend_share_state(make_shared: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_shared()) as one, opened(make_shared()) as two:
            await one.pin("", "k", "stays-running")
            assert await two.pinned("", "k") == "stays-running"
            await two.advance("", 30.0, "k")
            assert await one.offset("", "k") == 30.0
            await one.append("", entry("/seen-by-two"))
            await one.flush()
            assert [e.path for e in await two.recent("")] == ["/seen-by-two"]
            await one.append("", entry("/written-behind"))  # no flush: the writer task runs by itself
            for _ in range(500):
                if len(await two.recent("")) == 2:
                    break
                await asyncio.sleep(0.01)
            assert [e.path for e in await two.recent("")] == ["/seen-by-two", "/written-behind"]
            assert [v.pinned for v in await two.views("", ["k", "other", "k"])] == [
                "stays-running",
                None,
                "stays-running",
            ]
            await two.pin("", "k", "fails")
            assert await one.pinned("", "k") == "fails"  # no stale pin: the next read sees it
            stores = (one, two)
            turns = await asyncio.gather(
                *(stores[i % 2].take_turn("", "k", "fails", (5, None), 1.0) for i in range(60))
            )
            assert sorted(t.polls for t in turns) == list(range(1, 61))

    run(body())


def test_clock_offsets_per_session_and_per_key(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store()) as store:
            assert await store.offset("") == 0.0
            assert await store.advance("", 10.0) == 10.0
            assert await store.advance("", 5.0, "run:1") == 15.0
            assert await store.advance("", 2.5, "run:1") == 17.5
            assert await store.offset("", "run:1") == 17.5
            assert await store.offset("", "run:2") == 10.0
            assert (await store.view("", "run:1")).offset == 17.5
            assert [v.offset for v in await store.views("", ["run:2", "run:1"])] == [10.0, 17.5]
            assert await store.views("", []) == []
            assert (await store.sizes(""))["clockOffsets"] == 1

    run(body())


def test_journal_is_bounded_filtered_and_masked(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store(journal_size=5)) as store:
            for i in range(8):
                await store.append("", entry(f"/runs/{i}", 404 if i % 2 else 200))
            assert [e.path for e in await store.recent("")] == [f"/runs/{i}" for i in range(3, 8)]
            assert [e.path for e in await store.journal("", limit=2)] == ["/runs/6", "/runs/7"]
            assert [e.path for e in await store.journal("", status=404)] == ["/runs/3", "/runs/5", "/runs/7"]
            assert [e.path for e in await store.journal("", path="/runs/4")] == ["/runs/4"]
            assert await store.journal("", limit=0) == []
            assert (await store.sizes(""))["journal"] == 5
            secret = [(b"Authorization", b"Bearer secret-token-1234"), (b"X-Tenant-Key", b"abcdefghijkl")]
            await store.append("", entry("/creds", headers=secret, secret={"x-tenant-key"}))
            (seen,) = await store.journal("", limit=1)
            assert seen.as_dict()["headers"] == {"authorization": "Bearer ***1234", "x-tenant-key": "***ijkl"}

    run(body())


def test_poll_report_from_the_journal(make_store: MakeStore) -> None:
    async def body() -> list[dict[str, Any]]:
        async with opened(make_store()) as store:
            states = [("running", False), ("running", False), ("failed", True), ("failed", True)]
            for i, (state, terminal) in enumerate(states):
                observed = (("api:runs:(42,)", state, terminal),)
                await store.append("", entry(time=1000.0 + 2 * i, observed=observed, retry_after=2.0))
            return await store.poll_report("")

    (report,) = run(body())
    assert report["client"] == "127.0.0.1 poller/1.0"
    assert report["execution"] == "api:runs:(42,)"
    assert report["polls"] == 4
    assert report["states"] == ["running", "running", "failed", "failed"]
    assert report["honouredRetryAfter"] is True
    assert report["stoppedWhenTerminal"] is False
    assert report["pollsAfterTerminal"] == 1


def test_reset_forgets_one_session_only(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store()) as store:
            for session in ("", "ci-job-2"):
                await store.pin(session, "k", "s")
                await store.take_turn(session, "k", "s", (1, None), 1.0)
                await store.advance(session, 60.0, "k")
                await store.append(session, entry())
            await store.reset("")
            empty = {"journal": 0, "pinned": 0, "scenarioRuns": 0, "clockOffsets": 0}
            assert await store.sizes("") == empty
            assert await store.offset("", "k") == 0.0
            assert (await store.take_turn("", "k", "s", (1, None), 2.0)).polls == 1
            assert await store.sizes("ci-job-2") == {
                **empty,
                "journal": 1,
                "pinned": 1,
                "scenarioRuns": 1,
                "clockOffsets": 1,
            }

    run(body())


def test_sessions_are_isolated(make_store: MakeStore) -> None:
    async def body() -> None:
        async with opened(make_store()) as store:
            await store.pin("xdist-gw0", "k", "fails")
            await store.advance("xdist-gw0", 100.0)
            await store.append("xdist-gw0", entry("/gw0"))
            await store.take_turn("xdist-gw0", "k", "fails", (1, None), 1.0)
            for other in ("", "xdist-gw1"):
                assert await store.view(other, "k") == (await store.view("never-used", "k"))
                assert await store.pinned(other, "k") is None
                assert await store.offset(other) == 0.0
                assert await store.recent(other) == []
                assert (await store.take_turn(other, "k", "fails", (1, None), 2.0)).polls == 1
            assert (await store.take_turn("xdist-gw0", "k", "fails", (1, None), 3.0)).polls == 2
            assert [e.path for e in await store.recent("xdist-gw0")] == ["/gw0"]

    run(body())


def _scenarios() -> list[Scenario]:
    apis = load_catalog(sorted(SPECS.glob("*.yaml")))
    return [s for api in apis for op in api.operations for s in op.rules.scenarios.values()]


def test_every_documented_scenario_tells_its_story_poll_by_poll(make_store: MakeStore) -> None:
    """Each spec's scenarios, polled past their last step: the step Scenario.step_at names, and
    step start times that never move once set (the times answers show)."""
    scenarios = _scenarios()
    assert len(scenarios) >= 5

    async def body() -> None:
        async with opened(make_store()) as store:
            for number, scenario in enumerate(scenarios):
                spans = tuple(step.polls for step in scenario.steps)
                polls = sum(p or 1 for p in spans) + 3
                firsts: list[float] = []
                for poll in range(polls):
                    now = 1000.0 + poll
                    turn = await store.take_turn("", f"id-{number}", scenario.name, spans, now)
                    index = scenario.step_at(poll)
                    if len(firsts) <= index:
                        firsts.append(now)
                    assert (turn.polls, turn.index, turn.started) == (poll + 1, index, 1000.0), scenario.name
                    assert turn.step_times == tuple(firsts), scenario.name

    run(body())
