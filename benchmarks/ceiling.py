"""The ceiling: a bare ASGI app on the mock's uvicorn settings that answers a fixed body per API.

Each body is a real response of the mock for that endpoint (the median-sized one of a sample), so
the ceiling moves the same bytes with none of the work. Run as
`python -m benchmarks.ceiling --port P --bodies FILE` where FILE maps a path prefix to a body.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.config import HOST
from mockserver.settings import UVICORN_OPTIONS

__all__ = ["make_app", "pick_body"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

NOT_FOUND = b'{"detail":"not found"}'


def pick_body(bodies: Sequence[bytes]) -> bytes:
    """The median-sized body of a sample."""
    if not bodies:
        raise ValueError("no body to pick from")
    return sorted(bodies, key=len)[len(bodies) // 2]


def make_app(routes: dict[str, bytes]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app answering 200 with `routes[prefix]` for paths starting with `prefix`."""
    table = sorted(routes.items(), key=lambda item: -len(item[0]))
    headers = {
        prefix: [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        for prefix, body in table
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        for prefix, body in table:
            if path.startswith(prefix):
                await send({"type": "http.response.start", "status": 200, "headers": headers[prefix]})
                await send({"type": "http.response.body", "body": body})
                return
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": NOT_FOUND})

    return app


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True, help="JSON: {path prefix: body text}")
    args = parser.parse_args(argv)
    routes = {k: v.encode() for k, v in json.loads(args.bodies.read_text(encoding="utf-8")).items()}
    # The mock's own uvicorn options: one worker, uvloop, httptools, warnings only, no access log.
    uvicorn.run(make_app(routes), host=HOST, port=args.port, **UVICORN_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
