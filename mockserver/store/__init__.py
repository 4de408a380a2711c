"""The mock's mutable state behind one contract: memory, SQLite (workers) or Redis (replicas)."""

from __future__ import annotations

from mockserver.store.base import DEFAULT_SESSION, KeyView, Progress, Store, StoreOptions, step_index
from mockserver.store.factory import check_state_url, from_settings, from_url, shared_for_workers
from mockserver.store.journal import JournalEntry, mask_headers
from mockserver.store.memory import MemoryStore
from mockserver.store.sessions import (
    SESSION_HEADER,
    SESSION_PREFIX,
    SessionError,
    check_session,
    route_session,
)

__all__ = [
    "DEFAULT_SESSION",
    "SESSION_HEADER",
    "SESSION_PREFIX",
    "JournalEntry",
    "KeyView",
    "MemoryStore",
    "Progress",
    "SessionError",
    "Store",
    "StoreOptions",
    "check_session",
    "check_state_url",
    "from_settings",
    "from_url",
    "mask_headers",
    "route_session",
    "shared_for_workers",
    "step_index",
]
