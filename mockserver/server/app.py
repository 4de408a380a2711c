"""Build the ASGI app: one Connexion app mounting every API, one generic handler per operation.

A request's path through the app:

    Journal -> Control (Prefer, faults) -> index / docs / Connexion:
      ServerError -> Exception (native errors) -> Routing -> Security -> RequestValidation
      -> ResponseValidation (opt-in) -> handler (scenario, fixture or generated body)
    The control API (`/__mock/`) is one more Connexion API, described by admin.yaml.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from connexion import AsyncApp
from connexion.exceptions import NonConformingResponse, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Scope

from mockserver.lint import check_servable
from mockserver.pipeline.faults import load_fault_plan
from mockserver.pipeline.parameters import (
    VALUES_KEY,
    RequestParameters,
    SpecParameterValidator,
    path_parameter_problem,
    security_map,
)
from mockserver.pipeline.prefer import PreferError, parse_prefer
from mockserver.pipeline.state import MockState
from mockserver.produce.fixtures import load_fixtures
from mockserver.produce.lifecycle import Clock
from mockserver.produce.producer import Responder
from mockserver.render.errors import render_error, render_problem
from mockserver.render.reply import Reply
from mockserver.server.admin import ADMIN_SPEC, admin_handlers
from mockserver.server.connexion import MockApp, RequestValidationMiddleware, scope_handler
from mockserver.server.docs import docs_routes
from mockserver.server.middleware import ControlMiddleware, JournalMiddleware, render_reply
from mockserver.settings import Settings, parse_origin
from mockserver.spec.catalog import Api, Operation, load_api, load_catalog, load_document

__all__ = ["MockServer", "create_app", "create_app_from_environ"]


class MockServer:
    """The loaded APIs and the machinery that answers for them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        for spec in settings.specs:
            check_servable(spec)
        self.apis: list[Api] = load_catalog(settings.specs)
        self.fixtures = load_fixtures(settings.fixtures, self.apis)
        self.clock = Clock(parse_origin(settings.clock_origin), scale=settings.time_scale)
        self.faults = load_fault_plan(
            settings.faults,
            latency=settings.latency,
            error_rate=settings.error_rate,
            error_status=settings.error_status,
            drop_rate=settings.drop_rate,
            seed=settings.fault_seed,
        )
        self.secret_headers = frozenset(
            str(s.get("name", "")).lower() for api in self.apis for s in api.security_schemes.values()
        )
        self.responder = Responder(
            self.fixtures,
            self.clock,
            state=MockState(journal_size=settings.journal_size, max_ids=settings.max_ids),
            seed=settings.seed,
            fixtures_only=settings.fixtures_only,
            cache_size=settings.cache_size,
        )

    def find(self, method: str, path: str) -> tuple[Api, Operation, dict[str, str]] | None:
        """The operation serving `method path`, with its path parameters."""
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
        return [op.method for api in self.apis for op in api.operations if op.matches(path) is not None]

    def closest(self, path: str) -> list[str]:
        templates = [op.full_path for api in self.apis for op in api.operations]
        return difflib.get_close_matches(path, templates, n=3, cutoff=0.3)

    def handler(self, api: Api, op: Operation) -> Callable[..., Awaitable[Response]]:
        """The operation's handler: the request's values come parsed and validated in the scope."""
        reader = RequestParameters.of(
            [
                {
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "schema": p.schema,
                    "explode": p.explode,
                }
                for p in op.parameters
            ]
        )

        @scope_handler
        async def handle(scope: Scope) -> Response:
            values = scope.get(VALUES_KEY)
            if values is None:  # not validated on the way (no validator ran): read them here
                values = reader.read(scope)
            raw = next((v for k, v in scope["headers"] if k == b"prefer"), None)
            prefer = parse_prefer(None if raw is None else raw.decode("latin-1"))
            return render_reply(self.responder.respond(api, op, values, prefer))

        return handle

    def error_reply(self, method: str, path: str, headers: Any, exc: Exception) -> Reply:
        """Turn a failure raised inside Connexion into the API's native error or a mock problem."""
        if isinstance(exc, NonConformingResponse):
            return render_problem("response-invalid", str(exc.detail))
        if isinstance(exc, PreferError):
            return render_problem("bad-prefer", str(exc))
        status = int(getattr(exc, "status", None) or getattr(exc, "status_code", None) or 500)
        detail = str(getattr(exc, "detail", "") or exc)
        if status == 405:
            allow = ", ".join(self.allowed(path))
            return render_problem(
                "method-not-allowed",
                f"{method} is not declared for {path}; allowed: {allow}",
                headers={"Allow": allow},
            )
        found = self.find(method, path)
        if found is None and status == 404 and (near := self.enclosing(method, path)) is not None:
            # The path is inside an API but fits no template: a path parameter is empty. Where the
            # schema allows an empty id, no such resource exists; otherwise the request is invalid.
            in_path = [p for p in near.parameters if p.location == "path"]
            empty_ok = all(path_parameter_problem([p], {p.name: ""}) is None for p in in_path)
            names = ", ".join(repr(p.name) for p in in_path)
            message = f"no resource at {path}" if empty_ok else f"path parameter {names} is empty in {path}"
            reply = render_error(
                near, "notFound" if empty_ok else "invalid", message, self.responder.generator
            )
            if reply is not None:
                return reply
        if found is None:
            if status == 404:
                hint = self.closest(path)
                did_you_mean = f"; did you mean {' or '.join(hint)}?" if hint else ""
                return render_problem("no-such-route", f"no API serves {path}{did_you_mean}")
            return (
                render_problem("mock-failure", detail)
                if status >= 500
                else render_problem("bad-request", detail)
            )
        api, op, params = found
        if status == 404 and isinstance(exc, HTTPException) and not isinstance(exc, ProblemException):
            # Connexion's router refuses a path parameter of the wrong type before validation does.
            problem = path_parameter_problem(op.parameters, params)
            if problem is not None:
                status, detail = 400, problem
            else:  # e.g. an id with a line break, which Starlette's mounts never route
                detail = f"no resource at {path}"
        kind = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "notFound"}.get(status)
        if kind is None:
            return (
                render_problem("mock-failure", detail)
                if status >= 500
                else render_problem("bad-request", detail)
            )
        if kind in ("unauthenticated", "forbidden"):
            detail = _credential_message(api, op, headers) or detail
        reply = render_error(op, kind, detail, self.responder.generator)
        return reply or render_problem("undocumented-failure", detail)


def _credential_message(api: Api, op: Operation, headers: Any) -> str | None:
    """Name the credential headers a request lacks, for the first security requirement."""
    present = {k.lower() for k in headers}
    for requirement in op.security:
        missing = []
        for name in requirement:
            scheme = api.security_schemes.get(name) or {}
            header = scheme.get("name", name) if scheme.get("type") == "apiKey" else "Authorization"
            if str(header).lower() not in present:
                missing.append(repr(str(header)))
        if missing:
            return f"missing credential: header {' and '.join(missing)} is required"
    return None


class _OperationResolver(Resolver):  # type: ignore[misc]
    def __init__(self, server: MockServer, api: Api) -> None:
        super().__init__()
        self.server = server
        self.api = api

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        return self.server.handler(self.api, self.api.operation(operation_id))


# Connexion's default stack minus its Swagger UI middleware (docs.py serves the UI at uniform
# paths, and that middleware would route every request once more) and its lifespan middleware
# (the mock has no startup or shutdown hooks). Order as in connexion.middleware.main.
MIDDLEWARES = [
    ServerErrorMiddleware,
    ExceptionMiddleware,
    RoutingMiddleware,
    SecurityMiddleware,
    RequestValidationMiddleware,
    ResponseValidationMiddleware,
    ContextMiddleware,
]


def _connexion_app(server: MockServer) -> AsyncApp:
    settings = server.settings
    app = MockApp(
        __name__,
        middlewares=MIDDLEWARES,
        security_map=security_map(settings.tokens or None),
        validator_map={"parameter": SpecParameterValidator},
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
        validate_responses=settings.validate_responses,
    )
    handlers = admin_handlers(server, render_reply)
    app.add_api(
        load_document(ADMIN_SPEC),
        base_path="/__mock",
        resolver=Resolver(function_resolver=lambda name: handlers[name.rsplit(".", 1)[-1]]),
        name="__mock",
    )
    # A mount at a shorter base path would shadow a longer one: mount the most specific first.
    for api in sorted(server.apis, key=lambda a: -len(a.base_path)):
        app.add_api(
            copy.deepcopy(dict(api.document)),
            base_path=api.base_path,
            resolver=_OperationResolver(server, api),
            name=api.slug,
        )

    def on_error(req: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        reply = server.error_reply(req.method, req.scope["path"], req.headers, exc)
        body = b"" if reply.body is None else orjson.dumps(reply.body)
        return ConnexionResponse(reply.status, reply.media_type, body=body, headers=dict(reply.headers))

    for exc_type in (ProblemException, HTTPException, PreferError, Exception):
        app.add_error_handler(exc_type, on_error)
    return app


def create_app_from_environ() -> ASGIApp:
    """The app of one worker process, from the `MOCKSERVER_*` variables its parent set."""
    return create_app(Settings.from_sources({}))


def create_app(settings: Settings) -> ASGIApp:
    """The whole server as one ASGI app.

    Raises:
        SpecError, FixtureError: a spec or fixture file cannot be served.
    """
    server = MockServer(settings)
    api_app = _connexion_app(server)
    routes: Sequence[Route | Mount] = docs_routes(server.apis, load_api(ADMIN_SPEC))
    outer = JournalMiddleware(ControlMiddleware(Router(routes=list(routes), default=api_app), server), server)
    outer.server = server
    return outer
