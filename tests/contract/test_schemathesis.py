"""Schemathesis against the app in-process, for every spec: all checks, positive and negative data."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config._auth import AuthConfig
from schemathesis.specs.openapi.checks import missing_required_header

from mockserver.app import create_app
from mockserver.settings import Settings
from mockserver.spec.catalog import load_api
from tests.conftest import CREDENTIALS, SLUGS, SPECS, TOKENS

APP = create_app(
    Settings(
        specs=tuple(SPECS / f"{slug}.yaml" for slug in SLUGS),
        validate_responses=True,
        tokens=TOKENS,
    )
)


def _auth(slug: str) -> AuthConfig:
    """Schemathesis' OpenAPI-aware auth: one credential per scheme, dropped on purpose in negative cases."""
    schemes = load_api(SPECS / f"{slug}.yaml").security_schemes
    given = {k.lower(): v.removeprefix("Bearer ") for k, v in CREDENTIALS[slug].items()}
    config: dict[str, dict[str, Any]] = {}
    for name, scheme in schemes.items():
        if scheme.get("type") == "http":
            config[name] = {"bearer": given["authorization"]}
        else:
            config[name] = {"api_key": given[str(scheme["name"]).lower()]}
    return AuthConfig(openapi=config)


def _schema(slug: str) -> Any:
    schema = schemathesis.openapi.from_asgi(f"/__mock/docs/{slug}/openapi.json", APP)
    schema.config.auth = _auth(slug)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=40, deterministic=True
    )
    return schema


def _make_test(slug: str) -> Any:
    schema = _schema(slug)

    @schema.parametrize()
    def test(case: Any) -> None:
        # Schemathesis expects 401 for a missing Authorization header. An operation that
        # documents only 403 for it (CodeCatalyst's AccessDeniedException) must answer 403;
        # tests/integration/test_errors.py holds that behaviour to the spec instead.
        documents_401 = "401" in case.operation.definition.raw.get("responses", {})
        excluded = [] if documents_401 else [missing_required_header]
        case.call_and_validate(excluded_checks=excluded)

    return test


for _slug in SLUGS:
    globals()[f"test_mock_conforms_to_{_slug}_spec"] = pytest.mark.contract(_make_test(_slug))
