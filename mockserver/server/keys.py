"""Resource keys as the control API shows them: JSON objects naming the API's own parameters.

Inside the mock a key is text, `slug:resource:(values...)` (see `produce.ask.resource_key`); the
control API and the logs show `{"api": ..., "resource": ..., "params": {name: value}}` instead.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

import orjson

from mockserver.spec.catalog import Api

__all__ = ["KeyNames"]


class KeyNames:
    """Turns a key's text into its JSON object, with the parameter names of the operations' `key`."""

    def __init__(self, apis: Sequence[Api]) -> None:
        self._names: dict[tuple[str, str, int], tuple[str, ...]] = {}
        for api in apis:
            for op in api.operations:
                refs = op.rules.key
                self._names.setdefault((api.slug, op.rules.resource, len(refs)), _names(refs))
                listing = op.rules.collection
                if listing is not None and listing.each is not None:
                    self._names.setdefault((api.slug, op.rules.resource, 1), _names((listing.each,)))

    def __call__(self, key: str) -> dict[str, Any]:
        """`{"api", "resource", "params"}` of one key; values not sent are left out."""
        slug, _, rest = key.partition(":")
        resource, _, text = rest.partition(":")
        try:
            values = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            values = None
        if not isinstance(values, tuple):
            return {"api": slug, "resource": resource, "params": {"id": text}}
        names = self._names.get((slug, resource, len(values))) or tuple(str(i) for i in range(len(values)))
        params = {name: value for name, value in zip(names, values, strict=True) if value is not None}
        return {"api": slug, "resource": resource, "params": params}

    def text(self, key: str) -> str:
        """The JSON object of a key as one line of text (for logs)."""
        return orjson.dumps(self(key)).decode()


def _names(refs: Sequence[str]) -> tuple[str, ...]:
    return tuple(ref.split(".", 1)[-1] for ref in refs)
