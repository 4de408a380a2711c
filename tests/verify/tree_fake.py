"""Broken fakes for the tree invariants, served over HTTP with `tests/verify/fake.py`'s machinery:

    python -m tests.verify.tree_fake --break NAME --port PORT

The real mock behind the same `BreakingMiddleware`, Oracle's step details changed in one way.
`TREE_BREAKAGES` names each one, the `tree_invariants` rule that catches it, and whether that rule
is a vendor fact (verify fails) or a spec decision (drift: never a failure).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.settings import UVICORN_OPTIONS, Settings, default_spec_dir
from tests.verify.fake import ORACLE_DETAILS, BreakingMiddleware, Mutate, Request, on_body, operation_finder

__all__ = ["TREE_BREAKAGES", "TreeBreakage", "main"]


def _earlier(stamp: str, seconds: float) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() - seconds
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _end_before_start(body: Any, request: Request) -> Any:
    for step in body.get("subSteps") or []:
        if step.get("startTime"):
            step["endTime"] = _earlier(step["startTime"], 3600)
    return body


def _queued_with_end(body: Any, request: Request) -> Any:
    for step in body.get("subSteps") or []:
        if step.get("status") == "Queued":
            step["endTime"] = "2030-01-01T00:00:00.000Z"
    return body


def _all_in_progress(body: Any, request: Request) -> Any:
    for step in body.get("subSteps") or []:
        step.update(status="In Progress", startTime=step.get("startTime") or "2020-01-01T00:00:00.000Z")
        step["endTime"] = None
    return body


@dataclass(frozen=True)
class TreeBreakage:
    """One tree rule broken: the check name that catches it, and whether it is a vendor fact."""

    mutate: Mutate
    check: str
    fact: bool


TREE_BREAKAGES = {
    "tree-end-before-start": TreeBreakage(_end_before_start, "start_before_end", fact=True),
    "tree-queued-with-end": TreeBreakage(_queued_with_end, "not_started_has_no_end", fact=False),
    "tree-all-in-progress": TreeBreakage(_all_in_progress, "siblings_in_sequence", fact=False),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.verify.tree_fake", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--break", dest="breakage", required=True, choices=sorted(TREE_BREAKAGES))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    from mockserver.app import create_app

    settings = Settings(
        specs=tuple(sorted(default_spec_dir().glob("*.yaml"))),
        port=args.port,
        clock_origin="now",
        access_log=False,
    )
    app = BreakingMiddleware(
        create_app(settings),
        operation_finder(settings.specs),
        on_body(ORACLE_DETAILS, TREE_BREAKAGES[args.breakage].mutate),
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, **UVICORN_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
