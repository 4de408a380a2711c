"""A spec as a Schemathesis contract: loaded, pointed at a server, with credentials and our checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis import GenerationMode
from schemathesis.config._auth import AuthConfig

from mockserver.spec.catalog import Api, load_api
from mockserver.verify.checks import semantic_checks

__all__ = ["api_of", "credential_headers", "full_base_url", "load_contract"]

_CONTRACTS: dict[int, Api] = {}


def api_of(schema: Any) -> Api | None:
    """The `Api` a Schemathesis schema was loaded for by `load_contract`."""
    return _CONTRACTS.get(id(schema))


def _dispatching(name: str, index: int) -> Any:
    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        api = api_of(case.operation.schema)
        if api is None:
            return None
        result: bool | None = semantic_checks(api)[index](ctx, response, case)
        return result

    check.__name__ = name
    return check


# Registered once per process: each check finds the spec's facts through the case's schema.
for _index, _name in enumerate(("ids_echoed", "list_semantics", "status_and_times", "tree_invariants")):
    schemathesis.check(_dispatching(_name, _index))


def full_base_url(base_url: str, api: Api) -> str:
    """The server root plus the spec's base path, unless the URL already carries a path."""
    parts = urlsplit(base_url)
    if parts.path.strip("/"):
        return base_url.rstrip("/")
    return base_url.rstrip("/") + api.base_path


def credential_headers(api: Api) -> set[str]:
    """Lower-case names of the headers that carry this API's credentials."""
    names = set()
    for scheme in api.security_schemes.values():
        if scheme.get("type") == "http":
            names.add("authorization")
        elif scheme.get("in") == "header":
            names.add(str(scheme["name"]).lower())
    return names


def _auth(api: Api, headers: Mapping[str, str]) -> tuple[AuthConfig | None, dict[str, str]]:
    """Split headers into Schemathesis' OpenAPI-aware auth (dropped on purpose in negative
    cases) and the rest (sent with every request)."""
    given = {k.lower(): v for k, v in headers.items()}
    config: dict[str, dict[str, str]] = {}
    for name, scheme in api.security_schemes.items():
        if scheme.get("type") == "http" and "authorization" in given:
            config[name] = {"bearer": given["authorization"].removeprefix("Bearer ").strip()}
        elif scheme.get("in") == "header" and str(scheme["name"]).lower() in given:
            config[name] = {"api_key": given[str(scheme["name"]).lower()]}
    used = credential_headers(api) if config else set()
    rest = {k: v for k, v in headers.items() if k.lower() not in used}
    return (AuthConfig(openapi=config) if config else None), rest


def load_contract(
    spec: Path | str,
    *,
    base_url: str | None = None,
    app: Any = None,
    headers: Mapping[str, str] | None = None,
    max_examples: int | None = None,
    seed: int | None = None,
) -> Any:
    """A Schemathesis schema for `spec` with the spec's semantic checks active.

    Point it at a running server (`base_url`) or an ASGI app (`app`); `headers` carry
    credentials (matched to the spec's security schemes) and anything else to send.
    """
    api = load_api(Path(spec))
    if app is not None:
        schema = schemathesis.openapi.from_asgi(f"/__mock/docs/{api.slug}/openapi.json", app)
    else:
        schema = schemathesis.openapi.from_path(str(spec))
        if base_url is not None:
            schema.config.update(base_url=full_base_url(base_url, api))
    auth, rest = _auth(api, headers or {})
    if auth is not None:
        schema.config.auth = auth
    if rest:
        schema.config.update(headers=rest)
    # No example database: a run depends on the spec, the seed and the server, not on what an
    # earlier run left in .hypothesis/ of the working directory.
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=max_examples, database="none"
    )
    if seed is not None:
        schema.config.seed = seed
    _CONTRACTS[id(schema)] = api
    return schema
