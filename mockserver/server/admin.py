"""The `/__mock/` control API: handlers for admin.yaml, over the server's bounded state."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.responses import Response

from mockserver.exceptions import did_you_mean
from mockserver.pipeline.state import MockState
from mockserver.produce.generate import format_time
from mockserver.produce.lifecycle import Clock
from mockserver.render.errors import render_problem
from mockserver.server.keys import KeyNames
from mockserver.server.middleware import render_reply as render
from mockserver.server.polls import poll_report
from mockserver.server.targets import Target, resolve_target
from mockserver.spec.catalog import Api

__all__ = ["ADMIN_SPEC", "admin_handlers"]

ADMIN_SPEC = Path(__file__).with_name("admin.yaml")


def admin_handlers(apis: Sequence[Api], clock: Clock, state: MockState) -> Mapping[str, Callable[..., Any]]:
    """operationId -> handler, each bound to the server's APIs, clock and state."""
    names = KeyNames(apis)

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
        return {
            "entries": [e.as_dict(names) for e in state.journal.select(limit=limit, path=path, status=status)]
        }

    async def polls() -> dict[str, Any]:
        return {"polls": poll_report(state.journal, names)}

    async def list_scenarios() -> dict[str, Any]:
        return {
            "scenarios": [
                {"api": api.slug, "operation": op.id, "name": name, "description": scenario.description}
                for api in apis
                for op in api.operations
                for name, scenario in op.rules.scenarios.items()
            ]
        }

    def resolve(body: Mapping[str, Any]) -> tuple[Target | None, Response | None]:
        target = resolve_target(apis, body)
        if isinstance(target, str):
            return None, render(render_problem("bad-request", target))
        return target, None

    async def pin_scenario(body: dict[str, Any]) -> Any:
        target, problem = resolve(body)
        if target is None:
            return problem
        op, scenario = target.op, str(body["scenario"])
        if scenario not in op.rules.scenarios:
            offered = ", ".join(op.rules.scenarios) or "(none)"
            hint = did_you_mean(scenario, op.rules.scenarios)
            return render(
                render_problem("bad-request", f"no scenario {scenario!r}: {op.id} offers {offered}{hint}")
            )
        state.pin(target.key, scenario)
        return {"key": names(target.key), "scenario": scenario}

    async def advance_clock(body: dict[str, Any]) -> Any:
        seconds = float(body["seconds"])
        if "api" not in body:
            clock.advance(seconds)
            return {"now": format_time(clock.now(), "rfc3339")}  # the whole clock: no key
        target, problem = resolve(body)
        if target is None:
            return problem
        state.advance(target.key, seconds)
        return {
            "now": format_time(clock.now() + state.offset(target.key), "rfc3339"),
            "key": names(target.key),
        }

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
