"""The `schema-bounds` rule: a schema's lower and upper bounds leave at least one value."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.lint.findings import Finding
from mockserver.spec.pointers import pointer_escape

__all__ = ["check_bounds"]

# (lower, upper, what they count): a pair of non-negative integer keywords.
_COUNTS = (
    ("minLength", "maxLength", "characters"),
    ("minItems", "maxItems", "items"),
    ("minProperties", "maxProperties", "properties"),
)
# Values that are data, not schemas: a `minimum` key inside them is nobody's bound.
_DATA = frozenset({"example", "examples", "default", "enum"})


def _schemas(node: Any, pointer: str = "", names: bool = False) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(pointer, mapping) for every mapping of the document outside examples, enums and `x-` values;
    `names` marks a `properties` map, whose keys are property names (`default` is a name there)."""
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            name = str(key)
            if names or (name not in _DATA and not name.startswith("x-")):
                at = f"{pointer}/{pointer_escape(name)}"
                yield from _schemas(value, at, names=not names and name == "properties")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{pointer}/{index}")


def _number(value: Any) -> int | float | None:
    """A finite bound (YAML gives int or float; a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _whole(value: int | float) -> bool:
    return isinstance(value, int) or value.is_integer()


def _range_problem(schema: Mapping[str, Any]) -> str | None:
    """Why `minimum`/`maximum` (with their exclusive flags and an integer type) allow no value."""
    low, high = _number(schema.get("minimum")), _number(schema.get("maximum"))
    if low is None or high is None:
        return None
    open_low, open_high = schema.get("exclusiveMinimum") is True, schema.get("exclusiveMaximum") is True
    given = f"minimum {schema['minimum']}{' (exclusive)' if open_low else ''}"
    given += f", maximum {schema['maximum']}{' (exclusive)' if open_high else ''}"
    if low > high:
        return f"{given}: no value is allowed; expected minimum <= maximum"
    if low == high and (open_low or open_high):
        return f"{given}: the exclusive bound leaves no value; expected minimum < maximum"
    if schema.get("type") == "integer":
        first = math.floor(low) + 1 if open_low and _whole(low) else math.ceil(low)
        last = math.ceil(high) - 1 if open_high and _whole(high) else math.floor(high)
        if first > last:
            return f"{given}: no integer is allowed; expected an integer between them"
    return None


def _count_problems(schema: Mapping[str, Any]) -> Iterator[str]:
    for lower, upper, what in _COUNTS:
        low, high = _number(schema.get(lower)), _number(schema.get(upper))
        if low is not None and high is not None and low > high:
            yield (
                f"{lower} {schema[lower]}, {upper} {schema[upper]}: no value is allowed"
                f" (at least {schema[lower]} and at most {schema[upper]} {what}); expected {lower} <= {upper}"
            )


def check_bounds(file: str, document: Mapping[str, Any]) -> list[Finding]:
    """A finding for every schema whose bounds allow no value (the mock could never make one)."""
    out = []
    for pointer, node in _schemas(document):
        problems = [p for p in (_range_problem(node), *_count_problems(node)) if p is not None]
        out += [Finding(file, pointer or "/", "schema-bounds", problem) for problem in problems]
    return out
