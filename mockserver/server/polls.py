"""The poll report: how each client polled each execution, read from the request journal."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import orjson

from mockserver.pipeline.state import JournalEntry
from mockserver.server.keys import KeyNames
from mockserver.server.middleware import printable
from mockserver.spec.catalog import Api

__all__ = ["SHUTDOWN_TOP", "poll_report", "render_poll_line", "shutdown_report"]

SHUTDOWN_TOP = 10  # executions the shutdown report names; the rest are counted

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


def render_poll_line(summary: dict[str, Any]) -> str:
    """One log line per (client, execution), printed at shutdown."""
    verdicts = [
        "backed off" if summary["backedOff"] else "fixed interval",
        {True: "honoured Retry-After", False: "IGNORED Retry-After", None: ""}[summary["honouredRetryAfter"]],
        {
            True: "stopped at terminal state",
            False: f"kept polling {summary['pollsAfterTerminal']}x after terminal",
            None: "never saw a terminal state",
        }[summary["stoppedWhenTerminal"]],
    ]
    who = f"{printable(summary['client'])} {printable(_json(summary['execution']))}"
    return (
        f"poll report: {who}: {summary['polls']} polls, "
        f"every {summary['intervals']['mean']}s on average; " + ", ".join(v for v in verdicts if v)
    )


def shutdown_report(entries: Iterable[JournalEntry], apis: Sequence[Api], top: int = SHUTDOWN_TOP) -> str:
    """The poll report printed at shutdown: the `top` most polled executions, then a count of
    the rest (`GET /__mock/polls` has them all); '' when nothing was polled."""
    report = sorted(poll_report(entries, KeyNames(apis)), key=lambda s: -int(s["polls"]))
    lines = [render_poll_line(summary) for summary in report[:top]]
    if len(report) > top:
        lines.append(f"poll report: ... and {len(report) - top} more (all of them: GET /__mock/polls)")
    return "\n".join(lines)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
