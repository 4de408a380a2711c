"""The value every producing step receives: what one body answers, instead of long argument lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from mockserver.produce.scenarios import Forced
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.values import RequestValues, request_value

__all__ = ["Ask", "item_key", "resource_key"]


def resource_key(api: Api, op: Operation, values: RequestValues) -> str:
    """The id of what a request asks for, as scenarios, clock offsets and the journal name it."""
    key = tuple(request_value(values, ref) for ref in op.rules.key)
    return f"{api.slug}:{op.rules.resource}:{key!r}"


def item_key(api: Api, op: Operation, value: Any) -> str:
    """The id of one listed item (`each` value) of a list operation."""
    return f"{api.slug}:{op.rules.resource}:{(value,)!r}"


@dataclass(frozen=True)
class Ask:
    """One body to produce: the operation, the request's typed values, the response schema, the
    resource's key and generation parts, the moment it is seen at, and a scenario's turn."""

    api: Api
    op: Operation
    values: RequestValues
    schema: Mapping[str, Any]
    key: str
    parts: tuple[Any, ...]
    now: float
    forced: Forced | None = None

    @classmethod
    def of(
        cls,
        api: Api,
        op: Operation,
        values: RequestValues,
        schema: Mapping[str, Any],
        *,
        seed: int,
        now: Callable[[str], float],
        forced: Forced | None = None,
    ) -> Ask:
        """The ask of a request; what a generated resource derives from is the seed, its API,
        resource name and key; `now(key)` is the mock time that id sees."""
        key = repr(tuple(request_value(values, ref) for ref in op.rules.key))
        parts = (seed, api.slug, op.rules.resource, key)
        resource = f"{api.slug}:{op.rules.resource}:{key}"
        return cls(api, op, values, schema, resource, parts, now(resource), forced)

    def but(self, **changes: Any) -> Ask:
        """A copy with some fields changed."""
        return replace(self, **changes)
