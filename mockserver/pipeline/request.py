"""The request being answered, as one frozen value: its operation, typed values and preferences."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.pipeline.prefer import Prefer
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.values import RequestValues

__all__ = ["Request"]

_NO_PREFERENCE = Prefer()


@dataclass(frozen=True)
class Request:
    """A routed, checked request: its API and operation, parameter values typed by their schemas
    (`{"path": {...}, "query": {...}, "header": {...}}`) and what its `Prefer` header asks for."""

    api: Api
    op: Operation
    values: RequestValues
    prefer: Prefer = _NO_PREFERENCE
