"""The parsed forms of the `x-` extensions: what `x-mock` and `x-mock-lifecycle` say, as values."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Collection",
    "Filter",
    "Lifecycle",
    "MockRules",
    "Order",
    "Rollup",
    "RollupRule",
    "Scenario",
    "State",
    "Step",
    "Tree",
    "lifecycle_from",
    "mock_rules_from",
]


@dataclass(frozen=True)
class Filter:
    """A list filter: keep items whose `field` compares `op` to the request value `param`."""

    param: str
    field: str
    op: str = "eq"
    absent: str = "all"


@dataclass(frozen=True)
class RollupRule:
    """The listed item is in `state` when any (or all) of the detail's states are in the lists."""

    state: str
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()

    def holds(self, states: Sequence[str]) -> bool:
        if self.any and not any(s in self.any for s in states):
            return False
        return not self.all or (bool(states) and all(s in self.all for s in states))


@dataclass(frozen=True)
class Rollup:
    """A listed item's state from another operation's view of the same id (`request`: its parameters
    <- `$each`): the states of that view's tree root children, or its own; the first rule wins."""

    operation: str
    request: Mapping[str, str]
    rules: tuple[RollupRule, ...]

    def state(self, states: Sequence[str]) -> str | None:
        return next((r.state for r in self.rules if r.holds(states)), None)


@dataclass(frozen=True)
class Collection:
    """The body, or a part of it at pointer `at`, is a list of resources."""

    at: str
    each: str | None = None
    echo: Mapping[str, str] = dataclasses.field(default_factory=dict)
    size: tuple[int, int] = (0, 20)
    window: int = 30 * 86400
    order_by: str | None = None
    descending: bool = False
    limit: str | None = None
    offset: str | None = None
    filters: tuple[Filter, ...] = ()
    rollup: Rollup | None = None


@dataclass(frozen=True)
class Tree:
    """The body is one node of a tree; `param` names the node, `children` holds its children."""

    param: str
    children: str
    id: str
    flag: str
    fanout: tuple[int, int] = (1, 4)
    depth: int = 3
    siblings: str = "parallel"
    proceed: tuple[str, ...] = ()
    rollup: tuple[RollupRule, ...] = ()
    unique: tuple[str, ...] = ()

    def state(self, states: Sequence[str]) -> str | None:
        return next((r.state for r in self.rollup if r.holds(states)), None)


@dataclass(frozen=True)
class Step:
    """One stretch of a scenario: for `polls` polls (None: from then on), answer this."""

    polls: int | None = None
    state: str | None = None
    children: tuple[str, ...] = ()
    status: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Scenario:
    """A named story one id can be pinned to: what each poll answers."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""

    def step_at(self, poll: int) -> int:
        """The index of the step that answers poll number `poll` (0-based); the last one repeats."""
        seen = 0
        for index, step in enumerate(self.steps):
            if step.polls is None or poll < seen + step.polls:
                return index
            seen += step.polls
        return len(self.steps) - 1


@dataclass(frozen=True)
class MockRules:
    """What `x-mock` says about one operation."""

    resource: str = ""
    key: tuple[str, ...] = ()
    echo: Mapping[str, str] = dataclasses.field(default_factory=dict)
    collection: Collection | None = None
    tree: Tree | None = None
    errors: Mapping[str, str] = dataclasses.field(default_factory=dict)
    scenarios: Mapping[str, Scenario] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """One lifecycle state: how long it lasts (seconds) and where it may go next (weights)."""

    name: str
    lasts: tuple[float, float] = (0.0, 0.0)
    next: Mapping[str, float] = dataclasses.field(default_factory=dict)
    started: bool = True

    @property
    def terminal(self) -> bool:
        return not self.next


@dataclass(frozen=True)
class Order:
    """`cascadeOrder`: items run one at a time, `every` seconds; `proceed` before, `waiting` after."""

    items: str
    proceed: str
    waiting: str
    every: float


@dataclass(frozen=True)
class Lifecycle:
    """What `x-mock-lifecycle` says: the states of a resource and the fields that follow them."""

    field: str
    states: Mapping[str, State]
    created: str | None = None
    start: str | None = None
    end: str | None = None
    updated: str | None = None
    duration: str | None = None
    unset: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    terminal_only: tuple[str, ...] = ()
    when: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    cascade: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    shows: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    order: Order | None = None
    started_ago: tuple[float, float] = (0.0, 600.0)

    @property
    def initial(self) -> str:
        return next(iter(self.states))


def _pair(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if value else default


def mock_rules_from(
    raw: Mapping[str, Any] | None, operation_id: str, path_params: tuple[str, ...]
) -> MockRules:
    """Build the rules of one operation from its (schema-valid) `x-mock` value."""
    raw = raw or {}
    key = tuple(raw.get("key") or [f"path.{name}" for name in path_params])
    collection = None
    if c := raw.get("collection"):
        order = c.get("order") or {}
        collection = Collection(
            at=c["at"],
            each=c.get("each"),
            echo=dict(c.get("echo") or {}),
            size=_pair(c.get("size"), (0, 20)),
            window=int(c.get("window", 30 * 86400)),
            order_by=order.get("by"),
            descending=order.get("direction") == "desc",
            limit=c.get("limit"),
            offset=c.get("offset"),
            filters=tuple(Filter(**f) for f in c.get("filters") or ()),
            rollup=_rollup(c.get("rollup")),
        )
    tree = None
    if t := raw.get("tree"):
        tree = Tree(
            param=t["param"],
            children=t["children"],
            id=t["id"],
            flag=t["flag"],
            fanout=_pair(t.get("fanout"), (1, 4)),
            depth=int(t.get("depth", 3)),
            siblings=str(t.get("siblings", "parallel")),
            proceed=tuple(t.get("proceed") or ()),
            rollup=_rules(t.get("rollup")),
            unique=tuple(t.get("unique") or ()),
        )
    scenarios = {
        name: Scenario(
            name=name,
            description=str(s.get("description", "")),
            steps=tuple(
                Step(
                    polls=step.get("polls"),
                    state=step.get("state"),
                    children=tuple(step.get("children") or ()),
                    status=step.get("status"),
                    retry_after=step.get("retryAfter"),
                )
                for step in s["steps"]
            ),
        )
        for name, s in (raw.get("scenarios") or {}).items()
    }
    return MockRules(
        scenarios=scenarios,
        resource=str(raw.get("resource") or operation_id),
        key=key,
        echo=dict(raw.get("echo") or {}),
        collection=collection,
        tree=tree,
        errors=dict(raw.get("errors") or {}),
    )


def _rollup(raw: Mapping[str, Any] | None) -> Rollup | None:
    return Rollup(raw["operation"], dict(raw["request"]), _rules(raw["states"])) if raw else None


def _rules(raw: Sequence[Mapping[str, Any]] | None) -> tuple[RollupRule, ...]:
    return tuple(
        RollupRule(state=r["state"], any=tuple(r.get("any") or ()), all=tuple(r.get("all") or ()))
        for r in raw or ()
    )


def lifecycle_from(raw: Mapping[str, Any]) -> Lifecycle:
    """Build a lifecycle from its (schema-valid) `x-mock-lifecycle` value."""
    states = {
        name: State(
            name=name,
            lasts=(float(s.get("for", (0, 0))[0]), float(s.get("for", (0, 0))[1])),
            next=dict(s.get("next") or {}),
            started=bool(s.get("started", True)),
        )
        for name, s in raw["states"].items()
    }
    times = raw.get("times") or {}
    ago = raw.get("startedAgo") or (0, 600)
    return Lifecycle(
        field=raw["field"],
        states=states,
        created=times.get("created"),
        start=times.get("start"),
        end=times.get("end"),
        updated=times.get("updated"),
        duration=times.get("duration"),
        unset=dict(raw.get("unset") or {}),
        terminal_only=tuple(raw.get("terminalOnly") or ()),
        when={k: tuple(v) for k, v in (raw.get("when") or {}).items()},
        cascade={k: dict(v) for k, v in (raw.get("cascade") or {}).items()},
        shows={k: tuple(v) for k, v in (raw.get("shows") or {}).items()},
        order=Order(**{**o, "every": float(o["every"])}) if (o := raw.get("cascadeOrder")) else None,
        started_ago=(float(ago[0]), float(ago[1])),
    )
