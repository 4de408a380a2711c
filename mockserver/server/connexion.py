"""Connexion, tuned for a mock under load: the same middlewares, with per-request rebuilding removed.

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

from collections.abc import Awaitable, Callable
from typing import Any

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.middleware import request_validation
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["MockApp", "RequestValidationMiddleware", "scope_handler"]

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
        uri_parser = operation._uri_parser_class(operation.parameters, operation.body_definition())
        self._parameters = self._validator_map["parameter"](
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
        if not getattr(self._fn, _SCOPE_HANDLER, False):
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
        self._middleware_app = _ASGIApp()
        self.middleware.app = self._middleware_app
