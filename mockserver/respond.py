"""Build the body of a response: Prefer choice, fixture, or generated data coherent with the request."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openapi_schema_validator import OAS30Validator

from mockserver.catalog import Api, Operation
from mockserver.control import Prefer, PreferError
from mockserver.errors import render_error
from mockserver.extensions import Collection, Lifecycle, Tree, lifecycle_from
from mockserver.fixtures import FixtureSet, response_schema
from mockserver.generate import Generator, rng_for
from mockserver.lifecycle import Clock, apply_timeline, pointer_get, pointer_set, timeline_at
from mockserver.reply import Reply

__all__ = ["RequestValues", "Responder", "request_value", "select_items"]

RequestValues = Mapping[str, Mapping[str, Any]]
"""Typed request values by location: {"path": {...}, "query": {...}, "header": {...}}."""


def request_value(values: RequestValues, ref: str) -> Any:
    location, _, name = ref.partition(".")
    return (values.get(location) or {}).get(name)


def _subschema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    node = schema
    for token in pointer.split("/")[1:]:
        node = (node.get("properties") or {}).get(token) or {}
    return node


def _item_schema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    items: Mapping[str, Any] = _subschema(schema, pointer).get("items") or {}
    return items


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return value


def select_items(rules: Collection, items: list[Any], values: RequestValues) -> list[Any]:
    """Apply a list's filters, documented order and pagination to its items."""
    for rule in rules.filters:
        wanted = request_value(values, rule.param)
        if wanted is None and rule.absent == "max" and items:
            wanted = max(pointer_get(i, rule.field) for i in items)
        if wanted is None:
            continue
        target = _sortable(wanted)
        if rule.op == "eq":
            items = [i for i in items if _sortable(pointer_get(i, rule.field)) == target]
        elif rule.op == "ge":
            items = [i for i in items if _sortable(pointer_get(i, rule.field)) >= target]
        else:
            items = [i for i in items if _sortable(pointer_get(i, rule.field)) <= target]
    if rules.order_by is not None:
        by = rules.order_by
        items = sorted(items, key=lambda i: _sortable(pointer_get(i, by)), reverse=rules.descending)
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
    ) -> None:
        self.fixtures = fixtures
        self.clock = clock
        self.generator = Generator()
        self._options = _Options(seed, fixtures_only, cache_size)
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
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
        if not prefer.dynamic:
            fixture = self.fixtures.find(
                api.slug,
                op.id,
                values,
                lambda f: f.status >= 300 or self._echoes(f.body, op.rules.echo, values),
            )
            if fixture is not None:
                body = copy.deepcopy(fixture.body)
                listing = op.rules.collection
                if listing is not None and listing.each is None and fixture.status < 300:
                    # A fixture gives the collection; the list's own rules still apply to it.
                    items = body if listing.at == "" else pointer_get(body, listing.at)
                    selected = select_items(listing, list(items or []), values)
                    if isinstance(body, dict):
                        pointer_set(body, listing.at, selected)
                    else:
                        body = selected
                return Reply(fixture.status, body, fixture.headers)
            if self._options.fixtures_only:
                reply = render_error(op, "notFound", "No such resource", self.generator)
                if reply is not None:
                    return reply
        schema = response_schema(op, status) or {}
        body = self._generate(api, op, schema, values)
        if body is None:
            reply = render_error(op, "notFound", "No such resource", self.generator)
            if reply is not None:
                return reply
        return Reply(int(status), body)

    def _example(self, op: Operation, status: str, name: str) -> Reply:
        for content in (op.responses[status].get("content") or {}).values():
            examples = content.get("examples") or {}
            if name in examples:
                return Reply(int(status), copy.deepcopy(examples[name].get("value")))
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

    def _cached(self, key: tuple[Any, ...], make: Any) -> Any:
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = make()
        self._cache[key] = value
        if len(self._cache) > self._options.cache_size:
            self._cache.popitem(last=False)
        return value

    def _resource(
        self,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        now: float,
        created: float | None = None,
        *,
        base: Any = None,
    ) -> Any:
        """One generated resource; its lifecycle follows the clock from a creation time."""
        if base is None:
            base = self._cached(
                ("base", *parts),
                lambda: self.generator.generate(schema, rng_for(*parts), now=self.clock.origin),
            )
        body = copy.deepcopy(base)
        lifecycle = self._lifecycle(schema)
        if lifecycle is not None and isinstance(body, dict):
            rng = rng_for(*parts, "timeline")
            if created is None:
                created = self.clock.origin - rng.uniform(*lifecycle.started_ago)
            apply_timeline(body, schema, lifecycle, timeline_at(lifecycle, rng, created, now))
        return body

    def _generate(self, api: Api, op: Operation, schema: Mapping[str, Any], values: RequestValues) -> Any:
        rules = op.rules
        key = tuple(request_value(values, ref) for ref in rules.key)
        parts = (self._options.seed, api.slug, rules.resource, repr(key))
        now = self.clock.now()
        body = self._resource(schema, parts, now)
        if rules.tree is not None:
            node = self._tree_node(rules.tree, schema, parts, values, now)
            if node is None:
                return None
            pointer_set(body, rules.tree.children, node)
        if rules.collection is not None:
            items = self._collection(rules.collection, schema, parts, values, now)
            if items is None:
                return None
            if isinstance(body, dict) and rules.collection.at:
                pointer_set(body, rules.collection.at, items)
            else:
                body = items
        return body if self._echo(body, schema, rules.echo, values, None) else None

    def _collection(
        self,
        rules: Collection,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        values: RequestValues,
        now: float,
    ) -> list[Any] | None:
        """The list the request selects, or None when its ids cannot exist."""
        item_schema = schema.get("items") if rules.at == "" else _item_schema(schema, rules.at)
        item_schema = item_schema or {}
        if rules.each is not None:
            wanted = request_value(values, rules.each) or []
            wanted = wanted if isinstance(wanted, list) else [wanted]
            items = []
            for value in wanted:
                item = self._resource(item_schema, (*parts[:3], repr(value)), now)
                if not self._echo(item, item_schema, rules.echo, values, value):
                    return None
                items.append(item)
            return items

        def make_all() -> list[tuple[int, float]]:
            rng = rng_for(*parts, "collection")
            count = rng.randint(*rules.size)
            return [(i, self.clock.origin - rng.uniform(0, rules.window)) for i in range(count)]

        items = []
        for index, created in self._cached(("collection", *parts), make_all):
            item = self._resource(item_schema, (*parts, index), now, created)
            if not self._echo(item, item_schema, rules.echo, values, None):
                return None
            items.append(item)
        return select_items(rules, items, values)

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
            if not self._fits(_subschema(schema, pointer), value):
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
        return bool(self._validators[key].is_valid(value))

    def _tree_node(
        self,
        rules: Tree,
        schema: Mapping[str, Any],
        parts: tuple[Any, ...],
        values: RequestValues,
        now: float,
    ) -> list[Any] | None:
        """The children of the node the request names, or None when the tree has no such node."""
        child_schema = _item_schema(schema, rules.children)
        nodes = self._cached(("tree", *parts), lambda: self._build_tree(rules, child_schema, parts))
        children = nodes.get(repr(request_value(values, rules.param)))
        if children is None:
            return None
        return [
            self._resource(child_schema, child_parts, now, created, base=base)
            for child_parts, base, created in children
        ]

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
