"""The `/__mock/` control API: handlers for admin.yaml, over the server's bounded state."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.responses import Response

from mockserver.pipeline.state import MockState
from mockserver.produce.ask import item_key, resource_key
from mockserver.produce.generate import format_time
from mockserver.produce.lifecycle import Clock
from mockserver.render.errors import render_problem
from mockserver.server.middleware import render_reply as render
from mockserver.server.polls import poll_report
from mockserver.spec.catalog import Api
from mockserver.spec.values import values_from

__all__ = ["ADMIN_SPEC", "admin_handlers"]

ADMIN_SPEC = Path(__file__).with_name("admin.yaml")


def admin_handlers(apis: Sequence[Api], clock: Clock, state: MockState) -> Mapping[str, Callable[..., Any]]:
    """operationId -> handler, each bound to the server's APIs, clock and state."""

    def health_body() -> dict[str, Any]:
        return {
            "status": "ok",
            "apis": [api.slug for api in apis],
            "now": format_time(clock.now(), "rfc3339"),
            "state": state.sizes(),
        }

    async def health() -> dict[str, Any]:
        return health_body()

    async def reset() -> dict[str, Any]:
        state.reset()
        clock.reset()
        return health_body()

    async def journal(limit: int = 100, path: str | None = None, status: int | None = None) -> dict[str, Any]:
        return {"entries": [e.as_dict() for e in state.journal.select(limit=limit, path=path, status=status)]}

    async def polls() -> dict[str, Any]:
        return {"polls": poll_report(state.journal)}

    async def list_scenarios() -> dict[str, Any]:
        return {
            "scenarios": [
                {"api": api.slug, "operation": op.id, "name": name, "description": scenario.description}
                for api in apis
                for op in api.operations
                for name, scenario in op.rules.scenarios.items()
            ]
        }

    def resolve(body: Mapping[str, Any]) -> tuple[str | None, Response | None]:
        api = next((a for a in apis if a.slug == body.get("api")), None)
        if api is None:
            names = ", ".join(a.slug for a in apis)
            return None, render(
                render_problem("bad-request", f"api {body.get('api')!r}: expected one of {names}")
            )
        op = next((o for o in api.operations if o.id == body.get("operation")), None)
        if op is None:
            names = ", ".join(o.id for o in api.operations)
            return None, render(
                render_problem("bad-request", f"operation {body.get('operation')!r}: expected one of {names}")
            )
        params = body.get("params") or {}
        values = values_from((p.ref, params.get(p.name)) for p in op.parameters)
        listing = op.rules.collection
        if listing is not None and listing.each is not None:
            each = values["query"].get(listing.each.split(".", 1)[1])
            return item_key(api, op, each[0] if isinstance(each, list) else each), None
        return resource_key(api, op, values), None

    async def pin_scenario(body: dict[str, Any]) -> Any:
        key, problem = resolve(body)
        if problem is not None or key is None:
            return problem
        api = next(a for a in apis if a.slug == body["api"])
        op = api.operation(body["operation"])
        if body["scenario"] not in op.rules.scenarios:
            names = ", ".join(op.rules.scenarios) or "(none)"
            return render(
                render_problem("bad-request", f"scenario {body['scenario']!r}: {op.id} offers {names}")
            )
        state.pin(key, body["scenario"])
        return {"key": key, "scenario": body["scenario"]}

    async def advance_clock(body: dict[str, Any]) -> Any:
        seconds = float(body["seconds"])
        if "api" not in body:
            clock.advance(seconds)
            return {"now": format_time(clock.now(), "rfc3339"), "key": None}
        key, problem = resolve(body)
        if problem is not None or key is None:
            return problem
        state.advance(key, seconds)
        return {"now": format_time(clock.now() + state.offset(key), "rfc3339"), "key": key}

    handlers: dict[str, Callable[..., Any]] = {
        "health": health,
        "reset": reset,
        "journal": journal,
        "polls": polls,
        "listScenarios": list_scenarios,
        "pinScenario": pin_scenario,
        "advanceClock": advance_clock,
    }
    return {name: _as_json(handler) for name, handler in handlers.items()}


def _as_json(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Answer dicts as application/json explicitly (the operations also document problem+json)."""

    @functools.wraps(handler)
    async def wrapper(**kwargs: Any) -> Response:
        result = await handler(**kwargs)
        if isinstance(result, Response):
            return result
        return Response(orjson.dumps(result), media_type="application/json")

    return wrapper
