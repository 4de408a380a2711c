"""A tiny HTTP harness (standard library only) for the independent reference servers.

Nothing here comes from `mockserver`: each reference server is written from its vendor page
alone, so it shares none of our specs' decisions. A server is a list of routes; a route is a
method, a path regex and a handler that gets a `Request` and returns a `Reply`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["TOKENS", "Reply", "Request", "Route", "digest", "iso", "json_reply", "serve"]

STARTED = time.time()
TOKENS = {"test-token", "aaa.bbb.ccc"}
"""The credentials a reference server accepts (`--token` replaces them); any other is refused."""


@dataclass(frozen=True)
class Request:
    """One request: method, path parameters, query values (lists), headers (lower-case names)."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler

    def match(self, path: str) -> dict[str, str] | None:
        found = re.fullmatch(self.pattern, path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


def json_reply(status: int, body: Any, **headers: str) -> Reply:
    return Reply(status, body, {"Content-Type": "application/json", **headers})


def digest(*parts: object) -> int:
    """A stable number from `parts` (same id, same resource, every run)."""
    text = "|".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def iso(epoch: float, digits: int = 3) -> str:
    """RFC 3339 UTC with `digits` fractional digits."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    if not digits:
        return whole + "Z"
    return f"{whole}.{int((epoch % 1) * 10**digits):0{digits}d}Z"


def serve(routes: Sequence[Route], port: int, not_found: Callable[[str], Reply]) -> None:
    """Serve `routes` on 127.0.0.1:`port` until interrupted."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            matched = [(r, r.match(path)) for r in routes]
            found = [(r, p) for r, p in matched if p is not None]
            if not found:
                reply = not_found(path)
            else:
                route, params = next(((r, p) for r, p in found if r.method == self.command), (None, None))
                if route is None or params is None:
                    allowed = ", ".join(sorted({r.method for r, _ in found}))
                    reply = Reply(405, None, {"Allow": allowed})
                else:
                    request = Request(
                        self.command,
                        path,
                        params,
                        parse_qs(parts.query, keep_blank_values=True),
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                    reply = route.handler(request)
            body = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def __getattr__(self, name: str) -> Any:
            # Every method reaches the routes (an undeclared one is 405 there), not only the usual.
            if name.startswith("do_"):
                return self._answer
            raise AttributeError(name)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        server.server_close()
