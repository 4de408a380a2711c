"""Which operation a method and path name, and the nearest ones when none does (for clear errors)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from mockserver.spec.catalog import Api, Operation

__all__ = ["Routes"]


class Routes:
    """The operations of every served API, looked up by method and concrete path."""

    def __init__(self, apis: Sequence[Api]) -> None:
        self.apis = tuple(apis)

    def find(self, method: str, path: str) -> tuple[Api, Operation, dict[str, str]] | None:
        """The operation serving `method path`, with its raw path parameters."""
        for api in self.apis:
            for op in api.operations:
                if op.method == method and (params := op.matches(path)) is not None:
                    return api, op, params
        return None

    def enclosing(self, method: str, path: str) -> Operation | None:
        """The operation whose template's fixed prefix (up to its first parameter) starts `path`."""
        best: tuple[int, Operation] | None = None
        for api in self.apis:
            for op in api.operations:
                prefix = op.full_path.split("{", 1)[0]
                inside = op.method == method and "{" in op.full_path and path.startswith(prefix)
                if inside and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), op)
        return best[1] if best else None

    def allowed(self, path: str) -> list[str]:
        """The methods declared for `path`."""
        return [op.method for api in self.apis for op in api.operations if op.matches(path) is not None]

    def closest(self, path: str) -> list[str]:
        """Up to three path templates that look like `path` ("did you mean")."""
        templates = [op.full_path for api in self.apis for op in api.operations]
        return difflib.get_close_matches(path, templates, n=3, cutoff=0.3)

    def api(self, slug: str) -> Api | None:
        """The API served under `slug`."""
        return next((a for a in self.apis if a.slug == slug), None)
