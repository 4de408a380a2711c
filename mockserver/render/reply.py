"""The value every stage of the pipeline hands back: what to send."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PROBLEM_JSON", "Reply"]

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Reply:
    """A response before serialisation: status, JSON body (or None), headers, media type."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str = "application/json"
    # (resource key, state, terminal) of each execution the reply shows, for the poll report.
    observed: tuple[tuple[str, str | None, bool | None], ...] = ()
