"""`python -m benchmarks.store`: operations per second of each state store (memory, SQLite, Redis).

Not a test: figures for judging what sharing state costs. Each operation runs for STORE_BENCH_S
seconds (default 1.0) on uvloop, one at a time (latency bound) and as 16 concurrent tasks; the
figures of the per-process state before the store (the removed pipeline/state.py) are kept in
docs/scaling.md. Redis is a real `redis-server` started on a free loopback port (the row is left
out when none is installed). A second table gives the memory store's calls awaited back to back
(ns per call).
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
from mockserver.store import JournalEntry, Store, StoreOptions, from_url

SECONDS = float(os.environ.get("STORE_BENCH_S", "1.0"))
CONCURRENCY = 16
SPANS = (3, 2, None)
HEADERS = [(b"user-agent", b"bench/1.0"), (b"authorization", b"Bearer secret-token-1234")]


def _entry(cls: type[JournalEntry] = JournalEntry) -> JournalEntry:
    observed = (("api:runs:(42,)", "running", False),)
    return cls(
        time.time(), "GET", "/runs/42", "", HEADERS, frozenset(), 200, 1.5, None, observed, "127.0.0.1"
    )


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


async def _measure(store: Store) -> dict[str, float]:
    entry = _entry()
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


async def _tight(store: Store) -> list[tuple[str, float]]:
    """(operation, ns per call of the memory store), awaited back to back."""
    entry = _entry()
    await store.pin("", "k1", "s")
    n = 100_000
    rows = []
    for name, call in (
        ("view, pinned id", lambda: store.view("", "k1")),
        ("view, other id", lambda: store.view("", "k2")),
        ("take_turn", lambda: store.take_turn("", "k1", "s", SPANS, 1.0)),
        ("append", lambda: store.append("", entry)),
    ):
        started = time.perf_counter()
        for _ in range(n):
            await call()
        rows.append((name, (time.perf_counter() - started) / n * 1e9))
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
    rows: dict[str, dict[str, float]] = {}
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
    for name, after in uvloop.run(_tight(from_url(None))):
        print(f"  {name:<16} memory store {after:>7,.0f}")
    if binary is None:
        print("redis: row left out (redis-server is not installed)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
