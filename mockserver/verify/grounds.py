"""Where in the spec a failed expectation comes from, as JSON pointers, and which decision governs it.

A failure rests on spec nodes (a response schema keyword, the documented statuses, a security
scheme, a lifecycle rule). When an `x-decision` names one of those nodes in `governs`, the
expectation is the spec author's choice where the vendor is silent: a drift, not a broken fact.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockserver.spec.catalog import Api, Operation
from mockserver.spec.pointers import pointer_escape, pointer_resolve

__all__ = [
    "decisions_of",
    "governing_decision",
    "grounds_of",
    "locate",
    "security_grounds",
]


def _deref(document: Any, pointer: str) -> str:
    """Follow local `$ref`s from `pointer` to the node that holds the content."""
    for _ in range(20):
        node = pointer_resolve(document, pointer)
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return pointer
        pointer = ref[1:]
    return pointer


def locate(document: Any, key: str, value: Any, pointer: str = "") -> str | None:
    """The pointer of the first mapping in `document` whose `key` equals `value`."""
    if isinstance(document, Mapping):
        if document.get(key) == value:
            return pointer
        items: Iterator[tuple[str, Any]] = ((str(k), v) for k, v in document.items())
    elif isinstance(document, list):
        items = ((str(i), v) for i, v in enumerate(document))
    else:
        return None
    for token, child in items:
        found = locate(child, key, value, f"{pointer}/{pointer_escape(token)}")
        if found is not None:
            return found
    return None


def decisions_of(document: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `x-decision` entry of a document with the pointer of the node that carries it."""
    if isinstance(document, Mapping):
        for entry in document.get("x-decision") or []:
            if isinstance(entry, dict):
                yield pointer, entry
        for key, child in document.items():
            if key != "x-decision":
                yield from decisions_of(child, f"{pointer}/{pointer_escape(str(key))}")
    elif isinstance(document, list):
        for index, child in enumerate(document):
            yield from decisions_of(child, f"{pointer}/{index}")


def governing_decision(document: Any, grounds: tuple[str, ...]) -> str | None:
    """The id of the decision that governs one of `grounds` (the node itself or an ancestor)."""
    for _, entry in decisions_of(document):
        for governed in entry.get("governs") or []:
            for ground in grounds:
                if ground == governed or ground.startswith(governed.rstrip("/") + "/"):
                    return str(entry.get("id"))
    return None


def security_grounds(api: Api, op: Operation) -> tuple[str, ...]:
    """The security schemes an operation requires."""
    names = sorted({name for requirement in op.security for name in requirement})
    return tuple(
        f"/components/securitySchemes/{pointer_escape(n)}" for n in names if n in api.security_schemes
    )


def _parameter_grounds(document: Any, op: Operation, case: Any) -> tuple[str, ...]:
    """The parameter a coverage case changed, when Schemathesis says which one."""
    data = getattr(getattr(getattr(case, "meta", None), "phase", None), "data", None)
    name = getattr(data, "parameter", None)
    if name is None:
        return ()
    for index in range(len(pointer_resolve(document, f"{op.pointer}/parameters") or [])):
        pointer = _deref(document, f"{op.pointer}/parameters/{index}")
        param = pointer_resolve(document, pointer) or {}
        if isinstance(param, Mapping) and param.get("name") == name:
            return (pointer,)
    return ()


def _response_pointer(document: Any, op: Operation, status: int) -> str | None:
    responses = pointer_resolve(document, f"{op.pointer}/responses") or {}
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return _deref(document, f"{op.pointer}/responses/{pointer_escape(key)}")
    return None


def _schema_keyword(document: Any, schema_pointer: str, path: list[Any]) -> str:
    """Follow a JSON Schema error's schema path from the response schema through `$ref`s."""
    pointer = _deref(document, schema_pointer)
    for token in path:
        if token == "$ref":
            continue
        pointer = _deref(document, pointer)
        pointer = f"{pointer}/{pointer_escape(str(token))}"
    return pointer


def grounds_of(
    api: Api, op: Operation, check: str, failure: Any, status: int | None, case: Any = None
) -> tuple[str, ...]:
    """The spec nodes a Schemathesis check's failure rests on (empty: the check's own rule)."""
    document = api.document
    if check == "status_code_conformance":
        # The status is not documented: the (absent) response entry, and for a refusal the
        # security schemes whose documented refusal it replaces.
        refusal = security_grounds(api, op) if status in (401, 403) else ()
        return (f"{op.pointer}/responses/{status}", *refusal)
    if check in ("negative_data_rejection", "positive_data_acceptance"):
        return _parameter_grounds(document, op, case)
    if check == "missing_required_header":
        # Refused, only with the other refusal status: which one is the spec's choice.
        named = "authorization" in str(getattr(failure, "message", failure)).lower()
        return security_grounds(api, op) if named and status in (401, 403) else ()
    response = _response_pointer(document, op, status) if status is not None else None
    if response is None:
        return ()
    if check == "content_type_conformance":
        return (f"{response}/content",)
    if check == "response_headers_conformance":
        return (f"{response}/headers",)
    if check == "response_schema_conformance":
        content = pointer_resolve(document, f"{response}/content") or {}
        media = next((m for m in content if "json" in m), None)
        if media is None:
            return (response,)
        schema = f"{response}/content/{pointer_escape(media)}/schema"
        path = list(getattr(failure, "schema_path", None) or [])
        return (_schema_keyword(document, schema, path),)
    return ()
