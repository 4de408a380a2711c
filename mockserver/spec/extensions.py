"""The project's `x-` extensions: their JSON Schemas, in one place (parsed forms: `spec.rules`).

| extension          | where                  | what it says                                          |
|--------------------|------------------------|-------------------------------------------------------|
| `x-mock`           | operation              | key, echo, collection, tree, errors, scenarios        |
| `x-mock-error`     | response               | the body (and headers) of the API's native error      |
| `x-mock-lifecycle` | schema                 | states over time, the time fields that follow them, |
|                    |                        | and nested states that follow (`cascade`, `*` = each item; |
|                    |                        | `cascadeOrder`: one item at a time); `shows`: mock-only |
| `x-mock.tree`      | operation              | `siblings`, `proceed`, `rollup`: one story per tree   |
| `x-time`           | schema                 | a timestamp's unit: rfc3339, epoch-s, epoch-ms        |
| `x-faker`          | schema                 | the Faker provider that makes a realistic value       |
| `x-mock-items`     | array schema           | how many items the mock makes (like the vendor's)     |
| `x-mock-optional`  | object schema          | the chance an optional property is left out (0.15)    |
| `x-mock-variants`  | object schema          | sets of field values that go together; one per value  |
| `x-decision`       | anywhere               | a contradiction in the vendor docs and how it was decided |
| `x-seed`           | info                   | which vendor document the spec was written from       |

A request value is named `path.NAME`, `query.NAME` or `header.NAME`; a field is a JSON pointer
relative to the resource (`/status`, `/data/accountId`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ERROR_KINDS", "EXTENSION_SCHEMAS"]

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
_ROLLUP_RULES = {
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
}
ERROR_KINDS = ("invalid", "unauthenticated", "forbidden", "notFound", "throttled", "internal")

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
                            "states": _ROLLUP_RULES,
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
                    # how children relate: one after the other, or side by side
                    "siblings": {"enum": ["sequence", "parallel"]},
                    # in a sequence, the next sibling starts only after one ends in these states
                    "proceed": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    # a parent's state from its children's (first rule wins), as collection.rollup
                    "rollup": _ROLLUP_RULES,
                    # fields no two siblings share (a milestone name appears once per level)
                    "unique": {"type": "array", "items": _POINTER},
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
                "properties": {k: {"type": "string", "pattern": "^[45][0-9][0-9]$"} for k in ERROR_KINDS},
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
            # like `when`, but the mock's choice only: what it shows, not what verify expects
            "shows": {
                "type": "object",
                "propertyNames": _POINTER,
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            # the cascade's items run one after the other (lanes of a workflow), not side by side
            "cascadeOrder": {
                "type": "object",
                "additionalProperties": False,
                "required": ["items", "proceed", "waiting", "every"],
                "properties": {
                    "items": _POINTER,
                    "proceed": {"type": "string"},
                    "waiting": {"type": "string"},
                    "every": {"type": "number", "exclusiveMinimum": 0},
                },
            },
            "cascade": {
                "type": "object",
                "propertyNames": {"type": "string", "pattern": r"^(/[^/]*)+$"},
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    },
    "x-time": {"enum": ["rfc3339", "epoch-s", "epoch-ms"]},
    "x-mock-items": _RANGE,
    "x-mock-optional": {"type": "number", "minimum": 0, "maximum": 1},
    "x-mock-variants": {"type": "array", "minItems": 1, "items": {"type": "object", "minProperties": 1}},
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
