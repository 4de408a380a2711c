"""The poll report: how each client polled each execution, read from the request journal."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from mockserver.server.keys import KeyNames
from mockserver.server.middleware import printable
from mockserver.spec.catalog import Api
from mockserver.store.journal import JournalEntry
from mockserver.store.polls import poll_report

__all__ = ["SHUTDOWN_TOP", "poll_report", "render_poll_line", "shutdown_report"]

SHUTDOWN_TOP = 10  # executions the shutdown report names; the rest are counted


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
