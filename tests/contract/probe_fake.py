"""A broken fake only verify's polls probe kills: Oracle's first milestone starts earlier each answer.

    python -m tests.contract.probe_fake --port PORT

The n-th answer for one step's details shows its first sub-step (milestone) started n seconds
earlier than the mock says: every single answer is consistent (the first milestone has no earlier
sibling, its end is untouched), but a start time that moves between polls breaks a documented
fact only polling the same step shows. The other APIs' probe-only breakages are in
tests/verify/fake.py (`BREAKAGES`); this one is not there, so the kill-rate figures stay theirs.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from mockserver.settings import UVICORN_OPTIONS, Settings, default_spec_dir
from tests.verify.fake import (
    ORACLE_DETAILS,
    TIME_SCALE,
    Break,
    BreakingMiddleware,
    Request,
    on_body,
    operation_finder,
)

__all__ = ["first_milestone_moves", "main"]


def first_milestone_moves() -> Break:
    """The n-th answer for one step (path and stepId) moves its first sub-step's start n s earlier."""
    answers: dict[tuple[str, ...], int] = {}

    def mutate(body: Any, request: Request) -> Any:
        key = (request.path, *request.query("stepId"))
        seen = answers.get(key, 0)
        answers[key] = seen + 1
        first = (body.get("subSteps") or [None])[0]
        if isinstance(first, dict) and first.get("startTime"):
            start = datetime.fromisoformat(str(first["startTime"]).replace("Z", "+00:00"))
            first["startTime"] = (start - timedelta(seconds=seen)).isoformat().replace("+00:00", "Z")
        return body

    return on_body(ORACLE_DETAILS, mutate)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.probe_fake")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import uvicorn

    from mockserver.app import create_app

    specs = tuple(sorted(default_spec_dir().glob("*.yaml")))
    settings = Settings(specs=specs, port=args.port, time_scale=TIME_SCALE, access_log=False)
    app = BreakingMiddleware(create_app(settings), operation_finder(specs), first_milestone_moves())
    print(f"fake: Oracle's first milestone moves on http://127.0.0.1:{args.port}/", file=sys.stderr)
    uvicorn.run(app, host="127.0.0.1", port=args.port, **UVICORN_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
