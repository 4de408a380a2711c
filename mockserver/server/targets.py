"""The id a control-API call names (`api`, `operation`, `params`), checked as a request would be.

`params` are read by the same parameter reader that checks every request (`pipeline.parameters`),
so a pin or clock advance keys exactly the requests it means, and a wrong name or type is refused
with the API's own parameter names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mockserver.exceptions import did_you_mean
from mockserver.pipeline.parameters import InvalidParameter, RequestParameters, parameter_specs
from mockserver.produce.ask import item_key, resource_key
from mockserver.spec.catalog import Api, Operation

__all__ = ["Target", "resolve_target"]


@dataclass(frozen=True)
class Target:
    """What a control-API call names: the API, the operation and the key of one id."""

    api: Api
    op: Operation
    key: str


def resolve_target(apis: Sequence[Api], body: Mapping[str, Any]) -> Target | str:
    """The target of `body`, or why it names none (one line, with the valid names)."""
    slug = str(body.get("api"))
    api = next((a for a in apis if a.slug == slug), None)
    if api is None:
        names = [a.slug for a in apis]
        return f"api {slug!r} is not served{did_you_mean(slug, names)} (expected one of {', '.join(names)})"
    name = str(body.get("operation"))
    op = next((o for o in api.operations if o.id == name), None)
    if op is None:
        names = [o.id for o in api.operations]
        return (
            f"{api.slug} has no operation {name!r}{did_you_mean(name, names)}"
            f" (expected one of {', '.join(names)})"
        )
    params = body.get("params") or {}
    if not isinstance(params, Mapping):
        return f"params must be an object of {op.id}'s parameters"
    declared = [p.name for p in op.parameters]
    for given in params:
        if given not in declared:
            return (
                f"{op.id} has no parameter {given!r}{did_you_mean(str(given), declared)}"
                f" (its parameters: {', '.join(declared) or 'none'})"
            )
    listing = op.rules.collection
    each = listing.each if listing is not None else None
    try:
        values = _reader(op, each).read(_scope(op, params))
    except InvalidParameter as exc:
        return f"params: {exc.detail}"
    if each is not None:
        location, _, param = each.partition(".")
        value = values[location].get(param)
        return Target(api, op, item_key(api, op, value[0] if isinstance(value, list) else value))
    return Target(api, op, resource_key(api, op, values))


def _reader(op: Operation, each: str | None) -> RequestParameters:
    """The operation's parameters; the path ones and a list's `each` are required to name an id."""
    specs = parameter_specs(op)
    for spec in specs:
        spec["required"] = spec["in"] == "path" or f"{spec['in']}.{spec['name']}" == each
    return RequestParameters.of(specs)


def _scope(op: Operation, params: Mapping[str, Any]) -> dict[str, Any]:
    """An ASGI scope carrying `params` as a request would send them."""
    path: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: list[tuple[bytes, bytes]] = []
    for param in op.parameters:
        if param.name not in params:
            continue
        value = params[param.name]
        items = [_text(v) for v in value] if isinstance(value, list) else [_text(value)]
        if param.location == "query" and param.explode:
            query += [(param.name, item) for item in items]
        elif param.location == "query":
            query.append((param.name, ",".join(items)))
        elif param.location == "path":
            path[param.name] = ",".join(items)
        elif param.location == "header":
            value_bytes = ",".join(items).encode("latin-1", errors="replace")
            headers.append((param.name.lower().encode("latin-1", errors="replace"), value_bytes))
    return {"path_params": path, "query_string": urlencode(query).encode(), "headers": headers}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)
