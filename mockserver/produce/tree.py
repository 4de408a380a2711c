"""Tree-shaped answers (`x-mock.tree`): one node of a generated tree, its children on their clocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.produce.ask import Ask
from mockserver.produce.generate import rng_for
from mockserver.produce.lifecycle import Timeline
from mockserver.produce.resource import Resources
from mockserver.spec.pointers import item_schema, pointer_get, pointer_set
from mockserver.spec.rules import Tree
from mockserver.spec.values import request_value

__all__ = ["Child", "Trees"]

Child = tuple[tuple[Any, ...], Any, float, Timeline | None]
"""One child: its generation parts, its base body, its creation time, where it stands."""

_Node = list[tuple[tuple[Any, ...], Any, float]]


class Trees:
    """Builds each tree once per (seed, resource) and shows the node a request names."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def node(self, rules: Tree, ask: Ask) -> list[Any] | None:
        """The children of the node the request names, or None when the tree has no such node."""
        children = self.children(rules, ask)
        if children is None:
            return None
        child_schema = item_schema(ask.schema, rules.children)
        return [
            self.resources.make(child_schema, parts, ask.now, created, base=base, timeline=timeline)
            for parts, base, created, timeline in children
        ]

    def children(self, rules: Tree, ask: Ask) -> list[Child] | None:
        """The children of the node the request names, each with where it stands at `ask.now`."""
        child_schema = item_schema(ask.schema, rules.children)
        nodes = self.resources.cache.get(
            ("tree", *ask.parts), lambda: self._build(rules, child_schema, ask.parts)
        )
        children = nodes.get(repr(request_value(ask.values, rules.param)))
        if children is None:
            return None
        lifecycle = self.resources.lifecycle(child_schema)
        out: list[Child] = []
        for index, (child_parts, base, created) in enumerate(children):
            timeline = self.resources.forced_timeline(child_schema, ask.forced, child=index)
            if timeline is None and lifecycle is not None:
                timeline = self.resources.timeline(lifecycle, child_parts, created, ask.now)
            out.append((child_parts, base, created, timeline))
        return out

    def _build(
        self, rules: Tree, child_schema: Mapping[str, Any], parts: tuple[Any, ...]
    ) -> dict[str, _Node]:
        """Node id -> its children (generation parts, base body, creation time); ids are unique."""
        generator, origin = self.resources.generator, self.resources.clock.origin
        nodes: dict[str, _Node] = {}
        rng = rng_for(*parts, "tree")
        id_schema = (child_schema.get("properties") or {}).get(rules.id.lstrip("/"), {})
        root = id_schema.get("default", 0)
        used = {root}
        lifecycle = self.resources.lifecycle(child_schema)
        start = origin - rng.uniform(*(lifecycle.started_ago if lifecycle else (0, 600)))

        def grow(node_id: Any, depth: int, created: float) -> None:
            children: _Node = []
            nodes[repr(node_id)] = children
            for index in range(rng.randint(*rules.fanout)):
                child_parts = (*parts, "node", repr(node_id), index)
                base = generator.generate(child_schema, rng_for(*child_parts), now=origin)
                child_id = pointer_get(base, rules.id)
                while child_id in used:
                    child_id = generator.generate(id_schema, rng, now=origin)
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
