"""Tree-shaped answers (`x-mock.tree`): one node of a generated tree, its children on one story."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.produce.ask import Ask
from mockserver.produce.generate import rng_for
from mockserver.produce.lifecycle import Schedule, Timeline, timeline_from
from mockserver.produce.resource import Resources
from mockserver.produce.scenarios import Forced, history_timeline
from mockserver.produce.story import (
    children_for,
    leaf_story,
    parent_story,
    released_after,
    scenario_children,
)
from mockserver.spec.pointers import item_schema, pointer_get, pointer_set, subschema
from mockserver.spec.rules import Lifecycle, Tree
from mockserver.spec.values import request_value

__all__ = ["Built", "Child", "Trees"]

Child = tuple[tuple[Any, ...], Any, float, Timeline | None]
"""One child: its generation parts, its base body, its creation time, where it stands."""

_Node = list[tuple[tuple[Any, ...], Any, float, Schedule | None]]


@dataclass
class Built:
    """A whole tree: node id -> its children (parts, base body, creation, story), and each node's
    parent and place among its siblings."""

    root: str
    nodes: dict[str, _Node] = field(default_factory=dict)
    parents: dict[str, tuple[str, int]] = field(default_factory=dict)


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
        built: Built = self.resources.cache.get(
            ("tree", *ask.parts), lambda: self._build(rules, child_schema, ask.parts)
        )
        key = repr(request_value(ask.values, rules.param))
        children = built.nodes.get(key)
        if children is None:
            return None
        lifecycle = self.resources.lifecycle(child_schema)
        if lifecycle is None:
            return [(parts, base, created, None) for parts, base, created, _ in children]
        if ask.forced is not None:
            histories = _histories(rules, lifecycle, built, key, ask.forced)
            times, run = ask.forced.turn.step_times, ask.forced.run
            timelines = [history_timeline(lifecycle, h, times, run) for h in histories]
        else:
            timelines = [
                None if story is None else timeline_from(lifecycle, story, ask.now) for *_, story in children
            ]
        return [(p, b, c, t) for (p, b, c, _), t in zip(children, timelines, strict=True)]

    def _build(self, rules: Tree, child_schema: Mapping[str, Any], parts: tuple[Any, ...]) -> Built:
        """Every node's children (generation parts, base body, creation, story); ids are unique."""
        generator, origin = self.resources.generator, self.resources.clock.origin
        rng = rng_for(*parts, "tree")
        id_schema = (child_schema.get("properties") or {}).get(rules.id.lstrip("/"), {})
        root = id_schema.get("default", 0)
        built = Built(repr(root))
        used = {root}
        lifecycle = self.resources.lifecycle(child_schema)
        created = origin - rng.uniform(*(lifecycle.started_ago if lifecycle else (0, 600)))

        def story(child_parts: tuple[Any, ...], release: float) -> Schedule | None:
            if lifecycle is None:
                return None
            return leaf_story(lifecycle, rng_for(*child_parts, "timeline"), created, release)

        def grow(node_id: Any, depth: int, release: float) -> list[Schedule]:
            children: _Node = []
            built.nodes[repr(node_id)] = children
            stories: list[Schedule] = []
            for index in range(rng.randint(*rules.fanout)):
                child_parts = (*parts, "node", repr(node_id), index)
                base = generator.generate(child_schema, rng_for(*child_parts), now=origin)
                child_id = pointer_get(base, rules.id)
                while child_id in used:
                    child_id = generator.generate(id_schema, rng, now=origin)
                used.add(child_id)
                has_children = depth < rules.depth and rng.random() < 0.5
                for pointer in rules.unique:  # a few tries: a small choice may run out of values
                    taken = [pointer_get(b, pointer) for _, b, *_ in children]
                    for _ in range(8):
                        if pointer_get(base, pointer) not in taken:
                            break
                        pointer_set(
                            base,
                            pointer,
                            generator.generate(subschema(child_schema, pointer), rng, now=origin),
                        )
                pointer_set(base, rules.id, child_id)
                pointer_set(base, rules.flag, has_children)
                built.parents[repr(child_id)] = (repr(node_id), index)
                own = story(child_parts, release)
                if has_children:
                    below = grow(child_id, depth + 1, release)
                    if lifecycle is not None and rules.rollup and below:
                        own = parent_story(rules, below)
                else:
                    built.nodes[repr(child_id)] = []
                children.append((child_parts, base, created, own))
                if own is not None and lifecycle is not None:
                    stories.append(own)
                    release = released_after(rules, lifecycle, own, release)
            return stories

        grow(root, 1, created)
        return built


def _histories(
    rules: Tree, lifecycle: Lifecycle, built: Built, key: str, forced: Forced
) -> list[list[str | None]]:
    """Each child's state at every scenario step so far: the steps name the root's children; a
    deeper node's children roll up to the state its own parent was given."""
    count = len(built.nodes[key])
    steps = forced.scenario.steps[: forced.turn.index + 1]
    per_step: list[list[str] | None]
    if key == built.root:
        per_step = [
            scenario_children(rules, lifecycle, s.children, count) if s.children else None for s in steps
        ]
    else:
        parent, index = built.parents[key]
        own = _histories(rules, lifecycle, built, parent, forced)[index]
        per_step = [None if s is None else children_for(rules, lifecycle, s, count) for s in own]
    return [[None if states is None else states[i] for states in per_step] for i in range(count)]
