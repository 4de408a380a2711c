"""The credentials a spec declares: which headers carry them, and which of them a request lacks."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from mockserver.spec.catalog import Api, Operation

__all__ = ["GENERIC_CREDENTIAL_HEADERS", "credential_headers", "missing_credentials"]

# Headers that carry credentials in any HTTP API; an API's own (apiKey) headers come from its spec.
GENERIC_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def credential_headers(apis: Iterable[Api]) -> frozenset[str]:
    """Lower-case names of every header that may carry a credential to these APIs."""
    declared = {str(s.get("name", "")).lower() for api in apis for s in api.security_schemes.values()}
    return GENERIC_CREDENTIAL_HEADERS | (declared - {""})


def missing_credentials(api: Api, op: Operation, present: Collection[str]) -> str | None:
    """Name the credential headers a request lacks, for the first security requirement."""
    given = {k.lower() for k in present}
    for requirement in op.security:
        missing = []
        for name in requirement:
            scheme = api.security_schemes.get(name) or {}
            header = scheme.get("name", name) if scheme.get("type") == "apiKey" else "Authorization"
            if str(header).lower() not in given:
                missing.append(repr(str(header)))
        if missing:
            return f"missing credential: header {' and '.join(missing)} is required"
    return None
