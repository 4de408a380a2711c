"""Tree and lifecycle invariants read from the spec (`x-mock.tree`, `x-mock-lifecycle`): the same
functions judge the mock (property tests) and a real server (`verify`).

A breach of a rule the spec decided (how siblings and levels relate, a Queued step's times) is
drift (`decided=True`); a breach of a vendor fact (an end before its start) is a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from mockserver.produce.lifecycle import sort_key
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.pointers import item_schema, pointer_escape, pointer_get
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import Lifecycle, Tree, lifecycle_from

__all__ = ["Breach", "Node", "check_children", "check_resource", "tree_checks"]


@dataclass(frozen=True)
class Breach:
    """One broken invariant: its rule, what was seen, whether the rule is a spec decision, and
    which state (if any) the rule rests on."""

    rule: str
    message: str
    decided: bool
    state: str | None = None


@dataclass(frozen=True)
class Node:
    """A resource's state and times (epoch seconds, None when unset) as read from a body."""

    state: Any
    start: float | None
    end: float | None


def _moment(value: Any, unit: str) -> float | None:
    """A time field as epoch seconds; None when unset (null, absent, or 0 where 0 means unset)."""
    if value is None or value == 0 or isinstance(value, bool):
        return None
    if unit in ("epoch-s", "epoch-ms") and isinstance(value, int | float):
        return float(value) / (1000 if unit == "epoch-ms" else 1)
    parsed = sort_key(value) if isinstance(value, str) else None
    return parsed if isinstance(parsed, float) else None


def read_node(resource: Mapping[str, Any], schema: Mapping[str, Any], lifecycle: Lifecycle) -> Node:
    """The state and times of one resource, in the units its schema declares."""
    props = schema.get("properties") or {}

    def moment(pointer: str | None) -> float | None:
        if pointer is None:
            return None
        unit = (props.get(pointer.lstrip("/")) or {}).get("x-time", "rfc3339")
        return _moment(pointer_get(resource, pointer), unit)

    return Node(pointer_get(resource, lifecycle.field), moment(lifecycle.start), moment(lifecycle.end))


def check_resource(node: Node, lifecycle: Lifecycle) -> list[Breach]:
    """A resource alone: not started means no times; an end is never before the start."""
    out = []
    known = lifecycle.states.get(str(node.state))
    if known is not None and not known.started:
        if node.end is not None:
            out.append(Breach("not_started_has_no_end", f"{node.state} with an end time", True, known.name))
        if node.start is not None:
            message = f"{node.state} with a start time"
            out.append(Breach("not_started_has_no_start", message, True, known.name))
    if node.start is not None and node.end is not None and node.end < node.start:
        out.append(Breach("start_before_end", f"ends {node.start - node.end:.3f}s before it starts", False))
    return out


def check_children(
    rules: Tree, lifecycle: Lifecycle, children: Sequence[Node], parent: Node | None
) -> list[Breach]:
    """Siblings in their declared order, a parent's state rolled up from them, inside its span."""
    out = [b for child in children for b in check_resource(child, lifecycle)]
    states = [str(c.state) for c in children]
    if rules.siblings == "sequence" and lifecycle is not None:
        proceed = set(rules.proceed) or {s for s, v in lifecycle.states.items() if v.terminal}
        stopped = next((i for i, s in enumerate(states) if s not in proceed), None)
        if stopped is not None and any(s != lifecycle.initial for s in states[stopped + 1 :]):
            out.append(Breach("siblings_in_sequence", f"{states} start before the one ahead ended", True))
        for ahead, after in pairwise(children):
            if ahead.end is not None and after.start is not None and after.start < ahead.end:
                out.append(Breach("siblings_in_sequence", "a step starts before the one ahead ends", True))
    if parent is not None and children:
        expected = rules.state(states) if rules.rollup else None
        if expected is not None and str(parent.state) != expected:
            out.append(Breach("parent_follows_children", f"{parent.state} over children {states}", True))
        for child in children:
            early = parent.start is None or (child.start is not None and child.start < parent.start)
            if child.start is not None and early:
                out.append(Breach("child_inside_parent", "a child starts before its parent", True))
            if parent.end is not None and child.end is not None and child.end > parent.end:
                out.append(Breach("child_inside_parent", "a child ends after its parent", True))
    return out


def _schema_pointer(document: Any, op: Operation, status: int, inner: str) -> str:
    """The spec pointer of the schema at `inner` (a JSON pointer into the body) of `op`'s answer,
    following local `$ref`s (where an `x-decision` can name it in `governs`)."""
    pointer = f"{op.pointer}/responses/{status}/content/application~1json/schema"
    pointer, node = _deref(document, pointer)
    for token in inner.split("/")[1:]:
        kind = "items" if isinstance(node, Mapping) and node.get("type") == "array" else f"properties/{token}"
        pointer, node = _deref(document, f"{pointer}/{kind}")
    return pointer


def _deref(document: Any, pointer: str) -> tuple[str, Any]:
    node = _resolve(document, pointer)
    for _ in range(20):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        pointer, node = ref[1:], _resolve(document, ref[1:])
    return pointer, node


def _resolve(document: Any, pointer: str) -> Any:
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node.get(token) if isinstance(node, Mapping) else None
    return node


def tree_checks(api: Api, violation: Callable[..., Exception]) -> list[Any]:
    """Schemathesis checks: each answered tree node, and each child with children fetched once.

    A breach raises `violation(check=, operation=, title=, expected=, got=)` (verify's
    `ContractViolation`) carrying `grounds`, the spec nodes the rule rests on (the operation's
    `x-mock.tree`, the lifecycle state): an `x-decision` governing one makes it drift, which
    verify's drift rule keeps aside (a warning unless `--strict`)."""

    def report(op: Operation, status: int, rules: Tree, breach: Breach) -> None:
        title = f"{breach.rule}: {breach.message}" + (" (spec decision: drift)" if breach.decided else "")
        # A vendor fact (an end before its start) rests on no spec choice: no grounds, a failure.
        grounds = [f"{op.pointer}/x-mock/tree"] if breach.decided else []
        if breach.decided and breach.state is not None:
            items = _schema_pointer(api.document, op, status, f"{rules.children}/0")
            state = pointer_escape(breach.state)
            grounds.append(f"{items}/x-mock-lifecycle/states/{state}")
        raise violation(
            check=breach.rule,
            operation=op.id,
            title=title,
            expected="the tree tells one story",
            got=breach.message,
            grounds=tuple(grounds),
        )

    def tree_invariants(ctx: Any, response: Any, case: Any) -> bool | None:
        wanted = case.operation.definition.raw.get("operationId")
        op = next((o for o in api.operations if o.id == wanted), None)
        if op is None or op.rules.tree is None or not 200 <= response.status_code < 300:
            return None
        rules = op.rules.tree
        schema = item_schema(response_schema(op, response.status_code) or {}, rules.children)
        raw = schema.get("x-mock-lifecycle")
        if not raw:
            return None
        lifecycle = lifecycle_from(raw)
        body = response.json()
        children = [c for c in pointer_get(body, rules.children) or [] if isinstance(c, dict)]
        nodes = [read_node(c, schema, lifecycle) for c in children]
        for breach in check_children(rules, lifecycle, nodes, None):
            report(op, response.status_code, rules, breach)
        url = str(getattr(getattr(response, "request", None), "url", "") or "")
        name = rules.param.partition(".")[2]
        for child, node in zip(children, nodes, strict=True):
            if url and rules.param.startswith("query.") and pointer_get(child, rules.flag):
                below = _get(
                    url, name, pointer_get(child, rules.id), dict(getattr(response.request, "headers", {}))
                )
                if below is not None:
                    grand = [
                        read_node(c, schema, lifecycle) for c in pointer_get(below, rules.children) or []
                    ]
                    for breach in check_children(rules, lifecycle, grand, node):
                        report(op, response.status_code, rules, breach)
                break  # one level down per answer keeps verify's request count small
        return True

    tree_invariants.__name__ = "tree_invariants"
    return [tree_invariants]


def _get(url: str, name: str, value: Any, headers: Mapping[str, str]) -> Any:
    """The same request with the tree parameter set to `value`; None unless a JSON 2xx comes back."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    target = urlunsplit(parts._replace(query=urlencode([*query, (name, str(value))])))
    try:
        answer = httpx.get(
            target, headers={k: v for k, v in headers.items() if k.lower() != "content-length"}
        )
        return answer.json() if answer.is_success else None
    except (httpx.HTTPError, ValueError):
        return None
