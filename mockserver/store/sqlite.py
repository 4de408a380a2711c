"""The embedded store shared by the workers of one `mockserver serve --workers N`: SQLite in WAL mode.

Why SQLite: it ships with Python (no server to install or start), one file in a private temp
directory is shared by every worker on the machine, and its transactions give the atomic
"take the next turn" that poll counting needs (`BEGIN IMMEDIATE` serialises writers across
processes). WAL mode lets readers run while a worker writes, and `synchronous=OFF` skips every
fsync: the state lives only as long as the server, so durability across a power cut buys nothing
(a commit costs ~35 us instead of ~50-75 us). Journal entries are written behind, in batches.
The alternatives need more: a multiprocessing manager is a server process of our own with a
round trip per call, shared memory needs a lock and an allocator we would have to write, and
dbm/shelve files have no cross-process locking at all.

Blocking: every statement takes microseconds, so it runs inline on the event loop with SQLite's
busy timeout at 0. Only when another worker holds the write lock (`database is locked`) does the
call move to one thread with a real busy timeout, so a contended write never stalls the loop.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import orjson

from mockserver.store.base import Progress, StoreOptions, step_index
from mockserver.store.buffer import Batch, WriteBehind
from mockserver.store.journal import JournalEntry, decode_entry
from mockserver.store.shared import SharedStore, Snapshot, ViewCache
from mockserver.store.sqlfile import SNAPSHOT, Database, MappedCounter, counter_path, prepare_file

__all__ = ["SqliteStore", "prepare_file"]

T = TypeVar("T")
_TRIM_EVERY = 64  # entries (or pins) written between two trims of the journal and the id tables


class SqliteStore(SharedStore):
    """State in one SQLite file, shared by every process that opens it."""

    def __init__(self, path: Path, options: StoreOptions | None = None) -> None:
        super().__init__(options or StoreOptions())
        self.path = path
        self._db = Database(path)
        self._generation = MappedCounter(counter_path(path))
        self._views = ViewCache()
        self._writes = 0
        self._appended = 0
        self._journal = WriteBehind(self._write_entries, self.options.journal_size)

    def _trim_due(self) -> bool:
        self._writes += 1
        return self._writes % _TRIM_EVERY == 0

    def _changed(self, conn: sqlite3.Connection) -> None:
        """Count a change of pins or offsets, last thing before the commit (see `store.sqlfile`)."""
        (self._generation.value,) = conn.execute("UPDATE meta SET gen = gen + 1 RETURNING gen").fetchone()

    def _token(self, session: str) -> int:
        return self._generation.value

    async def _snapshot(self, session: str) -> Snapshot:
        def work(conn: sqlite3.Connection) -> Snapshot:
            token, pins, offsets = None, {}, {}
            for kind, key, value in conn.execute(SNAPSHOT, (session,)):
                if kind == 0:
                    token = value
                elif kind == 1:
                    pins[key] = value
                else:
                    offsets[key] = float(value)
            return Snapshot(token, pins, offsets)

        return await self._db.run(work, write=False)

    def _trim_ids(self, conn: sqlite3.Connection, session: str) -> None:
        """Keep the `max_ids` most recently touched ids of each table (the session clock aside)."""
        for table in ("pins", "runs", "offsets"):
            (count,) = conn.execute(f"SELECT count(*) FROM {table} WHERE session = ?", (session,)).fetchone()
            if count <= self.options.max_ids:
                continue
            conn.execute(
                f"DELETE FROM {table} WHERE session = ? AND key IN (SELECT key FROM {table}"
                " WHERE session = ? AND key != '' ORDER BY touched DESC LIMIT -1 OFFSET ?)",
                (session, session, self.options.max_ids),
            )
            if table != "runs":
                self._changed(conn)

    async def ping(self) -> None:
        await self._db.run(lambda conn: conn.execute("SELECT 1").fetchone(), write=False)

    async def pin(self, session: str, key: str, scenario: str) -> None:
        trim = self._trim_due()

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO pins VALUES (?, ?, ?, ?)", (session, key, scenario, time.time())
            )
            conn.execute("DELETE FROM runs WHERE session = ? AND key = ?", (session, key))
            if trim:
                self._trim_ids(conn, session)
            self._changed(conn)

        await self._db.run(work, write=True)

    async def unpin(self, session: str, key: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM pins WHERE session = ? AND key = ?", (session, key))
            conn.execute("DELETE FROM runs WHERE session = ? AND key = ?", (session, key))
            self._changed(conn)

        await self._db.run(work, write=True)

    async def take_turn(
        self, session: str, key: str, scenario: str, spans: Sequence[int | None], now: float
    ) -> Progress:
        def work(conn: sqlite3.Connection) -> Progress:
            row = conn.execute(
                "SELECT scenario, polls, started, times FROM runs WHERE session = ? AND key = ?",
                (session, key),
            ).fetchone()
            if row is None or row[0] != scenario:
                polls, started, times = 0, now, []
            else:
                polls, started, times = int(row[1]), float(row[2]), orjson.loads(row[3])
            index = step_index(spans, polls)
            while len(times) <= index:
                times.append(now)
            conn.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session, key, scenario, polls + 1, started, orjson.dumps(times), time.time()),
            )
            return Progress(polls + 1, index, started, tuple(times[: index + 1]))

        return await self._db.run(work, write=True)

    async def advance(self, session: str, seconds: float, key: str = "") -> float:
        def work(conn: sqlite3.Connection) -> float:
            conn.execute(
                "INSERT INTO offsets VALUES (?, ?, ?, ?) ON CONFLICT (session, key)"
                " DO UPDATE SET seconds = seconds + excluded.seconds, touched = excluded.touched",
                (session, key, seconds, time.time()),
            )
            row = conn.execute(
                "SELECT coalesce(sum(seconds), 0.0) FROM offsets WHERE session = ? AND key IN ('', ?)",
                (session, key),
            ).fetchone()
            self._changed(conn)
            return float(row[0])

        return await self._db.run(work, write=True)

    async def _write_entries(self, batch: Batch) -> None:
        """One transaction for a batch of entries; the journals are trimmed every _TRIM_EVERY."""
        self._appended += len(batch)
        trim = self._appended >= _TRIM_EVERY
        if trim:
            self._appended = 0

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany("INSERT INTO journal (session, entry) VALUES (?, ?)", batch)
            if not trim:
                return
            for session in {session for session, _ in batch}:
                conn.execute(
                    "DELETE FROM journal WHERE session = ? AND id < (SELECT min(id) FROM (SELECT id FROM"
                    " journal WHERE session = ? ORDER BY id DESC LIMIT ?))",
                    (session, session, self.options.journal_size),
                )
                self._trim_ids(conn, session)

        await self._db.run(work, write=True)

    async def recent(self, session: str, count: int | None = None) -> list[JournalEntry]:
        size = max(1, self.options.journal_size)
        wanted = size if count is None else min(count, size)

        def work(conn: sqlite3.Connection) -> list[bytes]:
            rows = conn.execute(
                "SELECT entry FROM journal WHERE session = ? ORDER BY id DESC LIMIT ?", (session, wanted)
            ).fetchall()
            return [row[0] for row in rows]

        if wanted <= 0:
            return []
        await self._journal.flush()
        return [decode_entry(data) for data in reversed(await self._db.run(work, write=False))]

    async def reset(self, session: str) -> None:
        self._journal.discard(session)
        await self._journal.flush()

        def work(conn: sqlite3.Connection) -> None:
            for table in ("pins", "runs", "offsets", "journal"):
                conn.execute(f"DELETE FROM {table} WHERE session = ?", (session,))
            self._changed(conn)

        await self._db.run(work, write=True)

    async def sizes(self, session: str) -> dict[str, int]:
        await self._journal.flush()

        def work(conn: sqlite3.Connection) -> dict[str, int]:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM journal WHERE session = ?1 LIMIT ?2)),"
                " (SELECT count(*) FROM pins WHERE session = ?1),"
                " (SELECT count(*) FROM runs WHERE session = ?1),"
                " (SELECT count(*) FROM offsets WHERE session = ?1 AND key != '')",
                (session, max(1, self.options.journal_size)),
            ).fetchone()
            return dict(zip(("journal", "pinned", "scenarioRuns", "clockOffsets"), row, strict=True))

        return await self._db.run(work, write=False)

    async def close(self) -> None:
        await self._journal.flush()
        self._db.close()
        self._generation.close()
