"""Get flow status, written from the Etlworks page alone (seed 001).

Documented facts kept: both paths, `Authorization: Bearer`, messageId (UUID) and auditId (long)
as optional selectors, the response fields with their types, times in epoch milliseconds, the
statuses success/warning/error/running, the fields "only available if flow has been already
executed" absent while running, and 401 for a request that is not authorized.
Silent points decided differently from our spec:
- a malformed flowId, auditId or messageId is 400 with this server's own body
  `{"error": ..., "status": 400}` (the page documents neither the status nor a body);
- a missing credential is 401 with the same body shape;
- a finished flow's `exception` is an empty string when nothing was logged.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.verify.independent.http import STARTED, TOKENS, Reply, Request, Route, digest, json_reply

__all__ = ["ROUTES", "not_found"]

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
LONG = r"[+-]?\d{1,19}"
OUTCOMES = ("success", "success", "warning", "error")


def _error(status: int, message: str) -> Reply:
    return json_reply(status, {"error": message, "status": status})


def not_found(path: str) -> Reply:
    return _error(404, f"not found: {path}")


def _long(value: str | None) -> bool:
    return value is None or (re.fullmatch(LONG, value) is not None and -(2**63) <= int(value) < 2**63)


def flow_status(request: Request) -> Reply:
    token = re.fullmatch(r"Bearer (\S+)", request.headers.get("authorization", ""))
    if token is None:
        return _error(401, "not authorized")
    if token.group(1) not in TOKENS:
        return _error(403, "not authorized: unknown access token")
    flow, message, audit = request.params["flowId"], request.one("messageId"), request.one("auditId")
    if not _long(flow) or not _long(audit) or (message is not None and not re.fullmatch(UUID, message)):
        return _error(400, "flowId and auditId must be numbers, messageId a UUID")
    seed = digest("etlworks", int(flow), message or "", audit or "")
    started = (STARTED - seed % 40) * 1000
    runs_for = 2_000 + seed % 8_000
    now = time.time() * 1000
    body: dict[str, Any] = {
        "auditId": int(audit) if audit else 1_000_000 + seed % 1_000_000,
        "parentAuditId": None,
        "retries": None,
        "flowId": int(flow),
        "flowName": f"flow {flow}",
        "eventId": None,
        "eventName": None,
        "messageId": message or None,
        "tenantId": None,
        "status": "running",
        "triggerType": "flow.execution.on.demand",
        "startedBy": "admin",
        "started": int(started),
        "fileName": None,
        "records": None,
    }
    if now >= started + runs_for:
        outcome = OUTCOMES[seed % len(OUTCOMES)]
        body.update(
            status=outcome,
            ended=int(started + runs_for),
            duration=f"{runs_for / 1000:.1f} seconds",
            exception="",
            metrics=None,
            fileMetrics=None,
        )
        if outcome == "error":
            body.update(code="select 1", errorLocationInSql=1, exception="java.sql.SQLException: failed")
        if outcome == "warning":
            body["warnings"] = "1 record skipped"
    return json_reply(200, body)


ROUTES = [
    Route("GET", r"/rest/v1/executions/(?P<flowId>[^/]+)", flow_status),
    Route("GET", r"/plugins/dashboard/rest/v1/flows/(?P<flowId>[^/]+)", flow_status),
]
