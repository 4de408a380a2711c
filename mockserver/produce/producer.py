"""Build the body of a response: Prefer choice, fixture, or generated data coherent with the request."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from openapi_schema_validator import OAS30Validator

from mockserver.pipeline.prefer import Prefer, PreferError
from mockserver.pipeline.state import MockState, ScenarioRun
from mockserver.produce.fixtures import Fixture, FixtureSet, response_schema
from mockserver.produce.generate import Generator, rng_for
from mockserver.produce.lifecycle import (
    Clock,
    Schedule,
    Timeline,
    apply_timeline,
    pointer_get,
    pointer_set,
    schedule,
    sort_key,
    subschema,
    timeline_from,
    timeline_window,
)
from mockserver.produce.scenarios import Turn, child_timeline, take_turn, timeline_of
from mockserver.render.errors import render_error
from mockserver.render.reply import Reply
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.extensions import Collection, Lifecycle, Rollup, Scenario, Tree, lifecycle_from

__all__ = ["RequestValues", "Responder", "request_value", "select_items"]

RequestValues = Mapping[str, Mapping[str, Any]]
"""Typed request values by location: {"path": {...}, "query": {...}, "header": {...}}."""


def request_value(values: RequestValues, ref: str) -> Any:
    location, _, name = ref.partition(".")
    return (values.get(location) or {}).get(name)


def _item_schema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    items: Mapping[str, Any] = subschema(schema, pointer).get("items") or {}
    return items


def _copy(document: Any) -> Any:
    """A deep copy of JSON data (bodies hold only JSON types; orjson is ~7x faster than deepcopy)."""
    return orjson.loads(orjson.dumps(document))


class _ScenarioAnswer(Exception):
    """A scenario answers this poll with an error response; raised from deep inside a reply."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


@dataclass(frozen=True)
class _Forced:
    """A scenario's turn that decides the states of this reply."""

    scenario: Scenario
    run: ScenarioRun
    turn: Turn


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


@dataclass(frozen=True)
class _Options:
    seed: int
    fixtures_only: bool
    cache_size: int


class Responder:
    """Makes the success response of an operation; deterministic for a seed and a request."""

    def __init__(
        self,
        fixtures: FixtureSet,
        clock: Clock,
        *,
        seed: int = 0,
        fixtures_only: bool = False,
        cache_size: int = 2048,
        state: MockState | None = None,
    ) -> None:
        self.fixtures = fixtures
        self.clock = clock
        self.state = state or MockState()
        self.generator = Generator()
        self._options = _Options(seed, fixtures_only, cache_size)
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._derived: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lifecycles: dict[int, Lifecycle | None] = {}
        self._validators: dict[int, Any] = {}

    def respond(self, api: Api, op: Operation, values: RequestValues, prefer: Prefer) -> Reply:
        """The reply for a valid request.

        Raises:
            PreferError: the `Prefer` header asks for something the spec does not document.
        """
        success = next((s for s in op.responses if s.startswith("2")), "200")
        status = prefer.code or success
        if status not in op.responses:
            raise PreferError(f"code={status}: {op.id} documents {', '.join(op.responses)}")
        if prefer.example:
            return self._example(op, status, prefer.example)
        if status != success:
            reply = render_error(op, "", f"Prefer: code={status}", self.generator, status=status)
            assert reply is not None
            return reply
        fixture = None
        if not prefer.dynamic:
            fixture = self.fixtures.find(
                api.slug,
                op.id,
                values,
                lambda f: (
                    f.status >= 300 or f.scenario is not None or self._echoes(f.body, op.rules.echo, values)
                ),
            )
        key = self.resource_key(api, op, values)
        try:
            forced = self._turn(op, key, fixture, answer=op)
        except _ScenarioAnswer as answer:
            return answer.reply
        if fixture is not None and forced is None:
            return self._fixture_reply(op, fixture, values)
        if fixture is None and forced is None and self._options.fixtures_only:
            reply = render_error(op, "notFound", "No such resource", self.generator)
            if reply is not None:
                return reply
        schema = response_schema(op, status) or {}
        try:
            body = self._generate(api, op, schema, values, key, forced)
        except _ScenarioAnswer as answer:
            return answer.reply
        if body is None:
            reply = render_error(op, "notFound", "No such resource", self.generator)
            if reply is not None:
                return reply
        return Reply(int(status), body, observed=tuple(self._observe(api, op, schema, body, key)))

    def resource_key(self, api: Api, op: Operation, values: RequestValues) -> str:
        """The id of what a request asks for, as scenarios, clock offsets and the journal name it."""
        key = tuple(request_value(values, ref) for ref in op.rules.key)
        return f"{api.slug}:{op.rules.resource}:{key!r}"

    def item_key(self, api: Api, op: Operation, value: Any) -> str:
        return f"{api.slug}:{op.rules.resource}:{(value,)!r}"

    def _now(self, key: str) -> float:
        return self.clock.now() + self.state.offset(key)

    def _scenario_error(self, op: Operation, key: str, name: str, poll: int, turn: Turn) -> Reply:
        status = turn.step.status
        assert status is not None
        reply = render_error(
            op, "", f"scenario {name}: poll {poll} answers {status}", self.generator, status=status
        )
        if reply is None:  # lint keeps scenario statuses documented; stay safe
            return Reply(int(status), None)
        headers = dict(reply.headers)
        if turn.step.retry_after is not None:
            headers["Retry-After"] = f"{turn.step.retry_after:g}"
        return Reply(reply.status, reply.body, headers, reply.media_type, observed=((key, None, None),))

    def _fixture_reply(self, op: Operation, fixture: Fixture, values: RequestValues) -> Reply:
        listing = op.rules.collection
        if listing is None or listing.each is not None or fixture.status >= 300:
            return Reply(fixture.status, fixture.body, fixture.headers)  # served as stored, never changed

        def select() -> Any:
            # A fixture gives the collection; the list's own rules still apply to it.
            body = _copy(fixture.body)
            items = body if listing.at == "" else pointer_get(body, listing.at)
            selected = select_items(listing, list(items or []), values)
            if not isinstance(body, dict):
                return selected
            pointer_set(body, listing.at, selected)
            return body

        body = self._cached(("fixture", id(fixture), repr(values)), select, derived=True)
        return Reply(fixture.status, body, fixture.headers)

    def _observe(
        self, api: Api, op: Operation, schema: Mapping[str, Any], body: Any, key: str
    ) -> list[tuple[str, str | None, bool | None]]:
        """The executions a body shows, with their states (for the poll report)."""
        out: list[tuple[str, str | None, bool | None]] = []
        lifecycle = self._lifecycle(schema)
        if lifecycle is not None and isinstance(body, dict):
            state = pointer_get(body, lifecycle.field)
            known = lifecycle.states.get(str(state))
            out.append((key, state, known.terminal if known else None))
        listing = op.rules.collection
        if listing is not None and listing.each is not None and isinstance(body, dict | list):
            item_schema = schema.get("items") if listing.at == "" else _item_schema(schema, listing.at)
            item_lifecycle = self._lifecycle(item_schema or {})
            pointer = next((p for p, ref in listing.echo.items() if ref == "$each"), None)
            items = body if listing.at == "" else pointer_get(body, listing.at)
            for item in items or []:
                if item_lifecycle is not None and pointer is not None and isinstance(item, dict):
                    state = pointer_get(item, item_lifecycle.field)
                    known = item_lifecycle.states.get(str(state))
                    item_key = self.item_key(api, op, pointer_get(item, pointer))
                    out.append((item_key, state, known.terminal if known else None))
        return out

    def _example(self, op: Operation, status: str, name: str) -> Reply:
        for content in (op.responses[status].get("content") or {}).values():
            examples = content.get("examples") or {}
            if name in examples:
                return Reply(int(status), _copy(examples[name].get("value")))
            raise PreferError(
                f"example={name!r}: {op.id} {status} has examples {', '.join(examples) or '(none)'}"
            )
        raise PreferError(f"example={name!r}: {op.id} {status} has no body")

    # -- generation ---------------------------------------------------------------------------

    def _lifecycle(self, schema: Mapping[str, Any]) -> Lifecycle | None:
        key = id(schema)
        if key not in self._lifecycles:
            raw = schema.get("x-mock-lifecycle")
            self._lifecycles[key] = lifecycle_from(raw) if raw else None
        return self._lifecycles[key]

    def _cached(self, key: tuple[Any, ...], make: Any, *, derived: bool = False) -> Any:
        """A value from the cache, made and stored on a miss.

        Generated resources (costly to make) and what is derived from them for one moment (views,
        list members as shown, cheap to remake) live in separate caches, so that a flood of the
        second never evicts the first."""
        cache = self._derived if derived else self._cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = make()
        self._store(key, value, derived=derived)
        return value

    def _store(self, key: tuple[Any, ...], value: Any, *, derived: bool = False) -> None:
        cache = self._derived if derived else self._cache
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > self._options.cache_size * (4 if derived else 1):
            cache.popitem(last=False)

    def _story(self, lifecycle: Lifecycle, parts: tuple[Any, ...], created: float | None) -> Schedule:
        rng = rng_for(*parts, "timeline")
        if created is None:
            created = self.clock.origin - rng.uniform(*lifecycle.started_ago)
        return schedule(lifecycle, rng, created)

    def _resource(
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
        lifecycle = self._lifecycle(schema)
        if base is None:

            def make() -> tuple[Any, Schedule | None]:
                body = self.generator.generate(schema, rng_for(*parts), now=self.clock.origin)
                return body, (self._story(lifecycle, parts, created) if lifecycle is not None else None)

            base, story = self._cached(("base", *parts), make)
        body = _copy(base)
        if lifecycle is not None and isinstance(body, dict):
            if timeline is None:
                timeline = timeline_from(lifecycle, story or self._story(lifecycle, parts, created), now)
            apply_timeline(body, schema, lifecycle, timeline)
        return body

    def _forced_timeline(
        self, schema: Mapping[str, Any], forced: _Forced | None, child: int | None = None
    ) -> Timeline | None:
        lifecycle = self._lifecycle(schema)
        if forced is None or lifecycle is None:
            return None
        if child is None:
            return timeline_of(lifecycle, forced.scenario, forced.run, forced.turn)
        return child_timeline(lifecycle, forced.scenario, forced.run, forced.turn, child)

    def _while_valid(self, key: tuple[Any, ...], now: float, make: Any) -> Any:
        """A value that holds over a span of time (`make()` -> value, since, until), kept in the
        derived cache for as long as `now` stays inside that span."""
        cached = self._derived.get(key)
        if cached is not None and cached[1] <= now < cached[2]:
            self._derived.move_to_end(key)
            return cached[0]
        value, since, until = make()
        self._store(key, (value, since, until), derived=True)
        return value

    def _timeline(self, lifecycle: Lifecycle, parts: tuple[Any, ...], created: float, now: float) -> Timeline:
        """Where the resource made from `parts` stands at `now`; kept until its next transition."""
        timeline: Timeline = self._while_valid(
            ("timeline", *parts, created),
            now,
            lambda: timeline_window(lifecycle, self._story(lifecycle, parts, created), now),
        )
        return timeline

    def _parts(self, api: Api, op: Operation, values: RequestValues) -> tuple[Any, ...]:
        """What a generated resource derives from: the seed, its API, resource name and key."""
        key = tuple(request_value(values, ref) for ref in op.rules.key)
        return (self._options.seed, api.slug, op.rules.resource, repr(key))

    def _generate(
        self,
        api: Api,
        op: Operation,
        schema: Mapping[str, Any],
        values: RequestValues,
        resource: str,
        forced: _Forced | None,
    ) -> Any:
        rules = op.rules
        parts = self._parts(api, op, values)
        now = self._now(resource)
        body = self._resource(schema, parts, now, timeline=self._forced_timeline(schema, forced))
        if rules.tree is not None:
            node = self._tree_node(rules.tree, schema, parts, values, now, forced)
            if node is None:
                return None
            pointer_set(body, rules.tree.children, node)
        if rules.collection is not None:
            items = self._collection(api, op, schema, parts, values, now, forced)
            if items is None:
                return None
            if isinstance(body, dict) and rules.collection.at:
                pointer_set(body, rules.collection.at, items)
            else:
                body = items
        return body if self._echo(body, schema, rules.echo, values, None) else None

    def _collection(
        self,
        api: Api,
        op: Operation,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        values: RequestValues,
        now: float,
        forced: _Forced | None,
    ) -> list[Any] | None:
        """The list the request selects, or None when its ids cannot exist."""
        rules = op.rules.collection
        assert rules is not None
        item_schema = schema.get("items") if rules.at == "" else _item_schema(schema, rules.at)
        item_schema = item_schema or {}
        if rules.each is not None:
            wanted = request_value(values, rules.each) or []
            wanted = wanted if isinstance(wanted, list) else [wanted]
            items = []
            item_lifecycle = self._lifecycle(item_schema)
            for value in wanted:
                item_key = self.item_key(api, op, value)
                item_forced = self._pinned_turn(op, item_key) or forced
                item = self._resource(
                    item_schema,
                    (*parts[:3], repr(value)),
                    now + self.state.offset(item_key),
                    timeline=self._forced_timeline(item_schema, item_forced),
                )
                if not self._echo(item, item_schema, rules.echo, values, value):
                    return None
                if rules.rollup is not None and item_lifecycle is not None and item_forced is None:
                    state = self._rollup(api, op, rules.rollup, value)
                    if state is not None:
                        pointer_set(item, item_lifecycle.field, state)
                items.append(item)
            return items

        lifecycle = self._lifecycle(item_schema)

        def make_all() -> list[tuple[tuple[Any, ...], float, Any, Schedule | None]]:
            # One cache entry for the whole collection: its members' bodies and stories.
            rng = rng_for(*parts, "collection")
            members = []
            for index in range(rng.randint(*rules.size)):
                created = self.clock.origin - rng.uniform(0, rules.window)
                item_parts = (*parts, index)
                body = self.generator.generate(item_schema, rng_for(*item_parts), now=self.clock.origin)
                story = self._story(lifecycle, item_parts, created) if lifecycle is not None else None
                members.append((item_parts, created, body, story))
            return members

        members = self._cached(("collection", *parts), make_all)
        echoed = tuple(request_value(values, ref) for ref in rules.echo.values() if ref != "$each")
        if members and not self._cached(
            ("collection-echo", *parts, echoed),
            lambda: self._echo(_copy(members[0][2]), item_schema, rules.echo, values, None),
            derived=True,
        ):
            return None
        views = self._views(parts, members, lifecycle, now)

        def read(view: Any, pointer: str) -> Any:
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
                        return moment
            return pointer_get(body, pointer)

        if forced is not None and lifecycle is not None:
            # A scenario tells the story of the newest item the request can see. Filters on the
            # state and its times then judge the state the scenario gives that item, as they
            # would on a real server; the others (and the order) pick which item it is.
            moving = {lifecycle.field, lifecycle.created, lifecycle.start, lifecycle.end, lifecycle.updated}
            fixed = tuple(f for f in rules.filters if f.field not in moving)
            candidates = select_items(
                dataclasses.replace(rules, filters=fixed, limit=None, offset=None), views, values, read
            )
            if candidates:
                position = next(i for i, view in enumerate(views) if view is candidates[0])
                views = list(views)
                views[position] = (candidates[0][0], self._forced_timeline(item_schema, forced))
        selected = select_items(rules, views, values, read)
        return [
            self._member(item_schema, rules, values, echoed, member, timeline, now)
            for member, timeline in selected
        ]

    def _views(
        self,
        parts: tuple[Any, ...],
        members: list[tuple[tuple[Any, ...], float, Any, Schedule | None]],
        lifecycle: Lifecycle | None,
        now: float,
    ) -> list[tuple[Any, Timeline | None]]:
        """Each member with where it stands at `now`.

        Timelines only change when a member changes state, so the views are kept until the
        earliest next transition of any member (or the clock moves back before the latest one).
        """

        def make() -> tuple[list[tuple[Any, Timeline | None]], float, float]:
            views: list[tuple[Any, Timeline | None]] = []
            since, until = float("-inf"), float("inf")
            for member in members:
                timeline = None
                if lifecycle is not None and member[3]:
                    timeline, begins, ends = timeline_window(lifecycle, member[3], now)
                    since, until = max(since, begins), min(until, ends)
                views.append((member, timeline))
            return views, since, until

        views: list[tuple[Any, Timeline | None]] = self._while_valid(("views", *parts), now, make)
        return views

    def _member(
        self,
        schema: Mapping[str, Any],
        rules: Collection,
        values: RequestValues,
        echoed: tuple[Any, ...],
        member: tuple[tuple[Any, ...], float, Any, Schedule | None],
        timeline: Timeline | None,
        now: float,
    ) -> Any:
        """One list member as shown at `timeline`; built once per state and shared by the pages
        that show it (a member is never changed after it is built)."""
        item_parts, created, body, story = member

        def make() -> Any:
            item = self._resource(schema, item_parts, now, created, base=body, story=story, timeline=timeline)
            self._echo(item, schema, rules.echo, values, None)
            return item

        return self._cached(("member", *item_parts, timeline, echoed), make, derived=True)

    def _rollup(self, api: Api, op: Operation, rollup: Rollup, value: Any) -> str | None:
        """A listed item's state, from what the rollup's operation shows of the same id now.

        That view is the one a request for it would get (fixture, scenario or generated data), so
        the list and the detail agree; a poll of the list is a poll of the id's scenario too.

        Raises:
            _ScenarioAnswer: the id's scenario answers this poll with an error status.
        """
        target = api.operation(rollup.operation)
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        for ref in rollup.request:
            location, _, param_name = ref.partition(".")
            values[location][param_name] = value
        for param in target.parameters:
            if param.location == "query" and "default" in param.schema:
                values["query"].setdefault(param.name, param.schema["default"])
        success = next((s for s in target.responses if s.startswith("2")), "200")
        schema = response_schema(target, success) or {}
        key = self.resource_key(api, target, values)
        fixture = self.fixtures.find(
            api.slug,
            target.id,
            values,
            lambda f: (
                f.status < 300 and (f.scenario is not None or self._echoes(f.body, target.rules.echo, values))
            ),
        )
        forced = self._turn(target, key, fixture, answer=op)
        tree = target.rules.tree
        if fixture is not None and forced is None:
            return rollup.state(self._states(target, schema, fixture.body))
        if tree is None:
            body = self._generate(api, target, schema, values, key, forced)
            return None if body is None else rollup.state(self._states(target, schema, body))
        # Only the children's states are needed: their timelines, without building the bodies.
        for pointer, ref in target.rules.echo.items():
            wanted = request_value(values, ref)
            if wanted is not None and not self._fits(subschema(schema, pointer), wanted):
                return None  # the detail cannot exist, so it does not decide the state
        parts = self._parts(api, target, values)
        children = self._tree_children(tree, schema, parts, values, self._now(key), forced)
        if children is None:
            return None
        return rollup.state([t.state for *_, t in children if t is not None])

    def _states(self, op: Operation, schema: Mapping[str, Any], body: Any) -> list[str]:
        """The lifecycle states a body shows: of its tree node's children, else its own."""
        if op.rules.tree is not None:
            child_schema = _item_schema(schema, op.rules.tree.children)
            lifecycle = self._lifecycle(child_schema)
            children = pointer_get(body, op.rules.tree.children) or []
            if lifecycle is not None:
                return [str(pointer_get(c, lifecycle.field)) for c in children if isinstance(c, dict)]
        lifecycle = self._lifecycle(schema)
        return [str(pointer_get(body, lifecycle.field))] if lifecycle is not None else []

    def _turn(self, op: Operation, key: str, fixture: Fixture | None, *, answer: Operation) -> _Forced | None:
        """This poll's turn of the scenario `key` is pinned to (by the control API or a fixture).

        Raises:
            _ScenarioAnswer: the turn answers with an error status, in `answer`'s error format.
        """
        name = self.state.pinned(key) or (fixture.scenario if fixture is not None else None)
        if name is None or name not in op.rules.scenarios:
            return None
        scenario = op.rules.scenarios[name]
        run = self.state.run(key, name)
        turn = take_turn(scenario, run, self._now(key))
        if turn.step.status is not None:
            raise _ScenarioAnswer(self._scenario_error(answer, key, name, run.polls, turn))
        return _Forced(scenario, run, turn)

    def _pinned_turn(self, op: Operation, key: str) -> _Forced | None:
        name = self.state.pinned(key)
        if name is None or name not in op.rules.scenarios:
            return None
        scenario = op.rules.scenarios[name]
        run = self.state.run(key, name)
        return _Forced(scenario, run, take_turn(scenario, run, self._now(key)))

    def _echo(
        self, item: Any, schema: Mapping[str, Any], echo: Mapping[str, str], values: RequestValues, each: Any
    ) -> bool:
        """Copy request ids into the body; False when one cannot fit: no such resource can exist."""
        if not isinstance(item, dict):
            return True
        for pointer, ref in echo.items():
            value = each if ref == "$each" else request_value(values, ref)
            if value is None:  # an optional parameter left out echoes nothing
                continue
            if not self._fits(subschema(schema, pointer), value):
                return False
            pointer_set(item, pointer, value)
        return True

    @staticmethod
    def _echoes(body: Any, echo: Mapping[str, str], values: RequestValues) -> bool:
        """Whether a fixture body already carries the ids the request asks for."""
        for pointer, ref in echo.items():
            wanted = request_value(values, ref)
            if wanted is not None and str(pointer_get(body, pointer)) != str(wanted):
                return False
        return True

    def _fits(self, schema: Mapping[str, Any], value: Any) -> bool:
        key = id(schema)
        if key not in self._validators:
            self._validators[key] = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
        if not isinstance(value, str | int | float | bool):
            return bool(self._validators[key].is_valid(value))
        return bool(
            self._cached(
                ("fits", key, type(value), value), lambda: self._validators[key].is_valid(value), derived=True
            )
        )

    def _tree_node(
        self,
        rules: Tree,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        values: RequestValues,
        now: float,
        forced: _Forced | None,
    ) -> list[Any] | None:
        """The children of the node the request names, or None when the tree has no such node."""
        children = self._tree_children(rules, schema, parts, values, now, forced)
        if children is None:
            return None
        child_schema = _item_schema(schema, rules.children)
        return [
            self._resource(child_schema, child_parts, now, created, base=base, timeline=timeline)
            for child_parts, base, created, timeline in children
        ]

    def _tree_children(
        self,
        rules: Tree,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        values: RequestValues,
        now: float,
        forced: _Forced | None,
    ) -> list[tuple[tuple[Any, ...], Any, float, Timeline | None]] | None:
        """The children of the node the request names, each with where it stands at `now`."""
        child_schema = _item_schema(schema, rules.children)
        nodes = self._cached(("tree", *parts), lambda: self._build_tree(rules, child_schema, parts))
        children = nodes.get(repr(request_value(values, rules.param)))
        if children is None:
            return None
        lifecycle = self._lifecycle(child_schema)
        out = []
        for index, (child_parts, base, created) in enumerate(children):
            timeline = self._forced_timeline(child_schema, forced, child=index)
            if timeline is None and lifecycle is not None:
                timeline = self._timeline(lifecycle, child_parts, created, now)
            out.append((child_parts, base, created, timeline))
        return out

    def _build_tree(
        self, rules: Tree, child_schema: Mapping[str, Any], parts: tuple[Any, ...]
    ) -> dict[str, list[tuple[tuple[Any, ...], Any, float]]]:
        """Node id -> its children (generation parts, base body, creation time); ids are unique."""
        nodes: dict[str, list[tuple[tuple[Any, ...], Any, float]]] = {}
        rng = rng_for(*parts, "tree")
        id_schema = (child_schema.get("properties") or {}).get(rules.id.lstrip("/"), {})
        root = id_schema.get("default", 0)
        used = {root}
        lifecycle = self._lifecycle(child_schema)
        start = self.clock.origin - rng.uniform(*(lifecycle.started_ago if lifecycle else (0, 600)))

        def grow(node_id: Any, depth: int, created: float) -> None:
            children: list[tuple[tuple[Any, ...], Any, float]] = []
            nodes[repr(node_id)] = children
            for index in range(rng.randint(*rules.fanout)):
                child_parts = (*parts, "node", repr(node_id), index)
                base = self.generator.generate(child_schema, rng_for(*child_parts), now=self.clock.origin)
                child_id = pointer_get(base, rules.id)
                while child_id in used:
                    child_id = self.generator.generate(id_schema, rng, now=self.clock.origin)
                used.add(child_id)
                has_children = depth < rules.depth and rng.random() < 0.5
                pointer_set(base, rules.id, child_id)
                pointer_set(base, rules.flag, has_children)
                child_created = created + index * rng.uniform(30, 120)
                children.append((child_parts, base, child_created))
                if has_children:
                    grow(child_id, depth + 1, child_created)
                else:
                    nodes[repr(child_id)] = []

        grow(root, 1, start)
        return nodes
