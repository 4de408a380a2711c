"""The project's `x-` extensions: their schemas, in one place, and their parsed forms.

| extension          | where                  | what it says                                          |
|--------------------|------------------------|-------------------------------------------------------|
| `x-mock`           | operation              | key, echo, collection, tree, errors, scenarios        |
| `x-mock-error`     | response               | the body (and headers) of the API's native error      |
| `x-mock-lifecycle` | schema                 | states over time, the time fields that follow them, |
|                    |                        | and nested states that follow (`cascade`, `*` = each item) |
| `x-time`           | schema                 | a timestamp's unit: rfc3339, epoch-s, epoch-ms        |
| `x-faker`          | schema                 | the Faker provider that makes a realistic value       |
| `x-decision`       | anywhere               | a contradiction in the vendor docs and how it was decided |
| `x-seed`           | info                   | which vendor document the spec was written from       |

A request value is named `path.NAME`, `query.NAME` or `header.NAME`; a field is a JSON pointer
relative to the resource (`/status`, `/data/accountId`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EXTENSION_SCHEMAS",
    "Collection",
    "Filter",
    "Lifecycle",
    "MockRules",
    "Rollup",
    "RollupRule",
    "Scenario",
    "State",
    "Step",
    "Tree",
    "lifecycle_from",
    "mock_rules_from",
]

_REQUEST_REF = {"type": "string", "pattern": r"^(path|query|header)\.[A-Za-z0-9_.\-]+$"}
_POINTER = {"type": "string", "pattern": r"^(/[^/]*)*$"}
_RANGE = {
    "type": "array",
    "items": {"type": "number", "minimum": 0},
    "minItems": 2,
    "maxItems": 2,
}
_ECHO = {
    "type": "object",
    "propertyNames": _POINTER,
    "additionalProperties": {"anyOf": [_REQUEST_REF, {"const": "$each"}]},
}
_ERROR_KINDS = ("invalid", "unauthenticated", "forbidden", "notFound", "throttled", "internal")

EXTENSION_SCHEMAS: Mapping[str, Mapping[str, Any]] = {
    "x-mock": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "key": {"type": "array", "items": _REQUEST_REF},
            "echo": _ECHO,
            "collection": {
                "type": "object",
                "additionalProperties": False,
                "required": ["at"],
                "properties": {
                    "at": _POINTER,
                    "each": _REQUEST_REF,
                    "echo": _ECHO,
                    "size": _RANGE,
                    "window": {"type": "integer", "minimum": 1},
                    "order": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["by", "direction"],
                        "properties": {"by": _POINTER, "direction": {"enum": ["asc", "desc"]}},
                    },
                    "limit": _REQUEST_REF,
                    "offset": _REQUEST_REF,
                    "rollup": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["operation", "request", "states"],
                        "properties": {
                            "operation": {"type": "string", "minLength": 1},
                            "request": {
                                "type": "object",
                                "minProperties": 1,
                                "propertyNames": _REQUEST_REF,
                                "additionalProperties": {"const": "$each"},
                            },
                            "states": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["state"],
                                    "properties": {
                                        "state": {"type": "string"},
                                        "any": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                        "all": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                    },
                                },
                            },
                        },
                    },
                    "filters": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["param", "field"],
                            "properties": {
                                "param": _REQUEST_REF,
                                "field": _POINTER,
                                "op": {"enum": ["eq", "ge", "le"]},
                                "absent": {"enum": ["all", "max"]},
                            },
                        },
                    },
                },
            },
            "tree": {
                "type": "object",
                "additionalProperties": False,
                "required": ["param", "children", "id", "flag"],
                "properties": {
                    "param": _REQUEST_REF,
                    "children": _POINTER,
                    "id": _POINTER,
                    "flag": _POINTER,
                    "fanout": _RANGE,
                    "depth": {"type": "integer", "minimum": 1, "maximum": 6},
                },
            },
            "scenarios": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["steps"],
                    "properties": {
                        "description": {"type": "string"},
                        "steps": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "polls": {"type": "integer", "minimum": 1},
                                    "state": {"type": "string"},
                                    "children": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                    "status": {"type": "string", "pattern": "^[2-5][0-9][0-9]$"},
                                    "retryAfter": {"type": "number", "minimum": 0},
                                },
                            },
                        },
                    },
                },
            },
            "errors": {
                "type": "object",
                "additionalProperties": False,
                "properties": {k: {"type": "string", "pattern": "^[45][0-9][0-9]$"} for k in _ERROR_KINDS},
            },
        },
    },
    "x-mock-error": {
        "type": "object",
        "additionalProperties": False,
        "required": ["body"],
        "properties": {
            "body": {},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "x-mock-lifecycle": {
        "type": "object",
        "additionalProperties": False,
        "required": ["field", "states"],
        "properties": {
            "field": _POINTER,
            "states": {
                "type": "object",
                "minProperties": 2,
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "for": _RANGE,
                        "next": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                        },
                        "started": {"type": "boolean"},
                    },
                },
            },
            "times": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "created": _POINTER,
                    "start": _POINTER,
                    "end": _POINTER,
                    "updated": _POINTER,
                    "duration": _POINTER,
                },
            },
            "unset": {"type": "object", "propertyNames": _POINTER},
            "terminalOnly": {"type": "array", "items": _POINTER},
            "when": {
                "type": "object",
                "propertyNames": _POINTER,
                # The states in which a field is set; [] = never set by the mock (always `unset`).
                "additionalProperties": {
                    "type": "array",
                    "items": {"type": "string"},
                },
            },
            "startedAgo": _RANGE,
            "cascade": {
                "type": "object",
                "propertyNames": {"type": "string", "pattern": r"^(/[^/]*)+$"},
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    },
    "x-time": {"enum": ["rfc3339", "epoch-s", "epoch-ms"]},
    "x-faker": {
        "anyOf": [
            {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["provider"],
                "properties": {
                    "provider": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
                    "args": {"type": "object"},
                },
            },
        ]
    },
    "x-decision": {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "seed", "decision", "reason"],
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9_]+-[a-z0-9-]+$"},
                "seed": {"type": "string", "minLength": 1},
                "decision": {"type": "string", "minLength": 1},
                "reason": {"type": "string", "minLength": 1},
                "source": {"type": "string", "minLength": 1},
                "governs": {"type": "array", "items": {"type": "string", "pattern": "^(/.*)?$"}},
            },
        },
    },
    "x-seed": {"type": "string", "pattern": "^[0-9]{3}$"},
}


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
    """A listed item's state is derived from what another operation shows of the same id.

    `request` maps that operation's parameters to `$each` (the listed id); the detail's states are
    those of its tree root's children, or its own lifecycle state; the first rule that holds wins.
    """

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
    if not raw:
        return None
    return Rollup(
        operation=raw["operation"],
        request=dict(raw["request"]),
        rules=tuple(
            RollupRule(state=r["state"], any=tuple(r.get("any") or ()), all=tuple(r.get("all") or ()))
            for r in raw["states"]
        ),
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
        started_ago=(float(ago[0]), float(ago[1])),
    )
