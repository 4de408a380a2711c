"""Render an API's native error from its spec, and the mock's own problem documents.

Two channels, never mixed: the emulated API's errors in the envelope its spec documents
(`x-mock-error` on the response, or a body generated from the response schema), and the mock's
own errors as `application/problem+json` with a stable `type` (see `PROBLEMS`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from mockserver.produce.generate import Generator, format_time, rng_for
from mockserver.render.reply import PROBLEM_JSON, Reply
from mockserver.spec.catalog import Operation
from mockserver.spec.responses import response_schema

__all__ = ["PROBLEMS", "error_status", "fill_template", "render_error", "render_problem"]

# The mock's own error catalogue: type -> (status, title). Listed in the README.
PROBLEMS: Mapping[str, tuple[int, str]] = {
    "no-such-route": (404, "No API serves this path"),
    "method-not-allowed": (405, "The path does not declare this method"),
    "bad-prefer": (400, "Unknown or undocumented choice in the Prefer header"),
    "undocumented-failure": (400, "The request is invalid and the API documents no error for it"),
    "response-invalid": (500, "The mock's response broke the spec (fail closed)"),
    "mock-failure": (500, "The mock failed"),
    "bad-request": (400, "The request could not be read"),
    "admin-token-required": (401, "The control API needs the admin token"),
    "bad-session": (400, "The session named by X-Mock-Session or /__session/<name>/ cannot be used"),
    "state-unavailable": (503, "The shared state store cannot be reached"),
}

_DEFAULT_STATUSES: Mapping[str, tuple[str, ...]] = {
    "invalid": ("400", "422"),
    "unauthenticated": ("401", "403"),
    "forbidden": ("403", "401"),
    "notFound": ("404",),
    "throttled": ("429",),
    "internal": ("500",),
    "unavailable": ("503",),
}
_MESSAGE_FIELDS = ("message", "description", "detail", "title", "error")


def render_problem(kind: str, detail: str, **extra: Any) -> Reply:
    """The mock's own error, as an RFC 9457 problem document."""
    status, title = PROBLEMS[kind]
    headers = {str(k): str(v) for k, v in extra.pop("headers", {}).items()}
    body = {
        "type": f"urn:mockserver:problem:{kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    return Reply(status, {**body, **extra}, headers, PROBLEM_JSON)


def error_status(op: Operation, kind: str) -> str | None:
    """Which documented response answers a failure of this kind, if any."""
    if chosen := op.rules.errors.get(kind):
        return chosen
    return next((s for s in _DEFAULT_STATUSES.get(kind, ()) if s in op.responses), None)


def fill_template(template: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(template, dict):
        return {k: fill_template(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill_template(v, values) for v in template]
    if isinstance(template, str):
        whole = template[1:-1] if template.startswith("{") and template.endswith("}") else ""
        if whole in values and not isinstance(values[whole], str):
            return values[whole]
        for name, value in values.items():
            template = template.replace("{" + name + "}", str(value))
    return template


def render_error(
    op: Operation, kind: str, message: str, generator: Generator, *, status: str | None = None
) -> Reply | None:
    """The API's own error response for a failure `kind`, naming what was wrong; None if undocumented."""
    status = status or error_status(op, kind)
    if status is None:
        return None
    response = op.responses[status]
    now = time.time()
    rng = rng_for("error", op.id, status, message)
    values = {
        "message": message,
        "status": int(status),
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "now": format_time(now, "rfc3339"),
        "now:ms": format_time(now, "epoch-ms"),
        "now:s": format_time(now, "epoch-s"),
    }
    template = response.get("x-mock-error")
    headers: dict[str, str] = {}
    if template is not None:
        body = fill_template(template["body"], values)
        headers = {k: str(fill_template(v, values)) for k, v in (template.get("headers") or {}).items()}
    else:
        schema = response_schema(op, status)
        body = None if schema is None else generator.generate(schema, rng, now=now)
        if isinstance(body, dict):
            field = next((f for f in _MESSAGE_FIELDS if isinstance(body.get(f), str)), None)
            if field:
                body[field] = message
    media = next(iter(response.get("content") or {}), "application/json")
    return Reply(int(status), body, headers, media)
