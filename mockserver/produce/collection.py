"""List answers (`x-mock.collection`): members generated once, filtered, ordered, paged as asked."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from mockserver.produce.ask import Ask, item_key
from mockserver.produce.generate import format_time, rng_for
from mockserver.produce.lifecycle import Schedule, Timeline, sort_key, timeline_window
from mockserver.produce.resource import Resources, copy_json
from mockserver.produce.scenarios import Turns
from mockserver.spec.pointers import item_schema, pointer_get, pointer_set, subschema
from mockserver.spec.rules import Collection, Lifecycle
from mockserver.spec.values import RequestValues, request_value

__all__ = ["Collections", "select_items"]

Member = tuple[tuple[Any, ...], float, Any, Schedule | None]
"""One generated member: its generation parts, creation time, base body and story."""
View = tuple[Member, Timeline | None]
Rollup = Callable[[Any], str | None]
"""A listed id -> its state as its detail operation shows it (None: the detail does not decide)."""


def select_items(
    rules: Collection,
    items: list[Any],
    values: RequestValues,
    get: Callable[[Any, str], Any] = pointer_get,
) -> list[Any]:
    """Apply a list's filters, documented order and pagination to its items (`get` reads a field)."""
    for rule in rules.filters:
        wanted = request_value(values, rule.param)
        if wanted is None and rule.absent == "max" and items:
            present = [v for v in (get(i, rule.field) for i in items) if v is not None]
            wanted = max(present) if present else None
        if wanted is None:
            continue
        target = sort_key(wanted)
        field = rule.field
        if rule.op == "eq":
            items = [i for i in items if sort_key(get(i, field)) == target]
        elif rule.op == "ge":
            items = [i for i in items if (v := sort_key(get(i, field))) is not None and v >= target]
        else:
            items = [i for i in items if (v := sort_key(get(i, field))) is not None and v <= target]
    if rules.order_by is not None:
        by = rules.order_by

        def order(item: Any) -> tuple[bool, Any]:
            value = sort_key(get(item, by))
            return (value is not None, value) if rules.descending else (value is None, value)

        items = sorted(items, key=order, reverse=rules.descending)
    offset = int(request_value(values, rules.offset) or 0) if rules.offset else 0
    limit = request_value(values, rules.limit) if rules.limit else None
    return items[offset : offset + int(limit)] if limit is not None else items[offset:]


@lru_cache(maxsize=65536)
def _shown(moment: float, unit: str) -> Any:
    """A time as the body shows it (to the millisecond, or the second), so a filter on the value a
    client read back includes the item that showed it."""
    return sort_key(format_time(moment, unit))


def _time_fields(lifecycle: Lifecycle | None) -> list[str]:
    if lifecycle is None:
        return []
    fields = (lifecycle.created, lifecycle.start, lifecycle.end, lifecycle.updated)
    return [f for f in fields if f is not None]


def list_schema(rules: Collection, schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema of one listed item."""
    return item_schema(schema, rules.at)


class Collections:
    """Makes the list a request selects: named ids (`each`), or generated members."""

    def __init__(self, resources: Resources, turns: Turns) -> None:
        self.resources = resources
        self.turns = turns

    def items(self, rules: Collection, ask: Ask, rollup: Rollup) -> list[Any] | None:
        """The list the request selects, or None when its ids cannot exist."""
        schema = list_schema(rules, ask.schema)
        if rules.each is not None:
            return self._each(rules, ask, schema, rollup)
        return self._generated(rules, ask, schema)

    def _each(
        self, rules: Collection, ask: Ask, schema: Mapping[str, Any], rollup: Rollup
    ) -> list[Any] | None:
        """One item per id the request names, each on its own clock (or its own scenario)."""
        wanted = request_value(ask.values, rules.each or "") or []
        wanted = wanted if isinstance(wanted, list) else [wanted]
        lifecycle = self.resources.lifecycle(schema)
        items = []
        for value in wanted:
            key = item_key(ask.api, ask.op, value)
            forced = self.turns.pinned(ask.op, key) or ask.forced
            item = self.resources.make(
                schema,
                (*ask.parts[:3], repr(value)),
                ask.now + self.turns.pins.offset(key),
                timeline=self.resources.forced_timeline(schema, forced),
            )
            if not self.resources.echo(item, schema, rules.echo, ask.values, value):
                return None
            if rules.rollup is not None and lifecycle is not None and forced is None:
                state = rollup(value)
                if state is not None:
                    pointer_set(item, lifecycle.field, state)
            items.append(item)
        return items

    def _generated(self, rules: Collection, ask: Ask, schema: Mapping[str, Any]) -> list[Any] | None:
        """The generated members the request selects, as they stand at `ask.now`."""
        lifecycle = self.resources.lifecycle(schema)
        members: list[Member] = self.resources.cache.get(
            ("collection", *ask.parts), lambda: self._members(rules, schema, ask.parts, lifecycle)
        )
        echoed = tuple(request_value(ask.values, ref) for ref in rules.echo.values() if ref != "$each")
        if members and not self.resources.cache.get(
            ("collection-echo", *ask.parts, echoed),
            lambda: self.resources.echo(copy_json(members[0][2]), schema, rules.echo, ask.values, None),
            derived=True,
        ):
            return None
        views = self._views(ask.parts, members, lifecycle, ask.now)
        units = {p: subschema(schema, p).get("x-time", "rfc3339") for p in _time_fields(lifecycle)}

        def read(view: View, pointer: str) -> Any:
            (_, _, body, _), timeline = view
            if lifecycle is not None and timeline is not None:
                if pointer == lifecycle.field:
                    return timeline.state
                for field, moment in (
                    (lifecycle.created, timeline.created),
                    (lifecycle.start, timeline.started),
                    (lifecycle.end, timeline.ended),
                    (lifecycle.updated, timeline.updated),
                ):
                    if pointer == field:
                        return None if moment is None else _shown(moment, units.get(pointer, "rfc3339"))
            return pointer_get(body, pointer)

        if ask.forced is not None and lifecycle is not None:
            views = self._force_newest(rules, ask, schema, lifecycle, views, read)
        selected = select_items(rules, views, ask.values, read)
        return [self._member(schema, rules, ask, echoed, member, timeline) for member, timeline in selected]

    def _force_newest(
        self,
        rules: Collection,
        ask: Ask,
        schema: Mapping[str, Any],
        lifecycle: Lifecycle,
        views: list[View],
        read: Callable[[View, str], Any],
    ) -> list[View]:
        """A scenario tells the story of the newest item the request can see. Filters on the state
        and its times then judge the state the scenario gives that item, as they would on a real
        server; the others (and the order) pick which item it is."""
        moving = {lifecycle.field, lifecycle.created, lifecycle.start, lifecycle.end, lifecycle.updated}
        fixed = tuple(f for f in rules.filters if f.field not in moving)
        candidates = select_items(
            dataclasses.replace(rules, filters=fixed, limit=None, offset=None), views, ask.values, read
        )
        if not candidates:
            return views
        position = next(i for i, view in enumerate(views) if view is candidates[0])
        views = list(views)
        views[position] = (candidates[0][0], self.resources.forced_timeline(schema, ask.forced))
        return views

    def _members(
        self,
        rules: Collection,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        lifecycle: Lifecycle | None,
    ) -> list[Member]:
        """One cache entry for the whole collection: its members' bodies and stories."""
        origin = self.resources.clock.origin
        rng = rng_for(*parts, "collection")
        members = []
        for index in range(rng.randint(*rules.size)):
            created = origin - rng.uniform(0, rules.window)
            item_parts = (*parts, index)
            body = self.resources.generator.generate(schema, rng_for(*item_parts), now=origin)
            story = self.resources.story(lifecycle, item_parts, created) if lifecycle is not None else None
            members.append((item_parts, created, body, story))
        return members

    def _views(
        self, parts: tuple[Any, ...], members: list[Member], lifecycle: Lifecycle | None, now: float
    ) -> list[View]:
        """Each member with where it stands at `now`.

        Timelines only change when a member changes state, so the views are kept until the
        earliest next transition of any member (or the clock moves back before the latest one).
        """

        def make() -> tuple[list[View], float, float]:
            views: list[View] = []
            since, until = float("-inf"), float("inf")
            for member in members:
                timeline = None
                if lifecycle is not None and member[3]:
                    timeline, begins, ends = timeline_window(lifecycle, member[3], now)
                    since, until = max(since, begins), min(until, ends)
                views.append((member, timeline))
            return views, since, until

        views: list[View] = self.resources.cache.while_valid(("views", *parts), now, make)
        return views

    def _member(
        self,
        schema: Mapping[str, Any],
        rules: Collection,
        ask: Ask,
        echoed: tuple[Any, ...],
        member: Member,
        timeline: Timeline | None,
    ) -> Any:
        """One list member as shown at `timeline`; built once per state and shared by the pages
        that show it (a member is never changed after it is built)."""
        item_parts, created, body, story = member

        def make() -> Any:
            item = self.resources.make(
                schema, item_parts, ask.now, created, base=body, story=story, timeline=timeline
            )
            self.resources.echo(item, schema, rules.echo, ask.values, None)
            return item

        return self.resources.cache.get(("member", *item_parts, timeline, echoed), make, derived=True)
