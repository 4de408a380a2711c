"""A fake server that proves `mockserver verify`: the real mock with exactly one documented fact broken.

    python -m tests.verify.fake --break NAME --port PORT [--seed N] [--time-scale X] [SPEC ...]

The fake is the mock app (`mockserver.app.create_app`) behind one ASGI middleware. For a
breakage the middleware buffers the exchange and changes one thing: the request on its way in
(drop a parameter, add a credential, ask again with another method) or the response on its way
out (status, a header, the JSON body). `--break none` is the mock itself, untouched: a correct
fake. `BREAKAGES` names each breakage, the API it breaks and the verify check expected to catch it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver.settings import UVICORN_OPTIONS, Settings, default_spec_dir
from mockserver.spec.catalog import load_catalog

__all__ = [
    "BREAKAGES",
    "NONE",
    "TIME_SCALE",
    "Breakage",
    "BreakingMiddleware",
    "Request",
    "Response",
    "build_app",
    "main",
    "operation_finder",
]

NONE = "none"
TIME_SCALE = 20.0
"""Mock seconds per real second: runs move through their states while a verify polls them."""


@dataclass(frozen=True)
class Request:
    """One buffered request, and the operation (operationId) that serves it, if any."""

    method: str
    path: str
    query_string: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    operation: str | None

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == wanted), None)

    def query(self, name: str) -> list[str]:
        """The values of a query parameter, decoded, in order."""
        return [value for key, value in _pairs(self.query_string) if key == name]

    def without_query(self, name: str) -> Request:
        kept = [part for part in self.query_string.split(b"&") if _key(part) != name]
        return replace(self, query_string=b"&".join(kept))

    def with_query(self, name: str, value: str) -> Request:
        kept = [part for part in self.query_string.split(b"&") if part and _key(part) != name]
        return replace(self, query_string=b"&".join([*kept, f"{name}={value}".encode()]))

    def with_header(self, name: str, value: str) -> Request:
        key = name.lower().encode("latin-1")
        kept = tuple((k, v) for k, v in self.headers if k.lower() != key)
        return replace(self, headers=(*kept, (key, value.encode("latin-1"))))


def _key(part: bytes) -> str:
    return unquote_plus(part.split(b"=", 1)[0].decode("latin-1"))


def _pairs(query_string: bytes) -> list[tuple[str, str]]:
    pairs = []
    for part in query_string.split(b"&"):
        if part:
            key, _, value = part.decode("latin-1").partition("=")
            pairs.append((unquote_plus(key), unquote_plus(value)))
    return pairs


@dataclass(frozen=True)
class Response:
    """One buffered response."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == wanted), None)

    def is_json(self) -> bool:
        return (self.header("content-type") or "").startswith("application/json") and bool(self.body)

    def json(self) -> Any:
        return orjson.loads(self.body)

    def with_header(self, name: str, value: str) -> Response:
        key = name.lower().encode("latin-1")
        kept = tuple((k, v) for k, v in self.headers if k.lower() != key)
        return replace(self, headers=(*kept, (key, value.encode("latin-1"))))

    def with_json(self, value: Any) -> Response:
        body = orjson.dumps(value)
        return replace(self, body=body).with_header("content-length", str(len(body)))


Forward = Callable[[Request], Awaitable[Response]]
"""Ask the real mock."""
Break = Callable[[Request, Forward], Awaitable[Response]]
"""One breakage: answer a request, asking the real mock (once or more) on the way."""
Mutate = Callable[[Any, Request], Any]
"""Change a JSON body (in place or by returning a new one); returns the body to send."""
Finder = Callable[[str, str], str | None]
"""(method, path) -> the operationId that serves it, if any."""


def operation_finder(specs: Sequence[Path]) -> Finder:
    """Which operation of these specs serves a request: read from the specs, as the mock does."""
    operations = [op for api in load_catalog(specs) for op in api.operations]

    def find(method: str, path: str) -> str | None:
        return next(
            (op.id for op in operations if op.method == method and op.matches(path) is not None), None
        )

    return find


# -- helpers: where a breakage applies ---------------------------------------------------------

CODECATALYST = frozenset({"getWorkflowRun"})
EIGHT_BY_EIGHT = frozenset({"listWorkflowInstances"})
ETLWORKS = frozenset({"getFlowStatus", "getFlowStatusLegacy"})
ONEDATA = frozenset({"getWorkflowExecutionDetails"})
ORACLE_STATUS = frozenset({"getWorkflowStatus"})
ORACLE_DETAILS = frozenset({"getWorkflowStatusDetails"})
EIGHT_BY_EIGHT_STATUSES = ("Runnable", "Suspended", "Complete", "Terminated")
CODECATALYST_TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")


def on_success(operations: Collection[str], change: Callable[[Response, Request], Response]) -> Break:
    """Change the 200 answers of these operations."""

    async def apply(request: Request, forward: Forward) -> Response:
        response = await forward(request)
        if request.operation in operations and response.status == 200:
            return change(response, request)
        return response

    return apply


def on_body(operations: Collection[str], mutate: Mutate) -> Break:
    """Change the JSON body of the 200 answers of these operations."""

    def change(response: Response, request: Request) -> Response:
        if not response.is_json():
            return response
        return response.with_json(mutate(response.json(), request))

    return on_success(operations, change)


def on_request(operations: Collection[str], change: Callable[[Request], Request]) -> Break:
    """Change the requests to these operations before the mock sees them."""

    async def apply(request: Request, forward: Forward) -> Response:
        return await forward(change(request) if request.operation in operations else request)

    return apply


def _epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def _single_int(values: list[str]) -> int | None:
    if len(values) != 1:
        return None
    try:
        return int(values[0])
    except ValueError:
        return None


# -- the breakages -----------------------------------------------------------------------------


def _enum_value() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        body["status"] = "RUNNING"
        return body

    return on_body(CODECATALYST, mutate)


def _missing_required() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        body.pop("workflowId", None)
        return body

    return on_body(CODECATALYST, mutate)


def _wrong_type() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        body["started"] = str(body["started"])
        return body

    return on_body(ETLWORKS, mutate)


def _epoch_for_rfc3339() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        for item in body:
            item["startedAt"] = _epoch_ms(item["startedAt"])
        return body

    return on_body(EIGHT_BY_EIGHT, mutate)


def _undocumented_status() -> Break:
    return on_success(ONEDATA, lambda response, request: replace(response, status=202))


def _wrong_content_type() -> Break:
    return on_success(ETLWORKS, lambda response, request: response.with_header("content-type", "text/plain"))


def _server_error() -> Break:
    def change(response: Response, request: Request) -> Response:
        failed = replace(response, status=500)
        return failed.with_json({"code": "InternalServerError", "message": "Internal server error"})

    return on_success(ORACLE_DETAILS, change)


def _bad_input_accepted() -> Break:
    """A list request the mock refuses (bad query) is answered with the list, as if the query were empty."""

    async def apply(request: Request, forward: Forward) -> Response:
        response = await forward(request)
        if request.operation in EIGHT_BY_EIGHT and response.status == 400:
            retry = await forward(replace(request, query_string=b""))
            if retry.status == 200:
                return retry
        return response

    return apply


def _over_limit() -> Break:
    def change(request: Request) -> Request:
        limit = _single_int(request.query("limit"))
        if limit is None or not 1 <= limit < 500:
            return request
        return request.with_query("limit", str(limit + 1))

    return on_request(EIGHT_BY_EIGHT, change)


def _filter_ignored() -> Break:
    def change(request: Request) -> Request:
        valid = request.query("status") and all(v in EIGHT_BY_EIGHT_STATUSES for v in request.query("status"))
        return request.without_query("status") if valid else request

    return on_request(EIGHT_BY_EIGHT, change)


def _wrong_order() -> Break:
    return on_body(EIGHT_BY_EIGHT, lambda body, request: list(reversed(body)))


def _other_id() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        body["atmWorkflowExecutionId"] = f"other-{body.get('atmWorkflowExecutionId', '')}"
        return body

    return on_body(ONEDATA, mutate)


def _unauthenticated_accepted() -> Break:
    def change(request: Request) -> Request:
        if request.header("authorization") is not None:
            return request
        return request.with_header("authorization", "Bearer added-by-the-fake")

    return on_request(ETLWORKS, change)


def _status_regression() -> Break:
    """Every second terminal answer for one run reads IN_PROGRESS again (without its end time)."""
    terminal_answers: dict[str, int] = {}

    def mutate(body: Any, request: Request) -> Any:
        if body.get("status") in CODECATALYST_TERMINAL:
            seen = terminal_answers.get(request.path, 0)
            terminal_answers[request.path] = seen + 1
            if seen % 2 == 1:
                body["status"] = "IN_PROGRESS"
                body.pop("endTime", None)
        return body

    return on_body(CODECATALYST, mutate)


def _start_moves() -> Break:
    """The n-th answer for one workflow execution has its start time n seconds later."""
    answers: dict[str, int] = {}

    def mutate(body: Any, request: Request) -> Any:
        seen = answers.get(request.path, 0)
        answers[request.path] = seen + 1
        if body.get("startTime"):
            body["startTime"] += seen
        return body

    return on_body(ONEDATA, mutate)


def _end_moves() -> Break:
    """The n-th answer for one flow has its end time n seconds later (status and start kept)."""
    answers: dict[str, int] = {}

    def mutate(body: Any, request: Request) -> Any:
        if body.get("ended") is not None:
            seen = answers.get(request.path, 0)
            answers[request.path] = seen + 1
            body["ended"] += 1000 * seen
        return body

    return on_body(ETLWORKS, mutate)


def _end_unset() -> Break:
    """A run in a terminal state has no end time."""

    def mutate(body: Any, request: Request) -> Any:
        if body.get("status") in CODECATALYST_TERMINAL:
            body.pop("endTime", None)
        return body

    return on_body(CODECATALYST, mutate)


def _start_before_created() -> Break:
    """Each instance starts an hour before its trigger was raised."""

    def mutate(body: Any, request: Request) -> Any:
        for item in body:
            started = datetime.fromisoformat(item["startedAt"].replace("Z", "+00:00"))
            item["data"]["triggeredAt"] = (started + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        return body

    return on_body(EIGHT_BY_EIGHT, mutate)


def _end_before_start() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        if body.get("ended") is not None:
            body["ended"] = body["started"] - 1000
        return body

    return on_body(ETLWORKS, mutate)


def _status_fields() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        if body.get("status") == "running":
            body["ended"] = body["started"]
        return body

    return on_body(ETLWORKS, mutate)


def _when_field() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        if body.get("status") != "error":
            body["code"] = "select 1"
        return body

    return on_body(ETLWORKS, mutate)


def _pages_inconsistent() -> Break:
    def change(request: Request) -> Request:
        offset = _single_int(request.query("offset"))
        return request.without_query("offset") if offset is not None and offset >= 0 else request

    return on_request(EIGHT_BY_EIGHT, change)


def _missing_id() -> Break:
    def mutate(body: Any, request: Request) -> Any:
        body["response"] = body["response"][:-1]
        return body

    return on_body(ORACLE_STATUS, mutate)


def _no_405() -> Break:
    """A method no path declares is answered as if it were GET."""

    async def apply(request: Request, forward: Forward) -> Response:
        response = await forward(request)
        if response.status == 405 and request.method != "GET":
            return await forward(replace(request, method="GET"))
        return response

    return apply


@dataclass(frozen=True)
class Breakage:
    """One documented fact, broken; `slug` is the API (spec) it breaks, `check` what should catch it."""

    name: str
    slug: str
    check: str
    fact: str
    make: Callable[[], Break]
    time_scale: float = TIME_SCALE
    title: str = ""
    """Part of the failure's title, where one check has several branches (each needs its fake)."""


BREAKAGES: dict[str, Breakage] = {
    b.name: b
    for b in (
        Breakage(
            "enum-value",
            "codecatalyst",
            "response_schema_conformance",
            "status is one of its enum (here RUNNING)",
            _enum_value,
        ),
        Breakage(
            "missing-required",
            "codecatalyst",
            "response_schema_conformance",
            "workflowId is required (here dropped)",
            _missing_required,
        ),
        Breakage(
            "wrong-type",
            "etlworks",
            "response_schema_conformance",
            "started is an integer (here a string)",
            _wrong_type,
        ),
        Breakage(
            "epoch-for-rfc3339",
            "eightbyeight",
            "response_schema_conformance",
            "startedAt is an RFC 3339 date-time (here epoch milliseconds)",
            _epoch_for_rfc3339,
        ),
        Breakage(
            "undocumented-status",
            "onedata",
            "status_code_conformance",
            "success is 200 (here 202, undocumented)",
            _undocumented_status,
        ),
        Breakage(
            "wrong-content-type",
            "etlworks",
            "content_type_conformance",
            "the status is application/json (here text/plain)",
            _wrong_content_type,
        ),
        Breakage(
            "server-error",
            "oracle_selfservice",
            "not_a_server_error",
            "a valid details request succeeds (here 500)",
            _server_error,
        ),
        Breakage(
            "bad-input-accepted",
            "eightbyeight",
            "negative_data_rejection",
            "an invalid query is 400 (here 200 with the list)",
            _bad_input_accepted,
        ),
        Breakage(
            "over-limit",
            "eightbyeight",
            "list_within_limit",
            "at most limit items (here limit+1 when more exist)",
            _over_limit,
        ),
        Breakage(
            "filter-ignored",
            "eightbyeight",
            "filters_honoured",
            "status= filters the list (here ignored)",
            _filter_ignored,
        ),
        Breakage(
            "wrong-order",
            "eightbyeight",
            "documented_order",
            "newest first by startedAt (here oldest first)",
            _wrong_order,
        ),
        Breakage(
            "other-id",
            "onedata",
            "ids_echoed",
            "atmWorkflowExecutionId is the requested wid (here another id)",
            _other_id,
        ),
        Breakage(
            "unauthenticated-accepted",
            "etlworks",
            "credentials_required",
            "no Authorization is 401 (here 200)",
            _unauthenticated_accepted,
        ),
        Breakage(
            "status-regression",
            "codecatalyst",
            "no_status_regression",
            "a terminal run stays terminal (here every second poll reads IN_PROGRESS)",
            _status_regression,
            title="a terminal state was left",
        ),
        Breakage(
            "start-moves",
            "onedata",
            "no_status_regression",
            "startTime never moves (here +1 s per poll)",
            _start_moves,
            title="the start time moved",
        ),
        Breakage(
            "end-before-start",
            "etlworks",
            "time_order",
            "started <= ended (here ended = started - 1 s)",
            _end_before_start,
            title="ends before it starts",
        ),
        Breakage(
            "status-fields",
            "etlworks",
            "status_fields",
            "ended only once the flow has run (here set while running)",
            _status_fields,
            # Real time: flows stay running long enough for verify to see some.
            time_scale=1.0,
            title="is set while running",
        ),
        Breakage(
            "when-field",
            "etlworks",
            "status_fields",
            "code only in status error (here set in every other status)",
            _when_field,
            title="/code is set while",
        ),
        Breakage(
            "end-moves",
            "etlworks",
            "no_status_regression",
            "an end time stays once set (here +1 s per answer)",
            _end_moves,
            title="the end time changed",
        ),
        Breakage(
            "end-unset",
            "codecatalyst",
            "status_fields",
            "a terminal run has its endTime (here dropped)",
            _end_unset,
            title="is unset although",
        ),
        Breakage(
            "start-before-created",
            "eightbyeight",
            "time_order",
            "a workflow starts after its trigger was raised (here an hour before)",
            _start_before_created,
            title="starts before it was created",
        ),
        Breakage(
            "pages-inconsistent",
            "eightbyeight",
            "pages_consistent",
            "offset pages through one list (here ignored)",
            _pages_inconsistent,
        ),
        Breakage(
            "missing-id",
            "oracle_selfservice",
            "one_entry_per_id",
            "one entry per requested id (here the last one dropped)",
            _missing_id,
        ),
        Breakage(
            "no-405",
            "etlworks",
            "unsupported_method",
            "an undeclared method is 405 (here answered as GET)",
            _no_405,
        ),
    )
}


# -- the app -----------------------------------------------------------------------------------


class BreakingMiddleware:
    """Buffers each HTTP exchange and lets one breakage answer it through the real mock."""

    def __init__(self, app: ASGIApp, find: Finder, breakage: Break) -> None:
        self.app = app
        self.find = find
        self.breakage = breakage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = Request(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b""),
            headers=tuple(scope["headers"]),
            body=body,
            operation=self.find(scope["method"], scope["path"]),
        )

        async def forward(asked: Request) -> Response:
            return await self._ask(scope, receive, asked)

        response = await self.breakage(request, forward)
        await send(
            {"type": "http.response.start", "status": response.status, "headers": list(response.headers)}
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _ask(self, scope: Scope, receive: Receive, request: Request) -> Response:
        inner: dict[str, Any] = {
            **scope,
            "method": request.method,
            "query_string": request.query_string,
            "headers": list(request.headers),
        }
        if "state" in scope:
            inner["state"] = dict(scope["state"])
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            return await receive()

        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, replay, capture)
        return Response(int(start.get("status", 500)), tuple(start.get("headers", ())), b"".join(chunks))


def build_app(breakage: str, settings: Settings) -> ASGIApp:
    """The mock for `settings`, with the named breakage (`none`: the mock itself)."""
    from mockserver.app import create_app

    app = create_app(settings)
    if breakage == NONE:
        return app
    return BreakingMiddleware(app, operation_finder(settings.specs), BREAKAGES[breakage].make())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.verify.fake", description=__doc__.split("\n")[0])
    parser.add_argument("specs", nargs="*", type=Path, help="spec files (default: every file in specs/)")
    parser.add_argument("--break", dest="breakage", required=True, choices=[NONE, *BREAKAGES])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-scale", type=float, default=None, help="default: the breakage's own")
    parser.add_argument("--clock-origin", default="now")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import uvicorn

    known = BREAKAGES.get(args.breakage)
    time_scale = args.time_scale or (known.time_scale if known else TIME_SCALE)
    settings = Settings(
        specs=tuple(args.specs) or tuple(sorted(default_spec_dir().glob("*.yaml"))),
        port=args.port,
        seed=args.seed,
        time_scale=time_scale,
        clock_origin=args.clock_origin,
        access_log=False,
    )
    app = build_app(args.breakage, settings)
    print(f"fake: --break {args.breakage} on http://127.0.0.1:{args.port}/", file=sys.stderr)
    uvicorn.run(app, host="127.0.0.1", port=args.port, **UVICORN_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
