"""The `/__mock/` control API: handlers for admin.yaml, over the server's bounded state."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.responses import Response

from mockserver.exceptions import StateUnavailable, did_you_mean
from mockserver.pipeline.pins import CURRENT_SESSION, SessionClock
from mockserver.produce.generate import format_time
from mockserver.render.errors import render_problem
from mockserver.server.keys import KeyNames
from mockserver.server.middleware import render_reply as render
from mockserver.server.targets import Target, resolve_target
from mockserver.spec.catalog import Api
from mockserver.store import Store

__all__ = ["ADMIN_SPEC", "admin_handlers"]

ADMIN_SPEC = Path(__file__).with_name("admin.yaml")


def admin_handlers(
    apis: Sequence[Api], clock: SessionClock, store: Store
) -> Mapping[str, Callable[..., Any]]:
    """operationId -> handler, each bound to the server's APIs, clock and store; each acts on the
    request's session only."""
    names = KeyNames(apis)

    async def health_body(session: str) -> dict[str, Any]:
        return {
            "status": "ok",
            "apis": [api.slug for api in apis],
            "now": format_time(clock.base_now() + await store.offset(session), "rfc3339"),
            "state": await store.sizes(session),
            # Which process answered: with --workers N, each worker is its own process.
            "worker": {"pid": os.getpid()},
        }

    async def health() -> dict[str, Any]:
        return await health_body(CURRENT_SESSION.get())

    async def reset() -> dict[str, Any]:
        session = CURRENT_SESSION.get()
        await store.reset(session)
        return await health_body(session)

    async def journal(limit: int = 100, path: str | None = None, status: int | None = None) -> dict[str, Any]:
        await store.flush()
        entries = await store.journal(CURRENT_SESSION.get(), limit=limit, path=path, status=status)
        return {"entries": [e.as_dict(names) for e in entries]}

    async def polls() -> dict[str, Any]:
        await store.flush()
        return {"polls": await store.poll_report(CURRENT_SESSION.get(), names)}

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
        await store.pin(CURRENT_SESSION.get(), target.key, scenario)
        return {"key": names(target.key), "scenario": scenario}

    async def advance_clock(body: dict[str, Any]) -> Any:
        seconds = float(body["seconds"])
        session = CURRENT_SESSION.get()
        if "api" not in body:
            offset = await store.advance(session, seconds)
            return {"now": format_time(clock.base_now() + offset, "rfc3339")}  # the whole clock: no key
        target, problem = resolve(body)
        if target is None:
            return problem
        offset = await store.advance(session, seconds, target.key)
        return {"now": format_time(clock.base_now() + offset, "rfc3339"), "key": names(target.key)}

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
        try:
            result = await handler(**kwargs)
        except StateUnavailable as exc:
            return render(render_problem("state-unavailable", str(exc)))
        if isinstance(result, Response):
            return result
        return Response(orjson.dumps(result), media_type="application/json")

    return wrapper
