"""GetWorkflowRun, written from the AWS API reference page alone (seed 003).

Documented facts kept: the URI patterns and lengths, the Response Elements, the status values,
RFC 3339 times, and the error names with their status codes (400, 402, 403, 404, 409, 429).
Silent points decided differently from our spec:
- a request without any credential is refused 403 AccessDeniedException (the only documented
  refusal), not 401;
- x-amzn-ErrorType carries the name with a namespace suffix (`Name:http://...`);
- the error body also carries `__type`;
- a project name of 1-2 characters, valid input that names no project, is 404.
"""

from __future__ import annotations

import re
import time

from tests.verify.independent.http import STARTED, TOKENS, Reply, Request, Route, digest, iso, json_reply

__all__ = ["ROUTES", "not_found"]

NAME = r"[a-zA-Z0-9]+(?:[-_\.][a-zA-Z0-9]+)*"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.codecatalyst/"
# (status, seconds in it); the last one is where a run stays
PLANS = (
    (("VALIDATING", 1), ("PROVISIONING", 2), ("IN_PROGRESS", 6), ("SUCCEEDED", 0)),
    (("VALIDATING", 1), ("IN_PROGRESS", 4), ("FAILED", 0)),
    (("IN_PROGRESS", 3), ("STOPPING", 2), ("STOPPED", 0)),
    (("SUCCEEDED", 0),),
    (("IN_PROGRESS", 10_000), ("SUCCEEDED", 0)),
)
ENDED = {"SUCCEEDED", "FAILED", "STOPPED", "CANCELLED", "ABANDONED", "SUPERSEDED", "NOT_RUN"}


def _error(status: int, name: str, message: str) -> Reply:
    body = {"__type": f"{NAMESPACE}#{name}", "message": message}
    return json_reply(status, body, **{"x-amzn-ErrorType": f"{name}:{NAMESPACE}"})


def not_found(path: str) -> Reply:
    return _error(404, "ResourceNotFoundException", f"No resource at {path}")


def get_workflow_run(request: Request) -> Reply:
    token = re.fullmatch(r"Bearer (\S+)", request.headers.get("authorization", ""))
    if token is None or token.group(1) not in TOKENS:
        message = "You don't have sufficient access to perform this action."
        return _error(403, "AccessDeniedException", message)
    space, project, run_id = request.params["spaceName"], request.params["projectName"], request.params["id"]
    if not (3 <= len(space) <= 63 and re.fullmatch(NAME, space)):
        return _error(400, "ValidationException", "spaceName failed to satisfy its constraints")
    if not (len(project) >= 1 and re.fullmatch(NAME, project)):
        return _error(400, "ValidationException", "projectName failed to satisfy its constraints")
    if not re.fullmatch(UUID, run_id):
        return _error(400, "ValidationException", "id failed to satisfy its constraints")
    if not 3 <= len(project) <= 63:
        return _error(404, "ResourceNotFoundException", f"Project {project} was not found")
    seed = digest("codecatalyst", space, project, run_id)
    plan = PLANS[seed % len(PLANS)]
    start = STARTED - (seed % 5)
    elapsed, at, status = time.time() - start, start, plan[-1][0]
    for name, seconds in plan:
        status = name
        if name == plan[-1][0] or elapsed < at - start + seconds:
            break
        at += seconds
    body = {
        "spaceName": space,
        "projectName": project,
        "id": run_id,
        "workflowId": f"{seed % 2**32:08x}-0000-4000-8000-{seed % 2**48:012x}",
        "status": status,
        "statusReasons": [],
        "startTime": iso(start),
        "lastUpdatedTime": iso(at),
    }
    if status in ENDED:
        body["endTime"] = iso(at)
    return json_reply(200, body)


ROUTES = [
    Route(
        "GET",
        r"/v1/spaces/(?P<spaceName>[^/]+)/projects/(?P<projectName>[^/]+)/workflowRuns/(?P<id>[^/]+)",
        get_workflow_run,
    )
]
