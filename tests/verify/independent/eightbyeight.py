"""Retrieve a list of workflow instances, written from the 8x8 page alone (seed 004).

Documented facts kept: definitionId must be a UUID (else 400, code 1000), limit 1..500
(default 100), offset >= 0 (default 0), version >= 1, status one of four, results newest
first, one page `[offset, offset + limit)` of one list, the instance fields and the error
shape {code, message, errorId, timestamp}.
Silent points decided differently from our spec:
- a Terminated workflow has ended too, so it carries a completion time (`completedAt`);
- a missing credential is 401 with code 1100 (the page lists no auth error at all);
- timestamps carry 7 fractional digits, as in the page's `triggeredAt` sample.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime
from typing import Any

from tests.verify.independent.http import STARTED, TOKENS, Reply, Request, Route, digest, json_reply

__all__ = ["ROUTES", "not_found"]

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
STATUSES = ("Runnable", "Suspended", "Complete", "Terminated")


def _iso7(epoch: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    return f"{whole}.{int((epoch % 1) * 10**7):07d}Z"


def _error(status: int, code: int, message: str) -> Reply:
    now = time.time()
    body = {"code": code, "message": message, "errorId": str(uuid.uuid4()), "timestamp": _iso7(now)}
    return json_reply(status, body)


def not_found(path: str) -> Reply:
    return _error(404, 1404, f"No resource at {path}.")


def _instances(account: str, definition: str) -> list[dict[str, Any]]:
    seed = digest("8x8", account, definition)
    count = 8 + seed % 30
    out = []
    for index in range(count):
        item = digest(seed, index)
        started = STARTED - 60 * (index + 1) - item % 50
        status = STATUSES[item % 4] if item % 3 else "Complete"
        ended = status in ("Complete", "Terminated")
        out.append(
            {
                "workflowId": f"{item:024x}"[-24:],
                "data": {"accountId": account, "triggeredAt": _iso7(started - 0.25), "payload": {"n": index}},
                "definitionId": definition,
                "version": 1 + item % 3,
                "status": status,
                "startedAt": _iso7(started),
                "completedAt": _iso7(started + 30 + item % 20) if ended else None,
            }
        )
    return out


def _int(value: str | None, low: int, high: int | None = None) -> int | str | None:
    """The integer in `value` within bounds; 'bad' when it is not one."""
    if value is None:
        return None
    if not re.fullmatch(r"[+-]?\d+", value.strip()):
        return "bad"
    number = int(value)
    return number if number >= low and (high is None or number <= high) else "bad"


def _when(value: str | None) -> float | str | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return "bad"


def list_workflows(request: Request) -> Reply:
    token = re.fullmatch(r"Bearer (\S+)", request.headers.get("authorization", ""))
    if token is None or token.group(1) not in TOKENS:
        return _error(401, 1100, "Unauthorized.")
    definition = request.params["definitionId"]
    if not re.fullmatch(UUID, definition):
        return _error(400, 1000, "Invalid definition id.")
    limit, offset = _int(request.one("limit"), 1, 500), _int(request.one("offset"), 0)
    version = _int(request.one("version"), 1)
    status = request.one("status")
    start_from, start_to = _when(request.one("startTimeFrom")), _when(request.one("startTimeTo"))
    if "bad" in (limit, offset, version, start_from, start_to) or status not in (None, *STATUSES):
        return _error(400, 1001, "Invalid query parameter.")
    items = _instances(request.params["accountId"], definition)
    items = [
        i
        for i in items
        if (version is None or i["version"] == version)
        and (status is None or i["status"] == status)
        and (start_from is None or _when(i["startedAt"]) >= start_from)  # type: ignore[operator]
        and (start_to is None or _when(i["startedAt"]) <= start_to)  # type: ignore[operator]
    ]
    items.sort(key=lambda i: i["startedAt"], reverse=True)
    first = offset if isinstance(offset, int) else 0
    size = limit if isinstance(limit, int) else 100
    return json_reply(200, items[first : first + size])


ROUTES = [
    Route(
        "GET",
        r"/api/v1/accounts/(?P<accountId>[^/]+)/definitions/(?P<definitionId>[^/]+)/workflows",
        list_workflows,
    )
]
