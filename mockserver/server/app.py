"""Build the ASGI app: one Connexion app mounting every API, one generic handler per operation.

A request's path through the app:

    SessionRouter -> Journal -> AdminGuard -> index / docs | Connexion:
      ServerError -> Exception (native errors, `failures`) -> Routing -> Security
      -> RequestValidation (parameters read once) -> ResponseValidation (opt-in)
      -> handler: Prefer read -> `pipeline.choose` (Prefer, fault, scenario, fixture, generate)
    The control API (`/__mock/`) is one more Connexion API, described by admin.yaml.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import orjson
from connexion import AsyncApp
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.routing import Router
from starlette.types import ASGIApp

from mockserver.lint import check_servable
from mockserver.pipeline.choose import Chooser
from mockserver.pipeline.faults import check_fault_plan, load_fault_plan
from mockserver.pipeline.pins import SessionClock, StorePins
from mockserver.pipeline.route import Routes
from mockserver.produce.fixtures import load_fixtures
from mockserver.produce.producer import Producer
from mockserver.server.admin import ADMIN_SPEC, admin_handlers
from mockserver.server.connexion import MIDDLEWARES, MockApp, SpecParameterValidator, security_map
from mockserver.server.docs import docs_routes
from mockserver.server.failures import FAILURE_TYPES, failure_reply, trailing_slash_reply
from mockserver.server.handler import operation_handler
from mockserver.server.middleware import AdminGuard, JournalMiddleware, NoRedirect, SessionRouter
from mockserver.settings import Settings, default_fixture_dir, default_spec_dir, parse_origin
from mockserver.spec.catalog import Api, load_api, load_catalog, load_document
from mockserver.spec.security import credential_headers
from mockserver.store import from_settings

__all__ = ["MockServer", "create_app", "create_app_from_environ"]


class MockServer:
    """The loaded APIs and the parts that answer for them, wired once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        for spec in settings.specs:
            check_servable(spec)
        self.apis: list[Api] = load_catalog(settings.specs)
        self.routes = Routes(self.apis)
        # APIs that exist beside the served ones (their spec directories, the bundled specs): a
        # fixture folder or fault rule for one of them is idle, not a typo.
        beside = {spec.parent for spec in settings.specs} | {default_spec_dir()}
        known = {path.stem for folder in beside for path in folder.glob("*.yaml")}
        self.fixtures = load_fixtures(
            settings.fixtures,
            self.apis,
            known=known,
            must_exist=settings.fixtures != default_fixture_dir(),
        )
        self.clock = SessionClock(parse_origin(settings.clock_origin), scale=settings.time_scale)
        self.faults = load_fault_plan(
            settings.faults,
            latency=settings.latency,
            error_rate=settings.error_rate,
            error_status=settings.error_status,
            drop_rate=settings.drop_rate,
            seed=settings.fault_seed,
        )
        for warning in check_fault_plan(self.faults, self.apis, known):
            logging.getLogger("mockserver").warning("mockserver: warning: %s", warning)
        self.secret_headers = credential_headers(self.apis)
        self.store = from_settings(settings)
        pins = StorePins(self.store, self.clock)
        self.producer = Producer(
            self.fixtures, self.clock, pins, seed=settings.seed, cache_size=settings.cache_size
        )
        self.chooser = Chooser(self.producer, self.faults, self.store, fixtures_only=settings.fixtures_only)


class _OperationResolver(Resolver):  # type: ignore[misc]
    def __init__(self, server: MockServer, api: Api) -> None:
        super().__init__()
        self.server = server
        self.api = api

    def resolve_function_from_operation_id(self, operation_id: str) -> Callable[..., Any]:
        return operation_handler(self.api, self.api.operation(operation_id), self.server.chooser)


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
    handlers = admin_handlers(server.apis, server.clock, server.store)
    control = Routes([load_api(ADMIN_SPEC)])
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
        reply = failure_reply(
            server.routes,
            server.producer.generator,
            req.method,
            req.scope["path"],
            req.headers,
            exc,
            control=control,
        )
        body = b"" if reply.body is None else orjson.dumps(reply.body)
        return ConnexionResponse(reply.status, reply.media_type, body=body, headers=dict(reply.headers))

    for exc_type in FAILURE_TYPES:
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
    # Connexion logs "No auth provided. Aborting with 401." per refused request; the access line
    # already says 401.
    logging.getLogger("connexion.security").setLevel(logging.WARNING)
    routes = docs_routes(server.apis, load_api(ADMIN_SPEC))
    router = Router(routes=list(routes), default=_connexion_app(server))
    generator = server.producer.generator
    answered = NoRedirect(
        router, lambda method, path: trailing_slash_reply(server.routes, generator, method, path)
    )
    guarded = AdminGuard(answered, settings.admin_token)
    journal = JournalMiddleware(guarded, server.store, server.secret_headers, access_log=settings.access_log)
    outer = SessionRouter(journal, server.store)
    outer.server = server  # type: ignore[attr-defined]  # cli.py reads the journal at shutdown
    return outer
