"""The poll report: how each client polled each execution, read from the request journal."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from mockserver.store.journal import JournalEntry

__all__ = ["poll_report"]

_SLACK = 0.05  # seconds of scheduling noise allowed when judging Retry-After


def poll_report(entries: Iterable[JournalEntry], name: Callable[[str], Any] = str) -> list[dict[str, Any]]:
    """One summary per (client, execution): polls, intervals, backoff, Retry-After, stopping;
    each execution shown as `name(key)`."""
    grouped: dict[tuple[str, str], list[_Poll]] = {}
    for entry in entries:
        for key, state, terminal in entry.observed:
            poll = _Poll(entry.time, entry.status, state, terminal, entry.retry_after)
            grouped.setdefault((entry.client, key), []).append(poll)
    return [_summary(client, name(key), polls) for (client, key), polls in grouped.items()]


@dataclass(frozen=True)
class _Poll:
    time: float
    status: int
    state: str | None
    terminal: bool | None
    retry_after: float | None


def _summary(client: str, execution: Any, polls: list[_Poll]) -> dict[str, Any]:
    times = [p.time for p in polls]
    intervals = [b - a for a, b in itertools.pairwise(times)]
    honoured: bool | None = None
    for entry, gap in zip(polls, intervals, strict=False):
        if entry.retry_after is not None:
            ok = gap + _SLACK >= entry.retry_after
            honoured = ok if honoured is None else honoured and ok
    first_terminal = next((i for i, p in enumerate(polls) if p.terminal), None)
    after = len(polls) - first_terminal - 1 if first_terminal is not None else 0
    return {
        "client": client,
        "execution": execution,
        "polls": len(polls),
        "intervals": {
            "min": round(min(intervals), 3) if intervals else 0.0,
            "mean": round(fmean(intervals), 3) if intervals else 0.0,
            "max": round(max(intervals), 3) if intervals else 0.0,
        },
        "backedOff": len(intervals) >= 2 and intervals[-1] > intervals[0] * 1.2,
        "honouredRetryAfter": honoured,
        "stoppedWhenTerminal": (after == 0) if first_terminal is not None else None,
        "pollsAfterTerminal": after,
        "states": [p.state if p.state is not None else f"HTTP {p.status}" for p in polls],
    }
