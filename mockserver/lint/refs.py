"""The `extension-refs` rule: what `x-mock` and `x-mock-lifecycle` name exists in the spec."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockserver.lint.findings import Finding, subschema
from mockserver.spec.catalog import load_api
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import lifecycle_from

__all__ = ["check_refs"]


def check_refs(file: str, path: Path) -> list[Finding]:
    """Extensions name real parameters, responses, fields and lifecycle states of their operation."""
    api = load_api(path)
    out = []
    for op in api.operations:
        rules = op.rules
        refs = [*rules.key, *rules.echo.values()]
        if rules.collection:
            c = rules.collection
            refs += [r for r in (c.each, c.limit, c.offset, *c.echo.values()) if r and r != "$each"]
            refs += [f.param for f in c.filters]
        if rules.tree:
            refs.append(rules.tree.param)
        for ref in refs:
            if op.parameter(ref) is None:
                out.append(
                    Finding(
                        file,
                        f"{op.pointer}/x-mock",
                        "extension-refs",
                        f"{ref!r} is not a parameter of {op.id}",
                    )
                )
        for kind, status in rules.errors.items():
            if status not in op.responses:
                out.append(
                    Finding(
                        file,
                        f"{op.pointer}/x-mock/errors/{kind}",
                        "extension-refs",
                        f"{status} is not a documented response",
                    )
                )
        schema = response_schema(op, next((s for s in op.responses if s.startswith("2")), "200")) or {}
        out += _check_lifecycles(file, f"{op.pointer}/responses", schema)
        out += _check_scenarios(file, op, schema)
        if rules.collection is not None and rules.collection.rollup is not None:
            out += _check_rollup(file, api, op, rules.collection.rollup, schema)
        if rules.tree is not None:
            children = subschema(schema, rules.tree.children)
            items = (children or {}).get("items") or {}
            for pointer in rules.tree.unique:
                if subschema(items, pointer) is None:
                    message = f"tree unique field {pointer} is not a property of the children"
                    out.append(Finding(file, f"{op.pointer}/x-mock/tree", "extension-refs", message))
            states = _states_in(schema)
            for state in {
                *rules.tree.proceed,
                *(s for r in rules.tree.rollup for s in (r.state, *r.any, *r.all)),
            }:
                if state not in states:
                    hint = difflib.get_close_matches(state, sorted(states), n=1)
                    message = f"tree state {state!r} is not a lifecycle state of {op.id}" + (
                        f"; did you mean {hint[0]!r}?" if hint else f" ({sorted(states)})"
                    )
                    out.append(Finding(file, f"{op.pointer}/x-mock/tree", "extension-refs", message))
    return out


def _states_in(schema: Mapping[str, Any]) -> set[str]:
    """Every lifecycle state declared anywhere in a response schema."""
    found: set[str] = set()
    if isinstance(raw := schema.get("x-mock-lifecycle"), dict):
        found |= set(raw.get("states") or {})
    for value in schema.values():
        if isinstance(value, dict):
            found |= _states_in(value)
    return found


def _check_scenarios(file: str, op: Any, schema: Mapping[str, Any]) -> list[Finding]:
    out = []
    states = _states_in(schema)
    for name, scenario in op.rules.scenarios.items():
        where = f"{op.pointer}/x-mock/scenarios/{name}"
        for step in scenario.steps:
            for state in [s for s in (step.state, *step.children) if s is not None]:
                if state not in states:
                    message = (
                        f"scenario state {state!r} is not a lifecycle state of {op.id} ({sorted(states)})"
                    )
                    out.append(Finding(file, where, "extension-refs", message))
            if step.status is not None and step.status not in op.responses:
                message = f"scenario status {step.status} is not documented by {op.id}"
                out.append(Finding(file, where, "extension-refs", message))
    return out


def _check_rollup(file: str, api: Any, op: Any, rollup: Any, schema: Mapping[str, Any]) -> list[Finding]:
    where = f"{op.pointer}/x-mock/collection/rollup"
    target = next((o for o in api.operations if o.id == rollup.operation), None)
    if target is None:
        return [
            Finding(file, where, "extension-refs", f"{rollup.operation!r} is not an operation of this API")
        ]
    out = []
    for ref in rollup.request:
        if target.parameter(ref) is None:
            out.append(Finding(file, where, "extension-refs", f"{ref!r} is not a parameter of {target.id}"))
    target_schema = response_schema(target, next((s for s in target.responses if s.startswith("2")), "200"))
    own, theirs = _states_in(schema), _states_in(target_schema or {})
    for rule in rollup.rules:
        if rule.state not in own:
            message = f"rollup state {rule.state!r} is not a lifecycle state of {op.id} ({sorted(own)})"
            out.append(Finding(file, where, "extension-refs", message))
        for state in (*rule.any, *rule.all):
            if state not in theirs:
                message = (
                    f"rollup condition {state!r} is not a lifecycle state of {target.id} ({sorted(theirs)})"
                )
                out.append(Finding(file, where, "extension-refs", message))
    return out


def _check_lifecycles(file: str, pointer: str, schema: Mapping[str, Any]) -> list[Finding]:
    out = []
    seen: set[int] = set()

    def visit(node: Any) -> None:
        if not isinstance(node, dict) or id(node) in seen:
            return
        seen.add(id(node))
        if raw := node.get("x-mock-lifecycle"):
            lifecycle = lifecycle_from(raw)
            field = subschema(node, lifecycle.field)
            if field is None:
                out.append(
                    Finding(
                        file,
                        pointer,
                        "extension-refs",
                        f"lifecycle field {lifecycle.field} is not a property",
                    )
                )
            else:
                enum = [v for v in field.get("enum") or [] if v is not None]
                for state in lifecycle.states.values():
                    if enum and state.name not in enum:
                        out.append(
                            Finding(
                                file,
                                pointer,
                                "extension-refs",
                                f"lifecycle state {state.name!r} is not in the enum {enum}",
                            )
                        )
                    for target in state.next:
                        if target not in lifecycle.states:
                            out.append(
                                Finding(
                                    file,
                                    pointer,
                                    "extension-refs",
                                    f"state {state.name!r} moves to undeclared {target!r}",
                                )
                            )
            for names in (*lifecycle.when.values(), *lifecycle.shows.values()):
                for name in names:
                    if name not in lifecycle.states:
                        out.append(
                            Finding(
                                file,
                                pointer,
                                "extension-refs",
                                f"'when' names undeclared state {name!r}",
                            )
                        )
            time_fields = (
                lifecycle.created,
                lifecycle.start,
                lifecycle.end,
                lifecycle.updated,
                lifecycle.duration,
            )
            for time_field in (*time_fields, *lifecycle.terminal_only, *lifecycle.when, *lifecycle.shows):
                if time_field and subschema(node, time_field) is None:
                    out.append(
                        Finding(
                            file,
                            pointer,
                            "extension-refs",
                            f"lifecycle field {time_field} is not a property",
                        )
                    )
        for value in node.values():
            if isinstance(value, dict):
                visit(value)
            elif isinstance(value, list):
                for item in value:
                    visit(item)

    visit(schema)
    return out
