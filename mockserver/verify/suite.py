"""`verify`'s probes across requests (credentials, repeated polls, pages) from a user's pytest suite.

A `load_contract` schema knows its spec, server and credentials; `check_probes` draws valid
requests from it (the spec's examples, then generated ones), keeps those the server answers
with a 2xx as samples, and runs the very probes `verify` runs on them. Findings carry verify's
check names and titles; drift from an `x-decision` is a `DriftWarning` in `assert_probes`
(a failure when the schema was loaded with `strict=True`), as for the per-response checks.
"""

from __future__ import annotations

import warnings
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from mockserver.exceptions import MockServerError
from mockserver.spec.catalog import Operation
from mockserver.verify.contract import DriftWarning, Target, credential_headers, target_of
from mockserver.verify.evidence import Credential, from_headers
from mockserver.verify.probes import SAMPLES, Prober, keep_sample, run_probes
from mockserver.verify.results import CaseFailure, OperationResult
from mockserver.verify.runner import classified, render_request

__all__ = ["ProbeError", "assert_probes", "check_probes"]

_DRAWS = 20  # valid requests drawn per operation (and per example set)


class ProbeError(MockServerError, ValueError):
    """The schema given was not made by `load_contract`, so there is nothing to probe."""


def check_probes(schema: Any) -> list[tuple[str, CaseFailure]]:
    """Each (operation, finding) of verify's probes against the server `schema` points at; a
    finding's `decision` names the `x-decision` it drifts from (None: a documented fact broken)."""
    target = target_of(schema)
    if target is None:
        raise ProbeError("check_probes needs a schema made by mockserver.verify.load_contract")
    credentials = from_headers(target.headers, credential_headers(target.api))
    client = _client(target)
    try:
        prober = Prober(target.api, target.root, target.headers, _reproducer(credentials), client)
        found = []
        for op in target.api.operations:
            samples = _samples(schema, op, prober, target.seed)
            if not samples:
                continue
            result = OperationResult(f"{op.method} {op.path}")
            run_probes(op, samples, prober, result)
            found += [(result.label, classified(target.api, f)) for f in result.failures.values()]
        return found
    finally:
        if client is not None:
            client.close()


def assert_probes(schema: Any) -> None:
    """Raise AssertionError listing each documented fact the probes found broken (check: title, as
    verify reports it); drift from a decision is a DriftWarning, a failure with `strict=True`."""
    target = target_of(schema)
    found = check_probes(schema)
    strict = target is not None and target.drift == "fail"
    failing = [(label, f) for label, f in found if f.decision is None or strict]
    for _, failure in found:
        if failure.decision is not None and not strict:
            message = f"{failure.check}: {failure.title} (drift from x-decision {failure.decision})"
            warnings.warn(DriftWarning(message), stacklevel=2)
    if failing:
        raise AssertionError("\n".join(_lines(label, failure) for label, failure in failing))


def _lines(label: str, failure: CaseFailure) -> str:
    lines = [f"{label}: {failure.check}: {failure.title}"]
    lines += [f"    {line}" for line in failure.detail.strip().splitlines()]
    if failure.curl:
        lines.append(f"    reproduce: {failure.curl}")
    return "\n".join(lines)


def _client(target: Target) -> httpx.Client | None:
    """Starlette's test client for an ASGI app (redirects not followed, as over HTTP); None for HTTP."""
    if target.app is None:
        return None
    from starlette.testclient import TestClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(target.app, base_url="http://testserver", follow_redirects=False)


def _reproducer(credentials: tuple[Credential, ...]) -> Any:
    def reproduce(method: str, url: str, headers: Any) -> str:
        return render_request(method, url, headers, credentials)

    return reproduce


def _samples(schema: Any, op: Operation, prober: Prober, seed: int) -> list[Any]:
    """Valid requests for `op` the server answered with a 2xx, one per resource (as verify keeps)."""
    operation = schema[op.path][op.method.lower()]
    strategies = [*schema.get_strategies_from_examples(operation), operation.as_strategy()]
    kept: dict[str, Any] = {}
    tried: set[str] = set()
    for strategy in strategies:
        for case in _draw(strategy, seed):
            key = repr((case.path_parameters, case.query))
            if key in tried or len(kept) >= SAMPLES:
                continue
            tried.add(key)
            response, _ = prober.send(case)
            if 200 <= response.status_code < 300:
                keep_sample(kept, case)
    return list(kept.values())


def _draw(strategy: st.SearchStrategy[Any], seed: int) -> list[Any]:
    """Up to `_DRAWS` values of `strategy`, the same ones for the same seed."""
    drawn: list[Any] = []

    @seeded(seed)
    @settings(
        max_examples=_DRAWS,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn
