"""The lint finding and the document walks every rule shares; the OpenAPI-level rules."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30Validator

from mockserver.render.errors import fill_template
from mockserver.spec.catalog import HTTP_METHODS
from mockserver.spec.pointers import pointer_escape

__all__ = [
    "Finding",
    "check_examples",
    "check_operations",
    "json_pointer",
    "json_schema",
    "one_line",
    "schema_errors",
    "subschema",
    "walk",
]

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


def json_pointer(path: Any) -> str:
    """The JSON pointer of a validator's path (tokens escaped)."""
    return "".join(f"/{pointer_escape(str(token))}" for token in path)


def one_line(message: str) -> str:
    """The first line of a validator message, its white space folded (one finding, one line)."""
    first = message.strip().splitlines()[0] if message.strip() else message
    return " ".join(first.split())


def schema_errors(schema: Mapping[str, Any], value: Any) -> Iterator[str]:
    """Why `value` fails `schema` (OpenAPI 3.0 rules, formats checked), one line each."""
    validator = OAS30Validator(schema, format_checker=_FORMAT_CHECKER)
    for error in validator.iter_errors(value):
        at = "/" + "/".join(str(p) for p in error.absolute_path)
        yield f"{at if at != '/' else '(root)'}: {one_line(error.message)}"


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, str, Any, Any]]:
    """(pointer of the parent, key, value, parent) for every mapping entry in the document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield pointer, str(key), value, node
            yield from walk(value, f"{pointer}/{pointer_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def subschema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any] | None:
    """The property schema a field pointer (`/a/b`) names, or None."""
    node: Mapping[str, Any] | None = schema
    for token in pointer.split("/")[1:]:
        if node is None:
            return None
        node = (node.get("properties") or {}).get(token)
    return node


def json_schema(holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schema of a response's or body's JSON content, if it has one."""
    for media, content in (holder.get("content") or {}).items():
        if "json" in media:
            schema: Mapping[str, Any] | None = content.get("schema")
            return schema
    return None


def _operations(resolved: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for path, item in (resolved.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield f"/paths/{pointer_escape(path)}/{method}", item[method]


def check_operations(file: str, resolved: Mapping[str, Any]) -> list[Finding]:
    """operationId, documented 4xx, and `x-mock-error` templates that fit their schema."""
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
            schema = json_schema(response)
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
            for problem in schema_errors(schema, filled):
                out.append(
                    Finding(
                        file,
                        f"{pointer}/responses/{status}/x-mock-error",
                        "error-template-valid",
                        problem,
                    )
                )
    return out


def check_examples(file: str, resolved: Mapping[str, Any]) -> list[Finding]:
    """Every `example` and `examples` value validates against its schema."""
    out = []
    for pointer, key, value, parent in walk(resolved):
        if key == "examples" and isinstance(value, dict) and isinstance(parent.get("schema"), dict):
            for name, example in value.items():
                if isinstance(example, dict) and "value" in example:
                    for problem in schema_errors(parent["schema"], example["value"]):
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
            for problem in schema_errors(schema, value):
                out.append(Finding(file, f"{pointer}/example", "example-valid", problem))
        elif key == "example" and isinstance(parent.get("schema"), dict):
            for problem in schema_errors(parent["schema"], value):
                out.append(Finding(file, f"{pointer}/example", "example-valid", problem))
    return out
