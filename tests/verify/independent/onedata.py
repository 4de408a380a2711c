"""Get workflow execution details, written from the Onedata REST reference alone (seed 002)
and Onedata's documentation on REST authentication (a token in `X-Auth-Token` or in
`Authorization: Bearer`).

Documented facts kept: the path, the response properties and their types, the status enum,
POSIX-second times with 0 for "not yet", the lane-run required fields, and the error shape
{"error": {"id", "description", "ctx"}} for 400, 403, 404 and 500.
Silent points decided differently from our spec:
- a request without any token is 401 `unauthorized` (RFC 7235), not 403;
- the token is read from `Authorization: Bearer` as well as from `X-Auth-Token`;
- an execution is created only for ids of letters, digits, `-` and `_`; any other id is 404.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.verify.independent.http import STARTED, TOKENS, Reply, Request, Route, digest, json_reply

__all__ = ["ROUTES", "not_found"]

# (status, seconds in it); the last one is where an execution stays
PLANS = (
    (("scheduled", 1), ("active", 5), ("finished", 0)),
    (("active", 3), ("failed", 0)),
    (("finished", 0),),
    (("scheduled", 2), ("active", 10_000), ("finished", 0)),
)


def _error(status: int, ident: str, description: str) -> Reply:
    ctx = {
        "timestamp": int(time.time() * 1000),
        "serviceReleaseVersion": "21.02.5",
        "serviceId": "reference-provider",
        "serviceDomain": "127.0.0.1",
        "serviceBuildVersion": "1-reference",
        "service": "opw",
        "onedataErrorsRevision": "reference",
        "module": "rest_handler",
        "line": 1,
    }
    return json_reply(status, {"error": {"id": ident, "description": description, "ctx": ctx}})


def not_found(path: str) -> Reply:
    return _error(404, "notFound", f"The resource could not be found: {path}")


def _token(request: Request) -> str | None:
    if token := request.headers.get("x-auth-token", "").strip():
        return token
    bearer = re.fullmatch(r"Bearer (\S+)", request.headers.get("authorization", ""))
    return bearer.group(1) if bearer else None


def _hex(seed: int, length: int = 38) -> str:
    return (f"{seed:016x}" * 3)[: length - 6] + f"ch{seed % 0xFFFF:04x}"


def details(request: Request) -> Reply:
    if _token(request) not in TOKENS:
        return _error(401, "unauthorized", "You must authenticate yourself to perform this operation.")
    wid = request.params["wid"]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", wid):
        return _error(404, "notFound", "The resource could not be found.")
    seed = digest("onedata", wid)
    plan = PLANS[seed % len(PLANS)]
    scheduled = int(STARTED) - 10 - seed % 20
    elapsed, at, status = time.time() - scheduled, scheduled, plan[-1][0]
    for name, seconds in plan:
        status = name
        if name == plan[-1][0] or elapsed < at - scheduled + seconds:
            break
        at += seconds
    queued = plan[0][1] if plan[0][0] == "scheduled" else 0
    started = 0 if status == "scheduled" else scheduled + queued
    ended = status in ("finished", "failed", "cancelled", "crashed", "interrupted")
    body: dict[str, Any] = {
        "atmWorkflowExecutionId": wid,
        "atmWorkflowSchemaSnapshotId": _hex(seed + 1),
        "name": f"execution {wid[:20]}",
        "atmInventoryId": _hex(seed + 2),
        "spaceId": _hex(seed + 3),
        "userId": _hex(seed + 4),
        "status": status,
        "scheduleTime": scheduled,
        "startTime": started,
        "suspendTime": 0,
        "finishTime": int(at) if ended else 0,
        "lambdaSnapshotRegistry": {_hex(seed + 5): _hex(seed + 6)},
        "storeRegistry": {_hex(seed + 7): _hex(seed + 8)},
        "systemAuditLogStoreId": _hex(seed + 9),
        "lanes": [
            {
                "schemaId": _hex(seed + 10),
                "runs": [
                    {
                        "runNumber": 1,
                        "originRunNumber": None,
                        "runType": "regular",
                        "status": status,
                        "iteratedStoreId": _hex(seed + 11),
                        "exceptionStoreId": _hex(seed + 12),
                        "parallelBoxes": [{"schemaId": _hex(seed + 13), "taskRegistry": {}}],
                        "isRetriable": status == "failed",
                        "isRerunable": ended,
                    }
                ],
            }
        ],
    }
    return json_reply(200, body)


ROUTES = [Route("GET", r"/api/v3/oneprovider/automation/execution/workflows/(?P<wid>[^/]+)", details)]
