"""Connexion, held in one place: every touch of its internals, guarded by tests/unit/test_connexion.py.

Public extension points are used where they reach: the `middlewares` list, `validator_map`,
`security_map`, error handlers. What still needs internals (marked `# internal:`) is here alone.

Connexion 3 builds some objects afresh for every request: the request validator and its URI parser,
and, in the app at the end of the stack, the whole decorator chain around the view function (which
inspects the function's signature each time). The mock keeps Connexion's routing, security and
request validation, and builds those objects once per operation at start-up:

- `RequestValidationMiddleware`: an operation without a request body validates its parameters
  with one compiled validator (`validation.SpecParameterValidator`); with a body, Connexion's own
  path runs unchanged.
- `MockApp`: an operation whose function is marked with `scope_handler` is called with the ASGI
  scope (the parameters parsed and validated once, by the validator above); any other function
  (the control API's) goes through Connexion's decorators as usual.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.exceptions import BadRequestProblem, OAuthResponseProblem
from connexion.middleware import request_validation
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from connexion.validators import ParameterValidator
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockserver.pipeline.parameters import InvalidParameter, RequestParameters
from mockserver.spec.values import MutableValues

__all__ = [
    "CONNEXION_DEFAULTS",
    "MIDDLEWARES",
    "VALUES_KEY",
    "MockApp",
    "RequestValidationMiddleware",
    "SpecParameterValidator",
    "read_values",
    "scope_handler",
    "security_map",
]

# Where the parsed, typed values of a validated request travel to the handler (ASGI scope key).
VALUES_KEY = "mockserver.values"

ScopeHandler = Callable[[Scope], Awaitable[Response]]

_SCOPE_HANDLER = "__mockserver_scope_handler__"


def scope_handler(handler: ScopeHandler) -> Callable[..., Any]:
    """Mark `handler(scope) -> Response` as served directly by `MockApp`."""
    setattr(handler, _SCOPE_HANDLER, True)
    return handler


class _ValidationOperation(request_validation.RequestValidationOperation):  # type: ignore[misc]
    def __init__(self, next_app: Any, *, operation: Any, **kwargs: Any) -> None:
        super().__init__(next_app, operation=operation, **kwargs)
        self._bodyless = not operation.request_body
        # internal: the operation's URI parser class
        uri_parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameters = self._validator_map["parameter"](  # internal: the configured validator_map
            operation.parameters,
            uri_parser=uri_parser,
            strict_validation=self.strict_validation,
            security_query_params=self.security_query_params,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._bodyless:
            await super().__call__(scope, receive, send)
            return
        # Without a request body Connexion checks only the parameters (no media type is declared).
        self._parameters.validate(scope)
        await self.next_app(scope, receive, send)


class _ValidationAPI(request_validation.RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> _ValidationOperation:
        return _ValidationOperation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class RequestValidationMiddleware(request_validation.RequestValidationMiddleware):  # type: ignore[misc]
    """Connexion's request validation with each operation's validator built once."""

    api_cls = _ValidationAPI


class _Operation(AsyncOperation):  # type: ignore[misc]
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not getattr(self._fn, _SCOPE_HANDLER, False):  # internal: the resolved view function
            await super().__call__(scope, receive, send)
            return
        response = await self._fn(scope)
        await response(scope, receive, send)


class _Api(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> _Operation:
        made: _Operation = _Operation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        return made


class _ASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = _Api


class MockApp(AsyncApp):  # type: ignore[misc]
    """Connexion's AsyncApp whose operations call `scope_handler` functions directly."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        super().__init__(import_name, **kwargs)
        # AsyncApp creates its inner app before the middleware stack, which is built lazily at
        # the first request; no API is added yet, so swapping the inner app here is safe.
        self._middleware_app = _ASGIApp()  # internal: the app at the end of the stack
        self.middleware.app = self._middleware_app


class SpecParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, reading the scope once with compiled schemas.

    The typed values go on in the scope (`VALUES_KEY`), so the handler does not parse them again;
    error messages name the parameter and the rule it breaks.
    """

    def __init__(self, parameters: list[Mapping[str, Any]], uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(parameters, uri_parser, **kwargs)
        self._reader = RequestParameters.of(parameters)

    def validate(self, scope: dict[str, Any]) -> None:
        if self.strict_validation:  # Connexion's own check, refusing parameters the spec lacks
            super().validate(scope)
        scope[VALUES_KEY] = read_values(self._reader, scope)


def read_values(reader: RequestParameters, scope: Mapping[str, Any]) -> MutableValues:
    """The request's typed values; a bad one is Connexion's 400 problem naming the parameter."""
    try:
        return reader.read(scope)
    except InvalidParameter as exc:
        raise BadRequestProblem(detail=exc.detail) from None


# Connexion's default stack minus its Swagger UI middleware (docs.py serves the UI at uniform
# paths, and that middleware would route every request once more) and its lifespan middleware
# (the mock has no startup or shutdown hooks). `CONNEXION_DEFAULTS` is the list this was derived
# from; a test fails when an upgrade of Connexion changes it.
CONNEXION_DEFAULTS = (
    ServerErrorMiddleware,
    ExceptionMiddleware,
    SwaggerUIMiddleware,
    RoutingMiddleware,
    SecurityMiddleware,
    request_validation.RequestValidationMiddleware,
    ResponseValidationMiddleware,
    LifespanMiddleware,
    ContextMiddleware,
)
_LEFT_OUT = (SwaggerUIMiddleware, LifespanMiddleware)
_REPLACED = {request_validation.RequestValidationMiddleware: RequestValidationMiddleware}
MIDDLEWARES = [_REPLACED.get(m, m) for m in CONNEXION_DEFAULTS if m not in _LEFT_OUT]

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def _accept(valid: Collection[str] | None, value: str) -> dict[str, Any] | None:
    # A credential naming itself invalid is refused, so clients and contract tools (Schemathesis
    # probes with "SCHEMATHESIS-INVALID-VALUE") can reach the 401/403 paths without --token.
    if "invalid" in value.lower() or (valid is not None and value not in valid):
        return None
    return {"sub": "mock-client"}


class _DirectCheck:
    """Connexion inspects a credential function's signature on every request; the mock's functions
    take the credential alone, so the check calls them directly."""

    @staticmethod
    def _generic_check(func: Callable[..., Any], exception_msg: str) -> Callable[..., Any]:  # internal
        async def wrapper(request: Any, *args: Any, required_scopes: Any = None) -> Any:
            token_info = func(*args)
            if token_info is None:
                raise OAuthResponseProblem(detail=exception_msg)
            return token_info

        return wrapper


def security_map(valid_tokens: Collection[str] | None) -> dict[str, type]:
    """Handlers that accept any well-formed credential, or only `valid_tokens` when given."""

    class Bearer(_DirectCheck, BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:  # internal
            jwt = str(scheme.get("bearerFormat", "")).upper() == "JWT"

            def check(token: str) -> dict[str, Any] | None:
                if jwt and not _JWT.match(token):
                    return None
                return _accept(valid_tokens, token)

            return check

    class ApiKey(_DirectCheck, ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:  # internal
            def check(key: str) -> dict[str, Any] | None:
                return _accept(valid_tokens, key) if key.strip() else None

            return check

    return {"bearer": Bearer, "apiKey": ApiKey}
