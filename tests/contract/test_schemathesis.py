"""Schemathesis against the app in-process, for every spec: all checks, positive and negative data."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.config._auth import AuthConfig

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
        header = "authorization" if scheme.get("type") == "http" else str(scheme["name"]).lower()
        if header not in given:
            continue  # an alternative scheme (Onedata's bearer next to X-Auth-Token)
        key = "bearer" if scheme.get("type") == "http" else "api_key"
        config[name] = {key: given[header]}
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
        # Every default check, none excluded: the 401/403 question is decided in each spec.
        case.call_and_validate()

    return test


for _slug in SLUGS:
    globals()[f"test_mock_conforms_to_{_slug}_spec"] = pytest.mark.contract(_make_test(_slug))
