"""Run a contract: Schemathesis' engine (all phases, all checks) plus probes across requests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from schemathesis.engine import events, from_schema

from mockserver.exceptions import MockServerError
from mockserver.produce.generate import Generator, rng_for
from mockserver.produce.lifecycle import sort_key
from mockserver.render.errors import error_status
from mockserver.spec.catalog import Api, Operation, load_api
from mockserver.spec.pointers import pointer_get
from mockserver.spec.responses import response_schema
from mockserver.verify.checks import ContractViolation, Probe, find_lifecycles, lifecycle_view
from mockserver.verify.contract import credential_headers, full_base_url, load_contract

__all__ = ["CaseFailure", "OperationResult", "Report", "VerifyError", "run_verify"]


class VerifyError(MockServerError, ConnectionError):
    """The target cannot be verified at all (unreachable, not HTTP)."""


@dataclass(frozen=True)
class CaseFailure:
    """One distinct violation: which check, what was expected, what came back, how to see it."""

    check: str
    title: str
    detail: str
    curl: str
    count: int = 1


@dataclass
class OperationResult:
    label: str
    cases: int = 0
    failures: dict[tuple[str, str], CaseFailure] = field(default_factory=dict)

    def add(self, failure: CaseFailure) -> None:
        key = (failure.check, failure.title)
        if key in self.failures:
            old = self.failures[key]
            self.failures[key] = CaseFailure(old.check, old.title, old.detail, old.curl, old.count + 1)
        else:
            self.failures[key] = failure


@dataclass
class Report:
    spec: str
    base_url: str
    operations: dict[str, OperationResult]
    seconds: float = 0.0

    @property
    def cases(self) -> int:
        return sum(r.cases for r in self.operations.values())

    @property
    def failures(self) -> list[tuple[str, CaseFailure]]:
        return [(label, f) for label, r in self.operations.items() for f in r.failures.values()]


def _documents_403_only(op: Operation, failure: Any) -> bool:
    """Schemathesis expects 401 for a missing Authorization header; an operation that documents
    only 403 for it (AWS's AccessDeniedException) is held to that by `credentials_required`."""
    return "401" not in op.responses and "403" in op.responses and "authorization" in str(failure).lower()


_SAMPLES = 12  # distinct resources kept per operation for the probes
_POLLS = 6


def _check_name(node_name: str, failure: Any) -> str:
    if isinstance(failure, ContractViolation):
        return str(failure.check_name)
    return node_name


def _reachable(url: str) -> None:
    try:
        httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        raise VerifyError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None


def run_verify(
    spec: Path,
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 50,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Check the server at `base_url` against `spec`; a violation is a failure in the report.

    Raises:
        SpecError: the spec cannot be read.
        VerifyError: the server cannot be reached.
    """
    started = time.monotonic()
    api = load_api(spec)
    root = full_base_url(base_url, api)
    _reachable(base_url)
    schema = load_contract(spec, base_url=base_url, headers=headers, max_examples=max_examples, seed=seed)
    report = Report(
        str(spec),
        root,
        {f"{op.method} {op.path}": OperationResult(f"{op.method} {op.path}") for op in api.operations},
    )
    samples: dict[str, dict[str, Any]] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise VerifyError(f"verification stopped: {event.exception}")
        if not isinstance(event, events.ScenarioFinished) or event.recorder is None:
            continue
        recorder = event.recorder
        for case_id, node in recorder.cases.items():
            label = f"{node.value.operation.method.upper()} {node.value.operation.path}"
            result = report.operations.setdefault(label, OperationResult(label))
            result.cases += 1
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            if response is not None and 200 <= response.status_code < 300:
                found = samples.setdefault(label, {})
                if len(found) < _SAMPLES:
                    # distinct resources: one may be a fixture that shows little
                    found.setdefault(repr(node.value.path_parameters), node.value)
        for case_id, checks in recorder.checks.items():
            case_node = recorder.cases.get(case_id)
            if case_node is None:
                continue
            label = f"{case_node.value.operation.method.upper()} {case_node.value.operation.path}"
            op = next((o for o in api.operations if f"{o.method} {o.path}" == label), None)
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                if (
                    check.name == "missing_required_header"
                    and op is not None
                    and _documents_403_only(op, failure)
                ):
                    continue
                report.operations[label].add(
                    CaseFailure(
                        check=_check_name(check.name, failure),
                        title=str(failure.title),
                        detail=str(failure.message or ""),
                        curl=check.failure_info.code_sample,
                    )
                )
        if progress is not None and event.label:
            progress(f"{event.phase.value:>10}  {event.label}: {len(recorder.cases)} cases")
    for op in api.operations:
        label = f"{op.method} {op.path}"
        if label in samples:
            _probe(api, op, list(samples[label].values()), root, headers or {}, report.operations[label])
    report.seconds = time.monotonic() - started
    return report


def _send(case: Any, root: str, headers: Mapping[str, str], drop: set[str] = frozenset()) -> httpx.Response:  # type: ignore[assignment]
    kwargs = case.as_transport_kwargs(base_url=root)
    sent = {k: v for k, v in {**(kwargs.get("headers") or {}), **headers}.items() if k.lower() not in drop}
    return httpx.request(case.method, kwargs["url"], params=kwargs.get("params"), headers=sent, timeout=10)


def _curl(case: Any, root: str) -> str:
    return str(case.as_curl_command(base_url=root))


def _probe(
    api: Api, op: Operation, cases: list[Any], root: str, headers: Mapping[str, str], result: OperationResult
) -> None:
    """Checks that need several requests: credentials, repeated polls, pagination. Several
    successful requests are tried, since one may hit a fixture that shows little, then a few
    resources named by path values generated from the spec (valid by construction)."""
    case = cases[0]
    cases = [*cases, *_synthetic(op, case)]
    secured = credential_headers(api)
    if op.security and secured:
        result.cases += 1
        response = _send(case, root, headers, drop=secured)
        expected = error_status(op, "unauthenticated")
        documented = {expected} if expected else {"401", "403"}
        if str(response.status_code) not in documented:
            result.add(
                CaseFailure(
                    Probe.CREDENTIALS,
                    "a request without credentials was not refused as documented",
                    f"expected: {' or '.join(sorted(documented))}\ngot: {response.status_code}",
                    _curl(case, root) + "  # without the credential headers",
                )
            )
    schema = response_schema(op, next((s for s in op.responses if s.startswith("2")), "200")) or {}
    lifecycles = [(p, s, lc) for p, s, lc in find_lifecycles(schema) if p == ""]
    if lifecycles and op.rules.collection is None:
        for sample in cases:
            if _probe_polls(sample, root, headers, lifecycles[0], result):
                break
    collection = op.rules.collection
    if collection is not None and collection.limit and collection.offset and not collection.each:
        for sample in cases:
            if _probe_pages(op, sample, root, headers, result):
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


def _probe_polls(
    case: Any, root: str, headers: Mapping[str, str], found: Any, result: OperationResult
) -> bool:
    """Poll one resource; False when it never showed a start time (nothing to judge)."""
    _, schema, lifecycle = found
    views = []
    for _ in range(_POLLS):
        response = _send(case, root, headers)
        result.cases += 1
        if response.status_code == 200:
            views.append(lifecycle_view(response.json(), schema, lifecycle))
        time.sleep(0.3)
    problem = None
    for before, after in itertools.pairwise(views):
        if before["terminal"] and after["known"] and not after["terminal"]:
            problem = (
                f"{before['state']} (terminal) then {after['state']}",
                "a terminal state stays terminal",
            )
        elif before.get("start") and after.get("start") and before["start"] != after["start"]:
            problem = (f"start {before['start']} then {after['start']}", "the start time never moves")
        elif before.get("end") and after.get("end") != before.get("end"):
            problem = (f"end {before['end']} then {after.get('end')}", "an end time stays once set")
        if problem:
            break
    if problem:
        detail = f"expected: {problem[1]}\ngot: {problem[0]}"
        result.add(CaseFailure(Probe.POLLS, "status regressed across polls", detail, _curl(case, root)))
        return True
    return any(v.get("start") for v in views)


def _probe_pages(
    op: Operation, case: Any, root: str, headers: Mapping[str, str], result: OperationResult
) -> bool:
    """Page through the unfiltered list; False when it is too short to judge."""
    rules = op.rules.collection
    assert rules is not None and rules.limit and rules.offset
    limit_name, offset_name = rules.limit.split(".", 1)[1], rules.offset.split(".", 1)[1]
    limit_param = op.parameter(rules.limit)
    # The first 100 items (or fewer, where `limit` documents a lower maximum) are judged.
    maximum = min(100, int((limit_param.schema.get("maximum") if limit_param is not None else None) or 100))
    dropped = {limit_name, offset_name, *(f.param.split(".", 1)[1] for f in rules.filters)}
    base = {k: v for k, v in (case.query or {}).items() if k not in dropped}

    def page(offset: int, limit: int) -> tuple[list[Any] | None, Any]:
        paged = case.operation.Case(
            path_parameters=case.path_parameters,
            query={**base, limit_name: limit, offset_name: offset},
            headers=case.headers,
        )
        sent = _send(paged, root, headers)
        result.cases += 1
        body = sent.json() if sent.status_code == 200 else None
        items = body if rules.at == "" else (body or {}).get(rules.at.lstrip("/"))
        return (items if isinstance(items, list) else None), paged

    def fail(check: str, title: str, expected: str, got: str, paged: Any) -> None:
        result.add(CaseFailure(check, title, f"expected: {expected}\ngot: {got}", _curl(paged, root)))

    whole, first = page(0, maximum)
    if whole is None or len(whole) < 3:
        return False
    if len(whole) > maximum:
        fail("list_within_limit", "more items than limit", f"at most {maximum}", str(len(whole)), first)
    if rules.order_by is not None:
        keys = [sort_key(pointer_get(i, rules.order_by)) for i in whole]
        if keys != sorted(keys, reverse=rules.descending):
            direction = "descending" if rules.descending else "ascending"
            fail("documented_order", f"not ordered by {rules.order_by}", direction, str(keys[:5]), first)
    size = max(1, min(5, len(whole) // 3))
    pages: list[Any] = []
    for offset in range(0, min(len(whole), size * 4), size):
        chunk, paged = page(offset, size)
        if chunk is None:
            return True
        if len(chunk) > size:
            fail("list_within_limit", "more items than limit", f"at most {size}", str(len(chunk)), paged)
            return True
        pages += chunk
    if pages != whole[: len(pages)]:
        detail = f"pages of {size} that are the first {len(pages)} items of the list"
        fail(Probe.PAGES, "pages are not slices of one list", detail, "a different sequence", first)
    return True
