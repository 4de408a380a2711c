"""Spec validation: openapi-spec-validator plus the project's own rules, one finding per line."""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faker import Faker
from jsonschema import Draft202012Validator
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import OpenAPIV30SpecValidator

from mockserver.exceptions import SpecError
from mockserver.render.errors import fill_template
from mockserver.spec.catalog import HTTP_METHODS, load_api, load_document, resolve_refs
from mockserver.spec.extensions import EXTENSION_SCHEMAS
from mockserver.spec.pointers import pointer_escape, pointer_resolve
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import lifecycle_from
from mockserver.verify.grounds import decisions_of

__all__ = ["BLOCKING", "RULES", "Finding", "check_servable", "check_spec"]

RULES: Mapping[str, str] = {
    "openapi": "the document is valid OpenAPI 3.0 (openapi-spec-validator)",
    "operation-id": "every operation has an operationId",
    "error-responses": "every operation documents its error responses (at least one 4xx)",
    "example-valid": "every example validates against its schema",
    "extension-valid": "every project x- extension is well-formed",
    "extension-unknown": "x-mock* names are the project's own; a typo is reported",
    "extension-refs": "extensions name real parameters, fields, states and responses",
    "error-template-valid": "an x-mock-error body, filled in, validates against the response schema",
    "decision-governs": "every x-decision names the spec nodes it governs (governs), and they exist",
}

_OURS = tuple(EXTENSION_SCHEMAS)
_FORMAT_CHECKER = OAS30Validator.FORMAT_CHECKER


@dataclass(frozen=True)
class Finding:
    """One problem: where (file and JSON pointer), which rule, and what is wrong."""

    file: str
    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer} {self.rule}: {self.message}"


def _pointer(path: Any) -> str:
    return "".join(f"/{pointer_escape(str(token))}" for token in path)


def _one_line(message: str) -> str:
    """The first line of a validator message, its white space folded (one finding, one line)."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return " ".join(first.split())


def _schema_errors(schema: Mapping[str, Any], value: Any) -> Iterator[str]:
    validator = OAS30Validator(schema, format_checker=_FORMAT_CHECKER)
    for error in validator.iter_errors(value):
        at = "/" + "/".join(str(p) for p in error.absolute_path)
        yield f"{at if at != '/' else '(root)'}: {_one_line(error.message)}"


def _walk(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any, Any]]:
    """(pointer of the parent, key, value, parent) for every mapping entry in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield pointer, str(key), value, node
            yield from _walk(value, f"{pointer}/{pointer_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _subschema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    node: Mapping[str, Any] | None = schema
    for token in pointer.split("/")[1:]:
        if node is None:
            return None
        node = (node.get("properties") or {}).get(token)
    return node


# Findings that stop `serve`: the spec cannot be served as written. (A missing operationId or an
# invalid example is a lint finding, but the mock can still answer.)
BLOCKING = frozenset(
    {"openapi", "extension-valid", "extension-unknown", "extension-refs", "error-template-valid"}
)


def check_servable(path: Path) -> None:
    """Raise SpecError naming file, location and reason for the first blocking finding."""
    for finding in check_spec(path):
        if finding.rule in BLOCKING:
            raise SpecError(f"{finding.rule}: {finding.message}", where=f"{finding.file}#{finding.pointer}")


def check_spec(path: Path) -> list[Finding]:
    """Every finding for one spec file.

    Raises:
        SpecError: the file cannot be read or parsed (lint exits 2 on it).
    """
    file = str(path)
    document = load_document(path)
    version = str(document.get("openapi", ""))
    if not version.startswith("3.0"):
        message = f"openapi version {version or 'missing'!r} is not served: Connexion 3 loads 3.0.x only"
        return [Finding(file, "/openapi", "openapi", message)]
    try:
        resolved = resolve_refs(document, where=file)
    except SpecError as error:
        # A broken $ref would make the validator raise; report it as what it is.
        return [Finding(file, error.where.partition("#")[2], "openapi", error.message)]
    findings = [
        Finding(file, _pointer(error.absolute_path), "openapi", _one_line(error.message))
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    if findings:
        return findings
    findings += _check_extensions(file, document)
    findings += _check_operations(file, resolved)
    findings += _check_examples(file, resolved)
    findings += _check_decisions(file, document)
    if not findings:
        findings += _check_refs(file, path)
    return findings


def _check_extensions(file: str, document: Mapping[str, Any]) -> list[Finding]:
    out = []
    for pointer, key, value, holder in _walk(document):
        if not key.startswith("x-"):
            continue
        where = f"{pointer}/{pointer_escape(key)}"
        if key in EXTENSION_SCHEMAS:
            for error in Draft202012Validator(EXTENSION_SCHEMAS[key]).iter_errors(value):
                at = "".join(f"/{p}" for p in error.absolute_path)
                out.append(Finding(file, where + at, "extension-valid", _one_line(error.message)))
            if key == "x-faker" and not out:
                out += _check_faker(file, where, value, holder)
            if key == "x-mock-variants" and not out:
                out += _check_variants(file, where, value, holder)
        elif key.startswith(("x-mock", "x-time", "x-faker", "x-decision", "x-seed")):
            hint = difflib.get_close_matches(key, _OURS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            out.append(Finding(file, where, "extension-unknown", f"unknown extension {key!r}{suggestion}"))
    return out


def _governable(document: Mapping[str, Any], pointer: str) -> bool:
    """The node exists, or it is an undocumented status of an existing `responses` object."""
    if pointer_resolve(document, pointer) is not None:
        return True
    parent, _, last = pointer.rpartition("/")
    return parent.endswith("/responses") and pointer_resolve(document, parent) is not None and last.isdigit()


def _check_decisions(file: str, document: Mapping[str, Any]) -> list[Finding]:
    """Each decision says which nodes verify treats as its choice (drift, not failure)."""
    out = []
    for pointer, entry in decisions_of(document):
        where = f"{pointer}/x-decision"
        if "governs" not in entry:
            message = f"decision {entry.get('id')!r} has no governs list (governs: [] if it governs no node)"
            out.append(Finding(file, where, "decision-governs", message))
            continue
        for governed in entry.get("governs") or []:
            if not _governable(document, str(governed)):
                message = f"decision {entry.get('id')!r} governs {governed!r}, which the spec does not have"
                out.append(Finding(file, where, "decision-governs", message))
    return out


def _check_faker(file: str, where: str, value: Any, holder: Mapping[str, Any]) -> list[Finding]:
    """An `x-faker` names a Faker provider that takes its args and makes a value its schema allows."""
    provider, args = (value, {}) if isinstance(value, str) else (value["provider"], value.get("args") or {})
    faker = Faker("en_US")
    faker.seed_instance(0)
    if provider.startswith("_") or not callable(getattr(faker, provider, None)):
        names = [n for n in dir(faker) if not n.startswith("_")]
        hint = difflib.get_close_matches(provider, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return [Finding(file, where, "extension-refs", f"{provider!r} is not a Faker provider{suggestion}")]
    try:
        made = getattr(faker, provider)(**args)
    except (TypeError, ValueError, AttributeError) as error:
        return [Finding(file, where, "extension-refs", f"{provider}({args}) fails: {_one_line(str(error))}")]
    schema = {k: v for k, v in holder.items() if k not in ("x-faker", "example")}
    return [
        Finding(file, where, "extension-refs", f"{provider} makes {made!r}, which the schema rejects: {e}")
        for e in _schema_errors(schema, made)
    ][:1]


def _check_variants(file: str, where: str, value: Any, holder: Mapping[str, Any]) -> list[Finding]:
    """Each `x-mock-variants` entry sets declared properties to values their schemas allow."""
    out = []
    properties = holder.get("properties") or {}
    for index, variant in enumerate(value):
        for name, given in variant.items():
            at = f"{where}/{index}/{pointer_escape(name)}"
            if name not in properties:
                hint = difflib.get_close_matches(name, list(properties), n=1)
                message = f"{name!r} is not a property" + (f"; did you mean {hint[0]!r}?" if hint else "")
                out.append(Finding(file, at, "extension-refs", message))
            elif "$ref" not in properties[name]:
                sub = {k: v for k, v in properties[name].items() if k not in ("x-faker", "example")}
                out += [
                    Finding(file, at, "extension-refs", f"{given!r}: {e}") for e in _schema_errors(sub, given)
                ]
    return out


def _operations(resolved: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path, item in (resolved.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"/paths/{pointer_escape(path)}/{method}", item[method]


def _check_operations(file: str, resolved: Mapping[str, Any]) -> list[Finding]:
    out = []
    for pointer, op in _operations(resolved):
        if not op.get("operationId"):
            out.append(Finding(file, pointer, "operation-id", "operation has no operationId"))
        statuses = [str(s) for s in op.get("responses") or {}]
        if not any(s.startswith("4") for s in statuses):
            out.append(
                Finding(
                    file,
                    f"{pointer}/responses",
                    "error-responses",
                    f"no 4xx response documented (has {statuses})",
                )
            )
        for status, response in (op.get("responses") or {}).items():
            template = response.get("x-mock-error")
            schema = _json_schema(response)
            if template is None or schema is None:
                continue
            now = time.time()
            filled = fill_template(
                template.get("body"),
                {
                    "message": "m",
                    "status": int(status),
                    "uuid": "00000000-0000-4000-8000-000000000000",
                    "now": "2024-01-01T00:00:00.000Z",
                    "now:ms": int(now * 1000),
                    "now:s": int(now),
                },
            )
            for problem in _schema_errors(schema, filled):
                out.append(
                    Finding(
                        file,
                        f"{pointer}/responses/{status}/x-mock-error",
                        "error-template-valid",
                        problem,
                    )
                )
    return out


def _json_schema(holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for media, content in (holder.get("content") or {}).items():
        if "json" in media:
            schema: Mapping[str, Any] | None = content.get("schema")
            return schema
    return None


def _check_examples(file: str, resolved: Mapping[str, Any]) -> list[Finding]:
    out = []
    for pointer, key, value, parent in _walk(resolved):
        if key == "examples" and isinstance(value, dict) and isinstance(parent.get("schema"), dict):
            for name, example in value.items():
                if isinstance(example, dict) and "value" in example:
                    for problem in _schema_errors(parent["schema"], example["value"]):
                        out.append(
                            Finding(
                                file,
                                f"{pointer}/examples/{pointer_escape(name)}",
                                "example-valid",
                                problem,
                            )
                        )
        elif key == "example" and "type" in parent and pointer.rsplit("/", 1)[-1] != "properties":
            # An example written inside a schema, checked against that schema.
            schema = {k: v for k, v in parent.items() if k != "example"}
            for problem in _schema_errors(schema, value):
                out.append(Finding(file, f"{pointer}/example", "example-valid", problem))
        elif key == "example" and isinstance(parent.get("schema"), dict):
            for problem in _schema_errors(parent["schema"], value):
                out.append(Finding(file, f"{pointer}/example", "example-valid", problem))
    return out


def _check_refs(file: str, path: Path) -> list[Finding]:
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
            children = _subschema(schema, rules.tree.children)
            items = (children or {}).get("items") or {}
            for pointer in rules.tree.unique:
                if _subschema(items, pointer) is None:
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
            field = _subschema(node, lifecycle.field)
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
                if time_field and _subschema(node, time_field) is None:
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
