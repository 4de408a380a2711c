"""Checks that need several requests: credentials, repeated polls, pagination."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from schemathesis.core import transport

from mockserver.produce.generate import Generator, rng_for
from mockserver.spec.catalog import Api, Operation
from mockserver.spec.pointers import pointer_get
from mockserver.spec.responses import response_schema
from mockserver.verify.checks import (
    ContractViolation,
    Probe,
    find_lifecycles,
    lifecycle_view,
    semantic_checks,
)
from mockserver.verify.contract import credential_headers
from mockserver.verify.grounds import locate, security_grounds
from mockserver.verify.results import CaseFailure, OperationResult

__all__ = ["SAMPLES", "Prober", "Reproduce", "keep_sample", "run_probes"]

_POLLS = 6
SAMPLES = 12
"""Distinct resources kept per operation for the probes (one may be a fixture that shows little)."""


def keep_sample(kept: dict[str, Any], case: Any) -> None:
    """Keep `case` (a request a server answered with a 2xx) unless its resource or `SAMPLES` are kept."""
    if len(kept) < SAMPLES:
        kept.setdefault(repr(case.path_parameters), case)


Reproduce = Callable[[str, str, Mapping[str, str]], str]
"""(method, url, headers) -> a curl command that repeats a request a probe sent."""
_Items = tuple[str, str]
"""(pointer to a node's children, pointer to a child's id) for polling a tree's children."""


@dataclass(frozen=True)
class Prober:
    """Where and how the probes send: the API root, the user's headers, how to write evidence."""

    api: Api
    root: str
    headers: Mapping[str, str]
    reproduce: Reproduce
    client: httpx.Client | None = None
    """Sends the requests (e.g. Starlette's TestClient for an ASGI app); None: plain HTTP."""

    def send(self, case: Any, drop: Collection[str] = ()) -> tuple[httpx.Response, str]:
        """Send `case` with the user's headers (less `drop`); the response and a curl that repeats it."""
        kwargs = case.as_transport_kwargs(base_url=self.root)
        merged = {**(kwargs.get("headers") or {}), **self.headers}
        sent = {k: v for k, v in merged.items() if k.lower() not in drop}
        params = kwargs.get("params")
        if self.client is not None:  # its own timeout (Starlette's test client takes none per request)
            response = self.client.request(case.method, kwargs["url"], params=params, headers=sent)
        else:
            response = httpx.request(case.method, kwargs["url"], params=params, headers=sent, timeout=10)
        return response, self.reproduce(case.method, str(response.request.url), sent)

    def judge(self, case: Any, response: httpx.Response, curl: str, result: OperationResult) -> None:
        """The per-response checks on a probe's answer too (a page of 5 shows `limit` at work)."""
        # As Schemathesis hands it to a check (the URL that was sent, as text).
        answer = transport.Response.from_httpx(response, verify=True)
        for check in semantic_checks(self.api):
            try:
                check(None, answer, case)
            except ContractViolation as failure:
                detail = str(failure.message or "")
                found = CaseFailure(
                    failure.check_name, str(failure.title), detail, curl, grounds=failure.grounds
                )
                result.add(found)

    def lifecycle_grounds(self, schema: Mapping[str, Any], *keys: str) -> tuple[str, ...]:
        where = locate(self.api.document, "x-mock-lifecycle", schema.get("x-mock-lifecycle"))
        return () if where is None else tuple(f"{where}/x-mock-lifecycle{k}" for k in keys)


def run_probes(op: Operation, cases: list[Any], prober: Prober, result: OperationResult) -> None:
    """Checks that need several requests: credentials, repeated polls, pagination. Several
    successful requests are tried, since one may hit a fixture that shows little, then a few
    resources named by path values generated from the spec (valid by construction)."""
    case = cases[0]
    cases = [*cases, *_synthetic(op, case)]
    secured = credential_headers(prober.api)
    if op.security and secured:
        result.cases += 1
        response, curl = prober.send(case, drop=secured)
        documented = {s for s in ("401", "403") if s in op.responses} or {"401", "403"}
        if str(response.status_code) not in documented:
            result.add(
                CaseFailure(
                    Probe.CREDENTIALS,
                    "a request without credentials was not refused as documented",
                    f"expected: {' or '.join(sorted(documented))}\ngot: {response.status_code}",
                    curl,
                    # Refused with the other refusal status: which one is the spec's choice.
                    grounds=security_grounds(prober.api, op) if response.status_code in (401, 403) else (),
                )
            )
    schema = response_schema(op, next((s for s in op.responses if s.startswith("2")), "200")) or {}
    found = {p: (s, lc) for p, s, lc in find_lifecycles(schema)}
    tree = op.rules.tree
    # The resource itself, or the children of a tree node (each known by the tree's id field).
    polled: list[tuple[Any, _Items | None]] = []
    if "" in found and op.rules.collection is None:
        polled.append((found[""], None))
    if tree is not None and f"{tree.children}/*" in found:
        polled.append((found[f"{tree.children}/*"], (tree.children, tree.id)))
    for lifecycle, items in polled:
        for sample in cases:
            if _probe_polls(sample, prober, lifecycle, result, items):
                break
    collection = op.rules.collection
    if collection is not None and collection.limit and collection.offset and not collection.each:
        for sample in cases:
            if _probe_pages(op, sample, prober, result):
                break


def _synthetic(op: Operation, case: Any, count: int = 3) -> list[Any]:
    """Cases like `case` for other resources: each path value drawn from its parameter's schema."""
    in_path = [p for p in op.parameters if p.location == "path"]
    if not in_path:
        return []
    generator = Generator()
    out = []
    for index in range(count):
        rng = rng_for("verify-probe", op.id, index)
        values = {p.name: generator.generate(p.schema, rng, now=time.time()) for p in in_path}
        out.append(case.operation.Case(path_parameters=values, query={}, headers=case.headers))
    return out


def _regression(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    """(title, expected, got, lifecycle key) when two successive polls contradict each other."""
    if before["terminal"] and after["known"] and not after["terminal"]:
        got = f"{before['state']} (terminal) then {after['state']}"
        return "a terminal state was left", "a terminal state stays terminal", got, "/states"
    if before.get("start") and after.get("start") and before["start"] != after["start"]:
        got = f"start {before['start']} then {after['start']}"
        return "the start time moved", "the start time never moves", got, "/times/start"
    if before.get("end") and after.get("end") != before.get("end"):
        got = f"end {before['end']} then {after.get('end')}"
        return "the end time changed", "an end time stays once set", got, "/times/end"
    return None


def _resources(body: Any, items: _Items | None) -> dict[str, Any]:
    """The polled resources of one answer by name: the body itself, or each child by its id."""
    if items is None:
        return {"": body} if isinstance(body, dict) else {}
    children = pointer_get(body, items[0]) if isinstance(body, dict) else None
    found = [c for c in children or [] if isinstance(c, dict)] if isinstance(children, list) else []
    return {f"{items[1].lstrip('/')} {pointer_get(c, items[1])}: ": c for c in found}


def _probe_polls(
    case: Any, prober: Prober, found: Any, result: OperationResult, items: _Items | None
) -> bool:
    """Poll one resource (or a node's children); False when none showed a start time (nothing to judge)."""
    schema, lifecycle = found
    views: dict[str, list[dict[str, Any]]] = {}
    curl = ""
    for _ in range(_POLLS):
        response, curl = prober.send(case)
        result.cases += 1
        prober.judge(case, response, curl, result)
        if response.status_code == 200:
            for name, resource in _resources(response.json(), items).items():
                views.setdefault(name, []).append(lifecycle_view(resource, schema, lifecycle))
        time.sleep(0.3)
    for name, seen in views.items():
        for before, after in itertools.pairwise(seen):
            problem = _regression(before, after)
            if problem:
                title, expected, got, key = problem
                grounds = prober.lifecycle_grounds(schema, key)
                detail = f"expected: {expected}\ngot: {name}{got}"
                result.add(CaseFailure(Probe.POLLS, title, detail, curl, grounds=grounds))
                return True
    return any(v.get("start") for seen in views.values() for v in seen)


def _probe_pages(op: Operation, case: Any, prober: Prober, result: OperationResult) -> bool:
    """Page through the unfiltered list; False when it is too short to judge. How many items a
    page holds and their order are the per-response checks' (`list_within_limit`,
    `documented_order`); this probe judges only that pages are slices of one list."""
    rules = op.rules.collection
    assert rules is not None and rules.limit and rules.offset
    limit_name, offset_name = rules.limit.split(".", 1)[1], rules.offset.split(".", 1)[1]
    limit_param = op.parameter(rules.limit)
    # The first 100 items (or fewer, where `limit` documents a lower maximum) are judged.
    maximum = min(100, int((limit_param.schema.get("maximum") if limit_param is not None else None) or 100))
    dropped = {limit_name, offset_name, *(f.param.split(".", 1)[1] for f in rules.filters)}
    base = {k: v for k, v in (case.query or {}).items() if k not in dropped}

    def page(offset: int, limit: int) -> tuple[list[Any] | None, str]:
        paged = case.operation.Case(
            path_parameters=case.path_parameters,
            query={**base, limit_name: limit, offset_name: offset},
            headers=case.headers,
        )
        sent, curl = prober.send(paged)
        result.cases += 1
        prober.judge(paged, sent, curl, result)
        body = sent.json() if sent.status_code == 200 else None
        items = body if rules.at == "" else (body or {}).get(rules.at.lstrip("/"))
        return (items if isinstance(items, list) else None), curl

    whole, first = page(0, maximum)
    if whole is None or len(whole) < 3:
        return False
    size = max(1, min(5, len(whole) // 3))
    pages: list[Any] = []
    for offset in range(0, min(len(whole), size * 4), size):
        chunk, _ = page(offset, size)
        if chunk is None:
            return True
        pages += chunk
    if pages != whole[: len(pages)]:
        detail = f"expected: pages of {size} that are the first {len(pages)} items of the list"
        detail += "\ngot: a different sequence"
        result.add(CaseFailure(Probe.PAGES, "pages are not slices of one list", detail, first))
    return True
