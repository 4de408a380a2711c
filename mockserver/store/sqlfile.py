"""The SQLite state file: tables in WAL mode, its connections, and a generation mirror in shared memory.

The SQLite store keeps its generation (bumped by every change of pins or clock offsets) in the
database and mirrors it into an 8-byte file that each worker maps into memory. A worker compares
the mirror with the generation its cached snapshot was read under; equal means nothing changed.
The writer updates the mirror while it still holds the database's write lock, just before it
commits: writers are serialised by that lock, so the mirror only moves forward, and a reader
that sees the new value before the commit merely reads the old rows again (under the old
generation, which the mirror no longer matches). An aligned 8-byte store is atomic on the
machines Python runs on; a torn read could only cause one needless re-read.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import sqlite3
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from mockserver.exceptions import StateUnavailable

__all__ = [
    "BUSY_TIMEOUT_S",
    "SNAPSHOT",
    "Database",
    "MappedCounter",
    "connect",
    "counter_path",
    "locked",
    "prepare_file",
]

BUSY_TIMEOUT_S = 5.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pins (session TEXT, key TEXT, scenario TEXT NOT NULL, touched REAL NOT NULL,
    PRIMARY KEY (session, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (session TEXT, key TEXT, scenario TEXT NOT NULL, polls INTEGER NOT NULL,
    started REAL NOT NULL, times TEXT NOT NULL, touched REAL NOT NULL,
    PRIMARY KEY (session, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets (session TEXT, key TEXT, seconds REAL NOT NULL, touched REAL NOT NULL,
    PRIMARY KEY (session, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY, session TEXT NOT NULL,
    entry BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS journal_by_session ON journal (session, id);
CREATE TABLE IF NOT EXISTS meta (gen INTEGER NOT NULL);
INSERT INTO meta SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM meta);
"""
SNAPSHOT = (
    "SELECT 0, NULL, gen FROM meta UNION ALL SELECT 1, key, scenario FROM pins WHERE session = ?1"
    " UNION ALL SELECT 2, key, seconds FROM offsets WHERE session = ?1"
)  # one statement: one consistent read, whatever other workers commit meanwhile


def connect(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) that never waits for fsync."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def locked(exc: sqlite3.OperationalError) -> bool:
    """Whether `exc` says another connection holds the lock (worth waiting for)."""
    return "locked" in str(exc) or "busy" in str(exc)


def prepare_file(path: Path) -> None:
    """Create the tables in WAL mode (once; the parent of N workers does it before they start)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            setup = connect(path, BUSY_TIMEOUT_S)
            try:
                setup.execute("PRAGMA journal_mode=WAL")
                setup.executescript(_SCHEMA)
                _mirror(setup, path)
            finally:
                setup.close()
            return
        except sqlite3.OperationalError as exc:  # switching to WAL may refuse while others open it
            if not locked(exc) or time.monotonic() > deadline:
                raise StateUnavailable(f"cannot open state file {path}: {exc}") from None
            time.sleep(0.02)
        except sqlite3.Error as exc:
            raise StateUnavailable(f"cannot open state file {path}: {exc}") from None


def _mirror(conn: sqlite3.Connection, path: Path) -> None:
    """Set the generation mirror to the database's (under the write lock, so no writer races it)."""
    counter = MappedCounter(counter_path(path))
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            (counter.value,) = conn.execute("SELECT gen FROM meta").fetchone()
        finally:
            conn.execute("COMMIT")
    finally:
        counter.close()


_FORMAT = struct.Struct("<q")
T = TypeVar("T")


def counter_path(database: Path) -> Path:
    """The counter file of a database file: next to it, in the same (private) directory."""
    return database.with_name(database.name + "-generation")


class MappedCounter:
    """One signed 64-bit integer in a file, mapped shared into this process."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _FORMAT.size:
                os.ftruncate(fd, _FORMAT.size)  # zero-filled; never shrinks a file another made
            self._map = mmap.mmap(fd, _FORMAT.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self.path = path

    @property
    def value(self) -> int:
        """The counter as every process sees it now."""
        value: int = _FORMAT.unpack_from(self._map, 0)[0]
        return value

    @value.setter
    def value(self, new: int) -> None:
        _FORMAT.pack_into(self._map, 0, new)

    def close(self) -> None:
        """Unmap the file (the counter cannot be used after)."""
        self._map.close()


class Database:
    """The file's two connections: one used inline on the event loop, one in a thread when locked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        prepare_file(path)
        try:
            self._fast = connect(path, 0.0)  # on the event loop: fails at once when locked
            self._slow = connect(path, BUSY_TIMEOUT_S)  # in the thread: waits for the lock
        except sqlite3.Error as exc:
            raise StateUnavailable(f"cannot open state file {path}: {exc}") from None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="mockserver-sqlite")

    async def run(self, work: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """`work` in one transaction: inline when the database is free, else in the thread."""
        try:
            return _transact(self._fast, work, write)
        except sqlite3.OperationalError as exc:
            if not locked(exc):
                raise StateUnavailable(f"state file {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StateUnavailable(f"state file {self.path}: {exc}") from None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, _transact, self._slow, work, write)
        except sqlite3.Error as exc:
            raise StateUnavailable(f"state file {self.path}: {exc}") from None

    def close(self) -> None:
        """Wait for the thread, close both connections."""
        self._thread.shutdown(wait=True)
        self._fast.close()
        self._slow.close()


def _transact(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], write: bool) -> T:
    if not write:  # one SELECT reads one consistent snapshot by itself
        return work(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
