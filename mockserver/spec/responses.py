"""An operation's documented responses: which one is success, its JSON schema, its examples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.spec.catalog import Operation

__all__ = ["response_examples", "response_schema", "success_status"]


def success_status(op: Operation) -> str:
    """The status of the operation's success response: its first 2xx (200 when none is documented)."""
    return next((s for s in op.responses if s.startswith("2")), "200")


def response_schema(op: Operation, status: int | str) -> Mapping[str, Any] | None:
    """The JSON schema of a documented response, or None when it has no JSON body."""
    response = op.responses.get(str(status)) or op.responses.get("default")
    if response is None:
        return None
    for media, content in (response.get("content") or {}).items():
        if "json" in media:
            schema: Mapping[str, Any] = content.get("schema") or {}
            return schema
    return None


def response_examples(op: Operation, status: int | str) -> Mapping[str, Any]:
    """The named examples (name -> value) of a documented JSON response."""
    response = op.responses.get(str(status)) or {}
    for media, content in (response.get("content") or {}).items():
        if "json" in media:
            return {name: ex.get("value") for name, ex in (content.get("examples") or {}).items()}
    return {}
