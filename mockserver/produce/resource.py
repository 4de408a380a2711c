"""One generated resource: its body from the schema, its lifecycle from the clock or a scenario."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from mockserver.produce.cache import Cache
from mockserver.produce.generate import Generator, rng_for
from mockserver.produce.lifecycle import (
    Clock,
    Schedule,
    Timeline,
    apply_timeline,
    schedule,
    timeline_from,
    timeline_window,
)
from mockserver.produce.scenarios import Forced, child_timeline, timeline_of
from mockserver.spec.pointers import pointer_get, pointer_set, subschema
from mockserver.spec.rules import Lifecycle, lifecycle_from
from mockserver.spec.schemas import schema_validator
from mockserver.spec.values import RequestValues, request_value

__all__ = ["Resources", "copy_json", "echoes"]


def copy_json(document: Any) -> Any:
    """A deep copy of JSON data (bodies hold only JSON types; orjson is ~7x faster than deepcopy)."""
    return orjson.loads(orjson.dumps(document))


class Resources:
    """Makes resources deterministically from (seed parts, schema, clock), cached per process."""

    def __init__(self, clock: Clock, cache: Cache, generator: Generator | None = None) -> None:
        self.clock = clock
        self.cache = cache
        self.generator = generator or Generator()
        self._lifecycles: dict[int, Lifecycle | None] = {}
        self._validators: dict[int, Any] = {}

    def lifecycle(self, schema: Mapping[str, Any]) -> Lifecycle | None:
        """The schema's `x-mock-lifecycle`, parsed once."""
        key = id(schema)
        if key not in self._lifecycles:
            raw = schema.get("x-mock-lifecycle")
            self._lifecycles[key] = lifecycle_from(raw) if raw else None
        return self._lifecycles[key]

    def story(self, lifecycle: Lifecycle, parts: tuple[Any, ...], created: float | None) -> Schedule:
        """The whole story of the resource made from `parts`, drawn once from its seed."""
        rng = rng_for(*parts, "timeline")
        if created is None:
            created = self.clock.origin - rng.uniform(*lifecycle.started_ago)
        return schedule(lifecycle, rng, created)

    def make(
        self,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        now: float,
        created: float | None = None,
        *,
        base: Any = None,
        story: Schedule | None = None,
        timeline: Timeline | None = None,
    ) -> Any:
        """One generated resource; its lifecycle follows the clock (or a scenario's `timeline`)."""
        lifecycle = self.lifecycle(schema)
        if base is None:

            def make() -> tuple[Any, Schedule | None]:
                body = self.generator.generate(schema, rng_for(*parts), now=self.clock.origin)
                return body, (self.story(lifecycle, parts, created) if lifecycle is not None else None)

            base, story = self.cache.get(("base", *parts), make)
        body = copy_json(base)
        if lifecycle is not None and isinstance(body, dict):
            if timeline is None:
                timeline = timeline_from(lifecycle, story or self.story(lifecycle, parts, created), now)
            apply_timeline(body, schema, lifecycle, timeline, now)
        return body

    def timeline(self, lifecycle: Lifecycle, parts: tuple[Any, ...], created: float, now: float) -> Timeline:
        """Where the resource made from `parts` stands at `now`; kept until its next transition."""
        timeline: Timeline = self.cache.while_valid(
            ("timeline", *parts, created),
            now,
            lambda: timeline_window(lifecycle, self.story(lifecycle, parts, created), now),
        )
        return timeline

    def forced_timeline(
        self, schema: Mapping[str, Any], forced: Forced | None, child: int | None = None
    ) -> Timeline | None:
        """The timeline a scenario's turn gives the resource (or its child number `child`)."""
        lifecycle = self.lifecycle(schema)
        if forced is None or lifecycle is None:
            return None
        if child is None:
            return timeline_of(lifecycle, forced.scenario, forced.run, forced.turn)
        return child_timeline(lifecycle, forced.scenario, forced.run, forced.turn, child)

    def echo(
        self, item: Any, schema: Mapping[str, Any], echo: Mapping[str, str], values: RequestValues, each: Any
    ) -> bool:
        """Copy request ids into the body; False when one cannot fit: no such resource can exist."""
        if not isinstance(item, dict):
            return True
        for pointer, ref in echo.items():
            value = each if ref == "$each" else request_value(values, ref)
            if value is None:  # an optional parameter left out echoes nothing
                continue
            if not self.fits(subschema(schema, pointer), value):
                return False
            pointer_set(item, pointer, value)
        return True

    def fits(self, schema: Mapping[str, Any], value: Any) -> bool:
        """Whether `value` is valid against `schema` (verdicts on scalars are cached)."""
        validator = self._validators.get(id(schema))
        if validator is None:  # looked up by identity: specs' schemas live as long as the process
            validator = self._validators[id(schema)] = schema_validator(schema)
        if not isinstance(value, str | int | float | bool):
            return bool(validator.is_valid(value))
        return bool(
            self.cache.get(
                ("fits", id(validator), type(value), value), lambda: validator.is_valid(value), derived=True
            )
        )


def echoes(body: Any, echo: Mapping[str, str], values: RequestValues) -> bool:
    """Whether a fixture body already carries the ids the request asks for."""
    for pointer, ref in echo.items():
        wanted = request_value(values, ref)
        if wanted is not None and str(pointer_get(body, pointer)) != str(wanted):
            return False
    return True
