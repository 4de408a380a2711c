"""Oracle self-service Workflow Status API, written from the Oracle page alone (seed 000).

Documented facts kept: both paths under /selfservice/v1, `Authorization: Bearer <JWT>` plus
`Identifier: <GUID>`, one or more `id` and a mandatory `requestor` (an empty value is no
value), `stepId` defaulting to 0, one status entry per requested execution, the details
fields (executionId, stepId, subSteps with stepId, name, status, startTime, endTime,
hasSubStep, remark).
Silent points decided differently from our spec:
- errors carry this server's own body `{"status": ..., "title": ..., "detail": ...}`;
- a parent execution is "in_progress" until done, then "success" (the page shows only
  "success");
- a Queued step carries its planned end time, as in the page's sample.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.verify.independent.http import STARTED, TOKENS, Reply, Request, Route, digest, iso, json_reply

__all__ = ["ROUTES", "not_found"]

JWT = r"Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
NAMES = ("RFC Submission", "RFC Validation", "RFC Execution", "RFC Closure")


def _error(status: int, title: str, detail: str) -> Reply:
    return json_reply(status, {"status": status, "title": title, "detail": detail})


def not_found(path: str) -> Reply:
    return _error(404, "Not Found", f"no resource at {path}")


def _refused(request: Request) -> Reply | None:
    authorization = request.headers.get("authorization", "")
    if not re.fullmatch(JWT, authorization) or authorization.removeprefix("Bearer ") not in TOKENS:
        return _error(401, "Unauthorized", "a JWT bearer token is required")
    if not re.fullmatch(GUID, request.headers.get("identifier", "").strip()):
        return _error(401, "Unauthorized", "the Identifier header must be the JWKS GUID")
    requestor = request.query.get("requestor") or []
    if len(requestor) != 1 or not requestor[0]:
        return _error(400, "Bad Request", "requestor is mandatory")
    return None


def _done(execution: str) -> bool:
    return digest("oracle", execution) % 3 != 0 or time.time() - STARTED > 4 + digest(execution) % 6


def status(request: Request) -> Reply:
    if (refused := _refused(request)) is not None:
        return refused
    ids = request.query.get("id") or []
    if not ids or any(not i for i in ids):
        return _error(400, "Bad Request", "at least one non-empty id is required")
    entries = [{"executionId": i, "status": "success" if _done(i) else "in_progress"} for i in ids]
    return json_reply(200, {"response": entries})


def details(request: Request) -> Reply:
    if (refused := _refused(request)) is not None:
        return refused
    raw = request.one("stepId")
    if raw is not None and not re.fullmatch(r"[+-]?\d+", raw.strip()):
        return _error(400, "Bad Request", "stepId must be an integer")
    execution, step = request.params["id"], int(raw) if raw is not None else 0
    seed = digest("oracle-steps", execution, step)
    begin = STARTED - 600 + seed % 60
    sub: list[dict[str, Any]] = []
    for index in range(2 + seed % 2):
        child = digest(seed, index) % 100_000 + 1
        finished = _done(execution) or index == 0
        sub.append(
            {
                "stepId": child,
                "name": NAMES[index % len(NAMES)],
                "status": "Completed" if finished else "Queued",
                "startTime": iso(begin + 60 * index, 0),
                "endTime": iso(begin + 60 * index + 45, 0),
                "hasSubStep": step == 0 and index == 0,
                "remark": "RFC successfully submitted to workflow engine" if finished else "waiting",
            }
        )
    return json_reply(200, {"executionId": execution, "stepId": step, "subSteps": sub})


ROUTES = [
    Route("GET", r"/selfservice/v1/executions/status", status),
    Route("GET", r"/selfservice/v1/executions/(?P<id>[^/]+)/status/details", details),
]
