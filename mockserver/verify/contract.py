"""A spec as a Schemathesis contract: loaded, pointed at a server, with credentials and our checks.

One set of checks for `verify` and for a user's own pytest suite: Schemathesis' response checks
and the spec's semantic checks are wrapped once per process, so a failure that rests only on one
of the spec's own `x-decision` choices is drift: a `DriftWarning` in pytest (a failure with
`strict=True`), a warning in the `verify` report. A schema Schemathesis copies for a test is
matched to its contract by the spec it was loaded from, not by object identity.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis import GenerationMode
from schemathesis.config._auth import AuthConfig

from mockserver.spec.catalog import Api, load_api
from mockserver.verify.checks import ContractViolation, operation_for, semantic_checks
from mockserver.verify.grounds import governing_decision, grounds_of

__all__ = [
    "Drift",
    "DriftWarning",
    "Target",
    "alternative_auth_noise",
    "api_of",
    "credential_headers",
    "full_base_url",
    "load_contract",
    "recorded_drift",
    "target_of",
]


class DriftWarning(UserWarning):
    """The server departs from a choice the spec made where the vendor page is silent."""


@dataclass(frozen=True)
class Drift:
    """One departure from a decision, kept for verify's report instead of stopping the run."""

    case: Any
    check: str
    failure: Any
    grounds: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """Where a contract's requests go: the API root URL, the ASGI app (if any), the user's headers."""

    api: Api
    root: str
    app: Any
    headers: Mapping[str, str]
    seed: int
    drift: str


@dataclass(frozen=True)
class _Contract:
    api: Api
    drift: str  # "warn": a DriftWarning; "fail": a failure; "record": kept in `drifts`
    target: Target
    drifts: list[Drift] = field(default_factory=list)


_CONTRACTS: dict[str, _Contract] = {}
# The schema object load_contract returned -> its target: two contracts for one spec (the same
# fingerprint) may point at different servers.
_TARGETS: dict[int, tuple[weakref.ref[Any], Target]] = {}


def _fingerprint(raw: Mapping[str, Any]) -> str:
    """The same spec (served or read from disk) gives the same fingerprint."""
    info = raw.get("info") or {}
    paths = sorted(raw.get("paths") or {})
    text = json.dumps([info.get("title"), info.get("version"), paths], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _contract_of(schema: Any) -> _Contract | None:
    raw = getattr(schema, "raw_schema", None)
    return _CONTRACTS.get(_fingerprint(raw)) if isinstance(raw, Mapping) else None


def api_of(schema: Any) -> Api | None:
    """The `Api` a Schemathesis schema (or any copy of it) was loaded for by `load_contract`."""
    contract = _contract_of(schema)
    return contract.api if contract is not None else None


def target_of(schema: Any) -> Target | None:
    """Where the server a `load_contract` schema (or a copy of it) checks is, and how to ask it."""
    own = _TARGETS.get(id(schema))
    if own is not None and own[0]() is schema:
        return own[1]
    contract = _contract_of(schema)
    return contract.target if contract is not None else None


def alternative_auth_noise(api: Api, case: Any, name: str, failure: Any) -> bool:
    """Schemathesis fills in a credential for the alternative security scheme the user gave no
    value for (Onedata: Authorization next to X-Auth-Token) and calls the success "ignored auth";
    a server rightly accepts the request on the credential it was given."""
    if name != "ignored_auth" or "generated auth" not in str(getattr(failure, "message", "")):
        return False
    op = operation_for(api, case)
    return op is not None and len(op.security) > 1


def _judged(check: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`check`, with drift from a decision handled as its contract says."""

    def judged(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            result: bool | None = check(ctx, response, case)
        except AssertionError as failure:
            contract = _contract_of(case.operation.schema)
            if contract is not None and alternative_auth_noise(contract.api, case, name, failure):
                return None
            if contract is None or contract.drift == "fail":
                raise
            grounds = _grounds(contract.api, name, failure, response, case)
            decision = governing_decision(contract.api.document, grounds) if grounds else None
            if decision is None:
                raise
            if contract.drift == "record":
                contract.drifts.append(Drift(case, name, failure, grounds))
                return None
            title = getattr(failure, "title", str(failure))
            warnings.warn(DriftWarning(f"{name}: {title} (drift from x-decision {decision})"), stacklevel=2)
            return None
        return result

    judged.__name__ = name
    return judged


def _grounds(api: Api, name: str, failure: Any, response: Any, case: Any) -> tuple[str, ...]:
    if isinstance(failure, ContractViolation):
        return tuple(failure.grounds)
    op = operation_for(api, case)
    status = getattr(response, "status_code", None)
    return grounds_of(api, op, name, failure, status, case) if op is not None else ()


def recorded_drift(schema: Any) -> list[Drift]:
    """The drift a `load_contract(..., on_drift="record")` schema has kept so far."""
    contract = _contract_of(schema)
    return list(contract.drifts) if contract is not None else []


def _semantic(name: str, index: int) -> Callable[..., Any]:
    def check(ctx: Any, response: Any, case: Any) -> bool | None:
        api = api_of(case.operation.schema)
        if api is None:
            return None
        result: bool | None = semantic_checks(api)[index](ctx, response, case)
        return result

    check.__name__ = name
    return check


# Schemathesis' checks whose failures may rest on a decision; the others never do.
_JUDGED = (
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)


def _register_once() -> None:
    """Our checks, and Schemathesis' own wrapped with the drift rule, in its check registry."""
    import schemathesis.specs.openapi.checks  # registers Schemathesis' own checks
    from schemathesis.checks import CHECKS

    if "ids_echoed" in CHECKS.get_all_names():
        return
    for name in _JUDGED:
        if name in CHECKS.get_all_names():
            CHECKS.register(_judged(CHECKS.get_one(name), name))
    for index, name in enumerate(("ids_echoed", "list_semantics", "status_and_times", "tree_invariants")):
        schemathesis.check(_judged(_semantic(name, index), name))


_register_once()


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
    strict: bool = False,
    on_drift: str | None = None,
) -> Any:
    """A Schemathesis schema for `spec` with the spec's semantic checks active.

    Point it at a running server (`base_url`) or an ASGI app (`app`); `headers` carry
    credentials (matched to the spec's security schemes) and anything else to send. Drift from
    the spec's own decisions is a `DriftWarning`, or a failure with `strict=True`; `verify`
    passes `on_drift="record"` to keep it for its report without stopping the run.
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
    mode = on_drift or ("fail" if strict else "warn")
    root = full_base_url(base_url or "http://testserver", api)
    target = Target(api, root, app, dict(headers or {}), seed or 0, mode)
    _CONTRACTS[_fingerprint(schema.raw_schema)] = _Contract(api, mode, target)
    _TARGETS[id(schema)] = (weakref.ref(schema), target)
    return schema
