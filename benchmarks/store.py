"""`python -m benchmarks.store`: operations per second of each state store (memory, SQLite, Redis).

Not a test: figures for judging what sharing state costs. Each operation runs for STORE_BENCH_S
seconds (default 1.0) on uvloop, one at a time (latency bound) and as 16 concurrent tasks; the
first row is today's per-process state (mockserver/state.py, synchronous, no loop turn between
calls) for comparison. Redis is a real `redis-server` started on a free loopback port (the row is
left out when none is installed). A second table compares the memory store with today's state,
awaited back to back (ns per call).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from benchmarks.servers import free_port
from mockserver.pipeline.state import JournalEntry as OldEntry
from mockserver.pipeline.state import MockState
from mockserver.produce.scenarios import take_turn
from mockserver.spec.rules import Scenario, Step
from mockserver.store import JournalEntry, Store, StoreOptions, from_url

SECONDS = float(os.environ.get("STORE_BENCH_S", "1.0"))
CONCURRENCY = 16
SPANS = (3, 2, None)
HEADERS = [(b"user-agent", b"bench/1.0"), (b"authorization", b"Bearer secret-token-1234")]


def _entry(cls: type[JournalEntry] | type[OldEntry]) -> JournalEntry | OldEntry:
    observed = (("api:runs:(42,)", "running", False),)
    return cls(
        time.time(), "GET", "/runs/42", "", HEADERS, frozenset(), 200, 1.5, None, observed, "127.0.0.1"
    )


def _rate(step: Callable[[int], object]) -> float:
    """Calls of `step` per second over SECONDS (synchronous baseline)."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        for i in range(100):
            step(done + i)
        done += 100
    return done / elapsed


async def _arate(store: Store, step: Callable[[int], Awaitable[object]], tasks: int) -> float:
    """Awaited calls of `step` per second over SECONDS from `tasks` concurrent tasks, each yielding
    to the loop after a call (as a server does between requests) so write-behind batches run; the
    time to write out what is still queued at the end is counted."""
    counter = itertools.count()
    deadline = time.perf_counter() + SECONDS
    started = time.perf_counter()

    async def worker() -> int:
        n = 0
        while time.perf_counter() < deadline:
            await step(next(counter))
            await asyncio.sleep(0)
            n += 1
        return n

    total = sum(await asyncio.gather(*(worker() for _ in range(tasks))))
    await store.flush()
    return total / (time.perf_counter() - started)


def _baseline() -> dict[str, float]:
    state = MockState()
    scenario = Scenario("s", tuple(Step(polls=p, state="running") for p in SPANS))
    state.pin("k1", "s")
    entry = _entry(OldEntry)
    assert isinstance(entry, OldEntry)
    return {
        "view": _rate(lambda i: (state.pinned(f"k{i % 64}"), state.offset(f"k{i % 64}"))),
        "take_turn": _rate(lambda i: take_turn(scenario, state.run(f"k{i % 64}", "s"), 1.0)),
        "append": _rate(lambda i: state.journal.add(entry)),
    }


async def _measure(store: Store) -> dict[str, float]:
    entry = _entry(JournalEntry)
    assert isinstance(entry, JournalEntry)
    await store.pin("", "k1", "s")
    ops: dict[str, Callable[[int], Awaitable[object]]] = {
        "view": lambda i: store.view("", f"k{i % 64}"),
        "take_turn": lambda i: store.take_turn("", f"k{i % 64}", "s", SPANS, 1.0),
        "append": lambda i: store.append("", entry),
    }
    out = {}
    for name, op in ops.items():
        out[name] = await _arate(store, op, 1)
        out[f"{name} x{CONCURRENCY}"] = await _arate(store, op, CONCURRENCY)
    dropped = getattr(getattr(store, "_journal", None), "dropped", 0)
    if dropped:
        print(f"bench: {type(store).__name__} dropped {dropped} journal entries", file=sys.stderr)
    await store.close()
    return out


async def _tight(store: Store, old: MockState) -> list[tuple[str, float, float]]:
    """(operation, ns per call today, ns per call of the memory store), awaited back to back."""
    scenario = Scenario("s", tuple(Step(polls=p, state="running") for p in SPANS))
    entry, old_entry = _entry(JournalEntry), _entry(OldEntry)
    assert isinstance(entry, JournalEntry) and isinstance(old_entry, OldEntry)
    await store.pin("", "k1", "s")
    old.pin("k1", "s")
    n = 100_000
    rows = []
    for name, new_call, old_call in (
        ("view, pinned id", lambda: store.view("", "k1"), lambda: (old.pinned("k1"), old.offset("k1"))),
        ("view, other id", lambda: store.view("", "k2"), lambda: (old.pinned("k2"), old.offset("k2"))),
        (
            "take_turn",
            lambda: store.take_turn("", "k1", "s", SPANS, 1.0),
            lambda: take_turn(scenario, old.run("k1", "s"), 1.0),
        ),
        ("append", lambda: store.append("", entry), lambda: old.journal.add(old_entry)),
    ):
        started = time.perf_counter()
        for _ in range(n):
            old_call()
        before = (time.perf_counter() - started) / n * 1e9
        started = time.perf_counter()
        for _ in range(n):
            await new_call()
        rows.append((name, before, (time.perf_counter() - started) / n * 1e9))
    return rows


def _wait_for_redis(port: int) -> None:
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            with redis.Redis(port=port, socket_timeout=1) as client:
                client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def main() -> int:
    rows: dict[str, dict[str, float]] = {"state.py today (sync)": _baseline()}
    with tempfile.TemporaryDirectory(prefix="store-bench-") as tmp:
        urls = {"memory": None, "sqlite (WAL)": f"sqlite://{Path(tmp) / 'state.db'}"}
        binary = shutil.which("redis-server")
        server = None
        if binary is not None:
            import subprocess

            port = free_port()
            server = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    tmp,
                ],
                stdout=subprocess.DEVNULL,
            )
            _wait_for_redis(port)
            urls["redis (loopback)"] = f"redis://127.0.0.1:{port}/0"
        try:
            for label, url in urls.items():
                store = from_url(url, StoreOptions(prefix="bench"))
                rows[label] = uvloop.run(_measure(store))
        finally:
            if server is not None:
                server.terminate()
                server.wait()
    names = list(dict.fromkeys(name for row in rows.values() for name in row))
    width = max(len(label) for label in rows)
    print(f"store ops/s, {SECONDS:g} s per figure, {os.cpu_count()} CPUs (figures vary with machine load)")
    print(" " * width + "".join(f"{name:>16}" for name in names))
    for label, row in rows.items():
        cells = "".join(f"{row[name]:>16,.0f}" if name in row else f"{'-':>16}" for name in names)
        print(f"{label:<{width}}{cells}")
    print("\nmemory store awaited back to back, no loop turn (ns per call):")
    for name, before, after in uvloop.run(_tight(from_url(None), MockState())):
        print(f"  {name:<16} state.py today {before:>7,.0f}   memory store {after:>7,.0f}")
    if binary is None:
        print("redis: row left out (redis-server is not installed)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
