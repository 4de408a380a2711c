"""Produce a success body coherent with the request: a fixture's, or generated (resource, list, tree)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.produce.ask import Ask, item_key
from mockserver.produce.cache import Cache
from mockserver.produce.collection import Collections, list_schema, select_items
from mockserver.produce.fixtures import Fixture, FixtureSet
from mockserver.produce.generate import Generator
from mockserver.produce.lifecycle import Clock
from mockserver.produce.resource import Resources, copy_json, echoes
from mockserver.produce.scenarios import Forced, Pins, Turns
from mockserver.produce.tree import Trees
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.pointers import item_schema, pointer_get, pointer_set, subschema
from mockserver.spec.responses import response_schema, success_status
from mockserver.spec.rules import Rollup
from mockserver.spec.values import RequestValues, request_value, values_from

__all__ = ["Observed", "Producer"]

Observed = tuple[tuple[str, str | None, bool | None], ...]
"""(resource key, state, terminal) of each execution a body shows, for the poll report."""


@dataclass(frozen=True)
class _Options:
    seed: int
    cache_size: int


class Producer:
    """Makes the success body of an operation; deterministic for a seed, a request and the clock."""

    def __init__(
        self,
        fixtures: FixtureSet,
        clock: Clock,
        pins: Pins,
        *,
        seed: int = 0,
        cache_size: int = 2048,
        generator: Generator | None = None,
    ) -> None:
        self.fixtures = fixtures
        self.clock = clock
        self.options = _Options(seed, cache_size)
        self.resources = Resources(clock, Cache(cache_size), generator)
        self.turns = Turns(pins, clock)
        self.trees = Trees(self.resources)
        self.collections = Collections(self.resources, self.turns)

    @property
    def generator(self) -> Generator:
        return self.resources.generator

    def ask(self, api: Api, op: Operation, values: RequestValues, status: str) -> Ask:
        """What a request for `status` asks this producer for, seen at the id's own mock time."""
        schema = response_schema(op, status) or {}
        return Ask.of(api, op, values, schema, seed=self.options.seed, now=self.turns.now)

    def fixture(self, ask: Ask) -> Fixture | None:
        """The most specific fixture for the request that agrees with it (echoes its ids)."""
        echo = ask.op.rules.echo
        return self.fixtures.find(
            ask.api.slug,
            ask.op.id,
            ask.values,
            lambda f: f.status >= 300 or f.scenario is not None or echoes(f.body, echo, ask.values),
        )

    def turn(self, ask: Ask, fixture: Fixture | None) -> Forced | None:
        """This poll's turn of the scenario the id is pinned to (by the control API or `fixture`).

        Raises:
            ScenarioAnswer: the turn answers with an error status.
        """
        return self.turns.take(ask.op, ask.key, fixture.scenario if fixture else None, answer=ask.op)

    def fixture_body(self, op: Operation, fixture: Fixture, values: RequestValues) -> Any:
        """A fixture's body; a list fixture still gets the list's filters, order and paging."""
        listing = op.rules.collection
        if listing is None or listing.each is not None or fixture.status >= 300:
            return fixture.body  # served as stored, never changed

        def select() -> Any:
            body = copy_json(fixture.body)
            items = body if listing.at == "" else pointer_get(body, listing.at)
            selected = select_items(listing, list(items or []), values)
            if not isinstance(body, dict):
                return selected
            pointer_set(body, listing.at, selected)
            return body

        return self.resources.cache.get(("fixture", id(fixture), repr(values)), select, derived=True)

    def body(self, ask: Ask) -> Any:
        """The generated body, or None when no such resource can exist.

        Raises:
            ScenarioAnswer: a listed id's scenario answers this poll with an error status.
        """
        rules = ask.op.rules
        schema = ask.schema
        body = self.resources.make(
            schema, ask.parts, ask.now, timeline=self.resources.forced_timeline(schema, ask.forced)
        )
        if rules.tree is not None:
            node = self.trees.node(rules.tree, ask)
            if node is None:
                return None
            pointer_set(body, rules.tree.children, node)
        if (listing := rules.collection) is not None:
            rollup = listing.rollup
            items = self.collections.items(
                listing, ask, lambda value: None if rollup is None else self._rollup(ask, rollup, value)
            )
            if items is None:
                return None
            if isinstance(body, dict) and listing.at:
                pointer_set(body, listing.at, items)
            else:
                body = items
        return body if self.resources.echo(body, schema, rules.echo, ask.values, None) else None

    def observe(self, ask: Ask, body: Any) -> Observed:
        """The executions a body shows, with their states (for the poll report)."""
        out: list[tuple[str, str | None, bool | None]] = []
        lifecycle = self.resources.lifecycle(ask.schema)
        if lifecycle is not None and isinstance(body, dict):
            state = pointer_get(body, lifecycle.field)
            known = lifecycle.states.get(str(state))
            out.append((ask.key, state, known.terminal if known else None))
        listing = ask.op.rules.collection
        if listing is not None and listing.each is not None and isinstance(body, dict | list):
            item_lifecycle = self.resources.lifecycle(list_schema(listing, ask.schema))
            pointer = next((p for p, ref in listing.echo.items() if ref == "$each"), None)
            items = body if listing.at == "" else pointer_get(body, listing.at)
            for item in items or []:
                if item_lifecycle is not None and pointer is not None and isinstance(item, dict):
                    state = pointer_get(item, item_lifecycle.field)
                    known = item_lifecycle.states.get(str(state))
                    key = item_key(ask.api, ask.op, pointer_get(item, pointer))
                    out.append((key, state, known.terminal if known else None))
        return tuple(out)

    def _rollup(self, ask: Ask, rollup: Rollup, value: Any) -> str | None:
        """A listed item's state, from what the rollup's operation shows of the same id now.

        That view is the one a request for it would get (fixture, scenario or generated data), so
        the list and the detail agree; a poll of the list is a poll of the id's scenario too.

        Raises:
            ScenarioAnswer: the id's scenario answers this poll with an error status.
        """
        target = ask.api.operation(rollup.operation)
        values = values_from((ref, value) for ref in rollup.request)
        for param in target.parameters:
            if param.location == "query" and "default" in param.schema:
                values["query"].setdefault(param.name, param.schema["default"])
        detail = self.ask(ask.api, target, values, success_status(target))
        fixture = self.fixtures.find(
            ask.api.slug,
            target.id,
            values,
            lambda f: (
                f.status < 300 and (f.scenario is not None or echoes(f.body, target.rules.echo, values))
            ),
        )
        forced = self.turns.take(target, detail.key, fixture.scenario if fixture else None, answer=ask.op)
        detail = detail.but(forced=forced)
        tree = target.rules.tree
        if fixture is not None and forced is None:
            return rollup.state(self._states(target, detail.schema, fixture.body))
        if tree is None:
            body = self.body(detail)
            return None if body is None else rollup.state(self._states(target, detail.schema, body))
        # Only the children's states are needed: their timelines, without building the bodies.
        for pointer, ref in target.rules.echo.items():
            wanted = request_value(values, ref)
            if wanted is not None and not self.resources.fits(subschema(detail.schema, pointer), wanted):
                return None  # the detail cannot exist, so it does not decide the state
        children = self.trees.children(tree, detail)
        if children is None:
            return None
        return rollup.state([t.state for *_, t in children if t is not None])

    def _states(self, op: Operation, schema: Mapping[str, Any], body: Any) -> list[str]:
        """The lifecycle states a body shows: of its tree node's children, else its own."""
        if op.rules.tree is not None:
            lifecycle = self.resources.lifecycle(item_schema(schema, op.rules.tree.children))
            children = pointer_get(body, op.rules.tree.children) or []
            if lifecycle is not None:
                return [str(pointer_get(c, lifecycle.field)) for c in children if isinstance(c, dict)]
        lifecycle = self.resources.lifecycle(schema)
        return [str(pointer_get(body, lifecycle.field))] if lifecycle is not None else []
