"""Per-process, bounded state: the request journal, scenario assignments and their progress.

Everything else the mock answers derives from (seed, request, clock). This is the small
interface a shared store could implement later; every collection here has a cap.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.produce.generate import format_time
from mockserver.produce.scenarios import ScenarioRun
from mockserver.spec.security import GENERIC_CREDENTIAL_HEADERS

__all__ = ["Journal", "JournalEntry", "MockState", "mask_headers"]


def mask_headers(
    headers: Mapping[str, str], secret: Collection[str] = GENERIC_CREDENTIAL_HEADERS
) -> dict[str, str]:
    """Headers with credentials masked: keep the scheme and the last 4 characters."""
    out = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in secret:
            scheme, _, token = value.partition(" ") if " " in value else ("", "", value)
            tail = token[-4:] if len(token) > 8 else ""
            out[lowered] = f"{scheme + ' ' if scheme else ''}***{tail}"
        else:
            out[lowered] = value
    return out


@dataclass
class JournalEntry:
    """One request as the mock saw and answered it.

    The headers are kept as received and masked when the journal is read: a request under load
    pays for a reference, not for decoding and masking headers nobody may ever look at.
    """

    time: float
    method: str
    path: str
    query: str
    raw_headers: list[tuple[bytes, bytes]] = field(repr=False)
    secret: frozenset[str] = field(repr=False)
    status: int = 0
    latency_ms: float = 0.0
    retry_after: float | None = None
    # (execution key, state, terminal) for each execution the answer showed
    observed: tuple[tuple[str, str | None, bool | None], ...] = ()
    client_host: str = "?"
    dropped: bool = False  # the connection was closed mid-answer on purpose (a fault)

    @property
    def headers(self) -> dict[str, str]:
        decoded = {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers}
        return mask_headers(decoded, self.secret)

    @property
    def client(self) -> str:
        """Who sent it: the peer address and the User-Agent."""
        agent = next((v.decode("latin-1") for k, v in self.raw_headers if k.lower() == b"user-agent"), "")
        return f"{self.client_host} {agent}".strip()

    def as_dict(self, key: Callable[[str], Any] = str) -> dict[str, Any]:
        """The entry as the control API shows it: ISO 8601 UTC time, each key as `key(text)`."""
        return {
            "time": format_time(self.time, "rfc3339"),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "client": self.client,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "retry_after": self.retry_after,
            "dropped": self.dropped,
            "executions": [{"key": key(k), "state": s, "terminal": t} for k, s, t in self.observed],
        }


class Journal:
    """The most recent requests, newest last; at most `capacity` of them."""

    def __init__(self, capacity: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max(1, capacity))

    def add(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def select(
        self, *, limit: int = 100, path: str | None = None, status: int | None = None
    ) -> list[JournalEntry]:
        chosen = [
            e
            for e in self._entries
            if (path is None or path in e.path) and (status is None or e.status == status)
        ]
        return chosen[-limit:] if limit > 0 else []

    def clear(self) -> None:
        self._entries.clear()


class MockState:
    """All mutable state of one server process, each part capped."""

    def __init__(self, *, journal_size: int = 1000, max_ids: int = 10_000) -> None:
        self.journal = Journal(journal_size)
        self._max_ids = max_ids
        self._pinned: OrderedDict[str, str] = OrderedDict()
        self._runs: OrderedDict[str, ScenarioRun] = OrderedDict()
        self._offsets: OrderedDict[str, float] = OrderedDict()

    def _cap(self, store: OrderedDict[str, Any]) -> None:
        while len(store) > self._max_ids:
            store.popitem(last=False)

    def pin(self, key: str, scenario: str) -> None:
        """Pin an id to a scenario from now on (its progress starts over)."""
        self._pinned[key] = scenario
        self._runs.pop(key, None)
        self._cap(self._pinned)

    def pinned(self, key: str) -> str | None:
        return self._pinned.get(key)

    def run(self, key: str, scenario: str) -> ScenarioRun:
        """The progress of `key` through `scenario`, created on its first poll."""
        current = self._runs.get(key)
        if current is None or current.name != scenario:
            current = self._runs[key] = ScenarioRun(scenario)
            self._cap(self._runs)
        self._runs.move_to_end(key)
        return current

    def advance(self, key: str, seconds: float) -> None:
        self._offsets[key] = self._offsets.get(key, 0.0) + seconds
        self._cap(self._offsets)

    def offset(self, key: str) -> float:
        return self._offsets.get(key, 0.0)

    def reset(self) -> None:
        self.journal.clear()
        self._pinned.clear()
        self._runs.clear()
        self._offsets.clear()

    def sizes(self) -> dict[str, int]:
        return {
            "journal": len(self.journal),
            "pinned": len(self._pinned),
            "scenarioRuns": len(self._runs),
            "clockOffsets": len(self._offsets),
        }
