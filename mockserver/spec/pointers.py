"""JSON pointers, the one way the package names a place in a document or a body."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = [
    "item_schema",
    "pointer_delete",
    "pointer_escape",
    "pointer_follow",
    "pointer_get",
    "pointer_resolve",
    "pointer_set",
    "subschema",
]


def pointer_escape(token: str) -> str:
    """One key as a pointer token (`~` and `/` escaped, RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer_follow(document: Any, ref: str) -> Any:
    """What a local `$ref` (`#/a/b/0`) names in `document`.

    Raises:
        KeyError, IndexError, ValueError, TypeError: the reference points to nothing.
    """
    if not ref.startswith("#"):
        raise KeyError(ref)
    node: Any = document
    for token in ref[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def pointer_get(document: Any, pointer: str) -> Any:
    """The value at `pointer` in a body, or None where there is none."""
    node = document
    for token in pointer.split("/")[1:]:
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def pointer_resolve(document: Any, pointer: str) -> Any:
    """The node at `pointer` ('' is the document), following no references; None when absent."""
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def pointer_set(document: MutableMapping[str, Any], pointer: str, value: Any) -> None:
    """Set the value at `pointer`, making the objects on the way."""
    tokens = pointer.split("/")[1:]
    node: Any = document
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    node[tokens[-1]] = value


def pointer_delete(document: MutableMapping[str, Any], pointer: str) -> None:
    """Remove the value at `pointer`, if it is there."""
    tokens = pointer.split("/")[1:]
    parent = pointer_get(document, "/" + "/".join(tokens[:-1])) if len(tokens) > 1 else document
    if isinstance(parent, dict):
        parent.pop(tokens[-1], None)


def subschema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    """The schema of the property a pointer names (`{}` when the schema does not declare it)."""
    node = schema
    for token in pointer.split("/")[1:]:
        node = (node.get("properties") or {}).get(token) or {}
    return node


def item_schema(schema: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    """The schema of the items of the array at `pointer` (`""`: the schema itself is the array)."""
    array = schema if pointer == "" else subschema(schema, pointer)
    items: Mapping[str, Any] = array.get("items") or {}
    return items
