"""The one generic handler of every API operation: read the request, let `choose` decide, send."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockserver.pipeline.choose import Chooser
from mockserver.pipeline.parameters import RequestParameters, parameter_specs
from mockserver.pipeline.prefer import Prefer, parse_prefer
from mockserver.pipeline.request import Request
from mockserver.server.connexion import VALUES_KEY, read_values, scope_handler
from mockserver.server.middleware import mark_dropped, render_reply
from mockserver.spec.catalog import Api, Operation

__all__ = ["DropConnection", "operation_handler"]

_NO_PREFERENCE = Prefer()


class DropConnection(Response):
    """Start a response, then stop mid-answer: the server closes the connection (a fault)."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"64"), (b"content-type", b"application/json")]
        mark_dropped()
        await send({"type": "http.response.start", "status": 200, "headers": headers})


def operation_handler(api: Api, op: Operation, chooser: Chooser) -> Callable[[Scope], Awaitable[Response]]:
    """The operation's handler: its values come parsed and checked in the scope (else read here)."""
    reader = RequestParameters.of(parameter_specs(op))

    @scope_handler
    async def handle(scope: Scope) -> Response:
        values = scope.get(VALUES_KEY)
        if values is None:  # not validated on the way (no validator ran): read them here
            values = read_values(reader, scope)
        raw = next((v for k, v in scope["headers"] if k == b"prefer"), None)
        prefer = _NO_PREFERENCE if raw is None else parse_prefer(raw.decode("latin-1"))
        choice = await chooser.choose(Request(api, op, values, prefer))
        if choice.delay_s:
            await asyncio.sleep(choice.delay_s)
        if choice.drop or choice.reply is None:
            return DropConnection()
        return render_reply(choice.reply)

    return handle
