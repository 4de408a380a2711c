"""A resource's lifecycle as a response shows it: where lifecycles sit, state and times, and their rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockserver.produce.lifecycle import sort_key
from mockserver.spec.catalog import Operation
from mockserver.spec.pointers import pointer_escape, pointer_get, subschema
from mockserver.spec.rules import Lifecycle, lifecycle_from

__all__ = ["check_resource", "find_lifecycles", "lifecycle_view", "resources_at"]


def _timestamp(value: Any, unit: str) -> float | None:
    if value is None or value == 0:
        return None
    if unit == "epoch-s" and isinstance(value, int | float):
        return float(value)
    if unit == "epoch-ms" and isinstance(value, int | float):
        return value / 1000
    parsed = sort_key(value) if isinstance(value, str) else None
    return parsed if isinstance(parsed, float) else None


def find_lifecycles(
    schema: Mapping[str, Any], pointer: str = ""
) -> list[tuple[str, Mapping[str, Any], Lifecycle]]:
    """(pointer to the resource or list, its schema, its lifecycle) for the body and list items."""
    found = []
    if raw := schema.get("x-mock-lifecycle"):
        found.append((pointer, schema, lifecycle_from(raw)))
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        found += [(f"{p}/*", s, lc) for p, s, lc in find_lifecycles(schema["items"], pointer)]
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict) and (sub.get("type") == "array" or "x-mock-lifecycle" in sub):
            found += find_lifecycles(sub, f"{pointer}/{name}")
    return found


def resources_at(body: Any, pointer: str) -> list[Any]:
    """The resources a lifecycle pointer names: `/a/*` is every item of the array at `/a`."""
    if pointer.endswith("/*"):
        items = body if pointer == "/*" else pointer_get(body, pointer[:-2])
        return [i for i in items or [] if isinstance(i, dict)] if isinstance(items, list) else []
    resource = body if pointer == "" else pointer_get(body, pointer)
    return [resource] if isinstance(resource, dict) else []


def lifecycle_view(
    resource: Mapping[str, Any], schema: Mapping[str, Any], lifecycle: Lifecycle
) -> dict[str, Any]:
    """State, times (epoch seconds or None) and whether the state is terminal, read from a resource."""
    state = pointer_get(resource, lifecycle.field)
    times = {}
    for key in ("created", "start", "end"):
        pointer = getattr(lifecycle, key)
        if pointer is not None:
            unit = subschema(schema, pointer).get("x-time", "rfc3339")
            times[key] = _timestamp(pointer_get(resource, pointer), unit)
    known = state in lifecycle.states
    return {"state": state, "known": known, "terminal": known and lifecycle.states[state].terminal, **times}


def _is_unset(resource: Mapping[str, Any], lifecycle: Lifecycle, pointer: str) -> bool:
    value = pointer_get(resource, pointer)
    return value is None or (pointer in lifecycle.unset and value == lifecycle.unset[pointer])


def check_resource(
    op: Operation,
    resource: Mapping[str, Any],
    schema: Mapping[str, Any],
    lifecycle: Lifecycle,
    fail: Callable[..., None],
    where: str,
) -> None:
    """Fields a state hides or requires, and time order; `where` is the lifecycle's pointer."""
    view = lifecycle_view(resource, schema, lifecycle)
    if view["known"]:
        state = view["state"]
        # Only what the spec declares: `when` and `terminalOnly` fields (the end time itself may
        # be set early where the vendor's own samples do so, e.g. Oracle's Queued step).
        hidden = {p for p, states in lifecycle.when.items() if state not in states}
        if not view["terminal"]:
            hidden |= set(lifecycle.terminal_only)
        for pointer in sorted(hidden):
            if not _is_unset(resource, lifecycle, pointer):
                rule = f"/when/{pointer_escape(pointer)}" if pointer in lifecycle.when else "/terminalOnly"
                fail(
                    "status_fields",
                    op,
                    f"{pointer} is set while {state}",
                    "unset",
                    pointer_get(resource, pointer),
                    (where + rule,),
                )
        end = lifecycle.end
        if view["terminal"] and end and end not in hidden and _is_unset(resource, lifecycle, end):
            fail(
                "status_fields",
                op,
                f"{end} is unset although {state} is terminal",
                "a time",
                pointer_get(resource, end),
                (f"{where}/states/{pointer_escape(str(view['state']))}", f"{where}/times/end"),
            )
    created, start, end_time = view.get("created"), view.get("start"), view.get("end")
    if start is not None and end_time is not None and end_time < start:
        fail("time_order", op, "ends before it starts", f"end >= {start}", end_time, (f"{where}/times",))
    if created is not None and start is not None and start < created:
        title = "starts before it was created"
        fail("time_order", op, title, f"start >= {created}", start, (f"{where}/times/created",))
