"""ASGI middleware around the APIs: the request journal, and the admin token of the control API."""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.exceptions import StateUnavailable
from mockserver.pipeline.pins import CURRENT_SESSION
from mockserver.render.errors import render_problem
from mockserver.render.reply import Reply
from mockserver.store import JournalEntry, SessionError, Store
from mockserver.store.sessions import session_scope

__all__ = [
    "CURRENT_ENTRY",
    "AdminGuard",
    "JournalMiddleware",
    "NoRedirect",
    "SessionRouter",
    "mark_dropped",
    "printable",
    "render_reply",
]

CURRENT_ENTRY: ContextVar[JournalEntry | None] = ContextVar("mockserver_journal_entry", default=None)


def render_reply(reply: Reply) -> Response:
    body = b"" if reply.body is None else orjson.dumps(reply.body)
    entry = CURRENT_ENTRY.get()
    if entry is not None and reply.observed:
        entry.observed = reply.observed
    return Response(body, reply.status, dict(reply.headers), media_type=reply.media_type)


_LOG = logging.getLogger("mockserver.access")
_COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}
# What uvicorn logs when an app returns mid-answer, which is what a dropped-connection fault does.
_INCOMPLETE = "ASGI callable returned without completing response."


def mark_dropped() -> None:
    """Note that the current request's connection is dropped on purpose (a fault)."""
    entry = CURRENT_ENTRY.get()
    if entry is not None:
        entry.dropped = True


def printable(text: str) -> str:
    """`text` with control and other unprintable characters escaped (`\\x1b`), safe for a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class _DropFilter(logging.Filter):
    """Drops uvicorn's error line for each answer the mock cut short on purpose (it logs `dropped`)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pending > 0 and record.getMessage() == _INCOMPLETE:
            self.pending -= 1
            return False
        return True


_DROPS = _DropFilter()


def _colour() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def _access_line(entry: JournalEntry, colour: bool) -> str:
    """One line per request: method, path (and query), status, milliseconds."""
    target = printable(entry.path + (f"?{entry.query}" if entry.query else ""))
    status = "dropped" if entry.dropped else str(entry.status)
    if colour:
        code = "35" if entry.dropped else _COLOURS.get(entry.status // 100, "0")
        status = f"\033[{code}m{status}\033[0m"
    return f"{printable(entry.method)} {target} {status} {entry.latency_ms:.1f}ms"


class JournalMiddleware:
    """Record every API request (not the mock's own `/__mock/` paths) with masked credentials."""

    def __init__(self, app: ASGIApp, store: Store, secret: frozenset[str], *, access_log: bool) -> None:
        self.app = app
        self.store = store
        self.secret = secret
        self.access_log = access_log
        self.colour = _colour()
        uvicorn_errors = logging.getLogger("uvicorn.error")
        if _DROPS not in uvicorn_errors.filters:
            uvicorn_errors.addFilter(_DROPS)

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
            secret=self.secret,
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
            if entry.dropped:
                _DROPS.pending += 1
            CURRENT_ENTRY.reset(token)
            with contextlib.suppress(StateUnavailable):  # the answer is sent; the store logged it
                await self.store.append(CURRENT_SESSION.get(), entry)
            if self.access_log:
                _LOG.info(_access_line(entry, self.colour))


class SessionRouter:
    """Outermost: the request's session (`X-Mock-Session` or a `/__session/<name>/` prefix, stripped),
    and the store's start and end with the server's lifespan."""

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            session, routed = session_scope(scope)
        except SessionError as exc:
            await render_reply(render_problem("bad-session", str(exc)))(scope, receive, send)
            return
        token = CURRENT_SESSION.set(session)
        try:
            await self.app(routed, receive, send)
        finally:
            CURRENT_SESSION.reset(token)

    def _closing(self, receive: Receive) -> Receive:
        """`receive` that writes the store's queue and closes it when the server shuts down."""

        async def closing() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                with contextlib.suppress(StateUnavailable):
                    await self.store.close()
            return message

        return closing


class AdminGuard:
    """The control API (`/__mock/`, not its docs) answers only with the admin token, when one is set."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            self.token
            and scope["type"] == "http"
            and path.startswith("/__mock/")
            and not path.startswith("/__mock/docs/")
        ):
            given = next((v for k, v in scope["headers"] if k == b"x-mock-admin-token"), b"")
            if not hmac.compare_digest(given, self.token):
                detail = "send the token given to --admin-token in the X-Mock-Admin-Token header"
                await render_reply(render_problem("admin-token-required", detail))(scope, receive, send)
                return
        await self.app(scope, receive, send)


class NoRedirect:
    """Answers what `answer(method, path)` replies to (a trailing slash) before Starlette's router
    can redirect it; passes every other request on."""

    def __init__(self, app: ASGIApp, answer: Callable[[str, str], Reply | None]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/") and len(scope["path"]) > 1:
            reply = self.answer(scope["method"], scope["path"])
            if reply is not None:
                await render_reply(reply)(scope, receive, send)
                return
        await self.app(scope, receive, send)
