"""Guards on the one module that touches Connexion's internals: an upgrade that breaks them fails here."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from connexion.apps.asynchronous import AsyncOperation
from connexion.middleware import request_validation
from connexion.middleware.main import ConnexionMiddleware
from connexion.validators import ParameterValidator

from mockserver.app import create_app
from mockserver.pipeline.parameters import RequestParameters
from mockserver.server import connexion as held
from mockserver.settings import Settings
from tests.conftest import CREDENTIALS, SPECS

SETTINGS = Settings(specs=(SPECS / "etlworks.yaml",), fixtures=None)


def _get(path: str, headers: dict[str, str]) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(SETTINGS))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(call())


def test_connexion_default_middlewares_are_the_ones_the_mock_list_was_derived_from() -> None:
    assert tuple(ConnexionMiddleware.default_middlewares) == held.CONNEXION_DEFAULTS


def test_the_mock_list_keeps_connexion_order_with_validation_replaced() -> None:
    names = [m.__name__ for m in held.MIDDLEWARES]
    assert names == [
        "ServerErrorMiddleware",
        "ExceptionMiddleware",
        "RoutingMiddleware",
        "SecurityMiddleware",
        "RequestValidationMiddleware",
        "ResponseValidationMiddleware",
        "ContextMiddleware",
    ]
    assert held.RequestValidationMiddleware in held.MIDDLEWARES
    assert request_validation.RequestValidationMiddleware not in held.MIDDLEWARES


def test_the_internals_the_fast_path_needs_still_exist() -> None:
    assert hasattr(request_validation.RequestValidationOperation, "__init__")
    assert hasattr(AsyncOperation, "from_operation")
    for name in ("_generic_check", "_resolve_func"):
        assert any(hasattr(cls, name) for cls in held.security_map(None)["bearer"].__mro__[2:])


def test_the_fast_path_serves_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parameters are read once (by the mock's validator), Connexion's per-request validator and
    decorator chain never run, and the handler receives the typed values in the scope."""
    reads: list[Any] = []
    original = RequestParameters.read

    def counting_read(self: RequestParameters, scope: Any) -> Any:
        reads.append(scope["path"])
        return original(self, scope)

    def forbidden(*_: Any, **__: Any) -> Any:
        raise AssertionError("Connexion's slow path ran")

    monkeypatch.setattr(RequestParameters, "read", counting_read)
    monkeypatch.setattr(AsyncOperation, "__call__", forbidden)
    monkeypatch.setattr(request_validation.RequestValidationOperation, "__call__", forbidden)
    monkeypatch.setattr(ParameterValidator, "validate", forbidden)
    response = _get("/rest/v1/executions/42", CREDENTIALS["etlworks"])
    assert response.status_code == 200 and response.json()["flowId"] == 42
    assert reads == ["/rest/v1/executions/42"]


def test_a_bad_parameter_is_refused_by_the_fast_path_validator() -> None:
    response = _get("/rest/v1/executions/42?auditId=x", CREDENTIALS["etlworks"])
    assert response.status_code == 400 and "auditId" in response.text
