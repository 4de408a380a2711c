"""ASGI middleware around the APIs: the request journal, and control first (Prefer, faults)."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import sys
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.pipeline.prefer import Prefer, PreferError, parse_prefer
from mockserver.pipeline.state import JournalEntry
from mockserver.render.errors import render_error, render_problem
from mockserver.render.reply import Reply

if TYPE_CHECKING:
    from mockserver.server.app import MockServer

__all__ = ["CURRENT_ENTRY", "ControlMiddleware", "DroppedConnection", "JournalMiddleware", "render_reply"]

CURRENT_ENTRY: ContextVar[JournalEntry | None] = ContextVar("mockserver_journal_entry", default=None)


class DroppedConnection(ConnectionAbortedError):
    """Raised after the response started, so the server closes the connection mid-answer."""


def render_reply(reply: Reply) -> Response:
    body = b"" if reply.body is None else orjson.dumps(reply.body)
    entry = CURRENT_ENTRY.get()
    if entry is not None and reply.observed:
        entry.observed = reply.observed
    return Response(body, reply.status, dict(reply.headers), media_type=reply.media_type)


_LOG = logging.getLogger("mockserver.access")
_COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}


def _colour() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def _access_line(entry: JournalEntry, colour: bool) -> str:
    """One line per request: method, path (and query), status, milliseconds."""
    target = entry.path + (f"?{entry.query}" if entry.query else "")
    status = str(entry.status)
    if colour:
        status = f"\033[{_COLOURS.get(entry.status // 100, '0')}m{status}\033[0m"
    return f"{entry.method} {target} {status} {entry.latency_ms:.1f}ms"


class JournalMiddleware:
    """Record every API request (not the mock's own `/__mock/` paths) with masked credentials."""

    def __init__(self, app: ASGIApp, server: MockServer) -> None:
        self.app = app
        self.server = server
        self.colour = _colour()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/__mock/") or scope["path"] == "/":
            await self.app(scope, receive, send)
            return
        client = scope.get("client") or ("?", 0)
        entry = JournalEntry(
            time=time.time(),
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            raw_headers=scope["headers"],
            secret=self.server.secret_headers,
            client_host=str(client[0]),
        )
        token = CURRENT_ENTRY.set(entry)
        started = time.perf_counter()

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = int(message["status"])
                for key, value in message.get("headers", []):
                    if key.lower() == b"retry-after":
                        try:
                            entry.retry_after = float(value)
                        except ValueError:
                            entry.retry_after = None
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            entry.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            self.server.responder.state.journal.add(entry)
            CURRENT_ENTRY.reset(token)
            if self.server.settings.access_log:
                _LOG.info(_access_line(entry, self.colour))


class ControlMiddleware:
    """Control first: `Prefer` and fault rules decide a response before any check."""

    def __init__(self, app: ASGIApp, server: MockServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = self.server.settings.admin_token
        path = scope["path"]
        if token and path.startswith("/__mock/") and not path.startswith("/__mock/docs/"):
            given = next((v for k, v in scope["headers"] if k == b"x-mock-admin-token"), b"")
            if not hmac.compare_digest(given, token.encode()):
                detail = "send the token given to --admin-token in the X-Mock-Admin-Token header"
                await render_reply(render_problem("admin-token-required", detail))(scope, receive, send)
                return
        raw = next((v for k, v in scope["headers"] if k == b"prefer"), None)
        prefer = Prefer()
        if raw is not None:
            try:
                prefer = parse_prefer(raw.decode("latin-1"))
            except PreferError as exc:
                await render_reply(render_problem("bad-prefer", str(exc)))(scope, receive, send)
                return
        if prefer.delay_ms:
            await asyncio.sleep(prefer.delay_ms / 1000)
        if not self.server.faults and prefer.code is None and prefer.example is None:
            await self.app(scope, receive, send)
            return
        found = self.server.find(scope["method"], scope["path"])
        if found is not None and self.server.faults:
            api, op, _ = found
            decision = self.server.faults.decide(api.slug, op)
            if decision.delay_s:
                await asyncio.sleep(decision.delay_s)
            if decision.drop:
                await send(
                    {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
                )
                raise DroppedConnection(f"fault: connection dropped for {op.id}")
            if decision.status is not None:
                message = f"fault injected: {decision.status}"
                reply = render_error(op, "", message, self.server.responder.generator, status=decision.status)
                if reply is not None:
                    headers = dict(reply.headers)
                    if decision.retry_after is not None:
                        headers["Retry-After"] = f"{decision.retry_after:g}"
                    await render_reply(Reply(reply.status, reply.body, headers, reply.media_type))(
                        scope, receive, send
                    )
                    return
        if found is None or (prefer.code is None and prefer.example is None):
            await self.app(scope, receive, send)
            return
        api, op, params = found
        values: dict[str, Any] = {"path": params, "query": {}, "header": {}}
        try:
            reply = self.server.responder.respond(api, op, values, prefer)
        except PreferError as exc:
            reply = render_problem("bad-prefer", str(exc))
        await render_reply(reply)(scope, receive, send)
