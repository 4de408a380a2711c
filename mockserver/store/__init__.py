"""The mock's mutable state behind one contract: memory, SQLite (workers) or Redis (replicas)."""

from __future__ import annotations

from mockserver.store.base import DEFAULT_SESSION, KeyView, Progress, Store, StoreOptions, step_index
from mockserver.store.factory import check_state_url, from_settings, from_url, shared_for_workers
from mockserver.store.journal import JournalEntry, mask_headers
from mockserver.store.memory import MemoryStore

__all__ = [
    "DEFAULT_SESSION",
    "JournalEntry",
    "KeyView",
    "MemoryStore",
    "Progress",
    "Store",
    "StoreOptions",
    "check_state_url",
    "from_settings",
    "from_url",
    "mask_headers",
    "shared_for_workers",
    "step_index",
]
