"""Request values by location, named as the `x-` vocabulary names them: `path.id`, `query.limit`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["LOCATIONS", "MutableValues", "RequestValues", "request_value", "values_from"]

LOCATIONS = ("path", "query", "header")

RequestValues = Mapping[str, Mapping[str, Any]]
"""Typed request values by location: {"path": {...}, "query": {...}, "header": {...}}."""

MutableValues = dict[str, dict[str, Any]]
"""The same, while they are being filled in."""


def request_value(values: RequestValues, ref: str) -> Any:
    """The value a reference (`path.id`) names, or None when the request has none."""
    location, _, name = ref.partition(".")
    return (values.get(location) or {}).get(name)


def values_from(pairs: Iterable[tuple[str, Any]]) -> MutableValues:
    """Request values from (reference, value) pairs."""
    values: MutableValues = {location: {} for location in LOCATIONS}
    for ref, value in pairs:
        location, _, name = ref.partition(".")
        values.setdefault(location, {})[name] = value
    return values
