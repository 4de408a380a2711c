"""Run a contract: Schemathesis' engine (all phases, all checks) plus probes across requests."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from schemathesis import GenerationMode
from schemathesis.engine import events, from_schema

from mockserver.exceptions import MockServerError
from mockserver.spec.catalog import Api, load_api
from mockserver.verify.checks import ContractViolation
from mockserver.verify.contract import (
    Drift,
    alternative_auth_noise,
    credential_headers,
    full_base_url,
    load_contract,
    recorded_drift,
)
from mockserver.verify.evidence import Credential, from_headers, render_credentials, render_curl
from mockserver.verify.grounds import governing_decision, grounds_of
from mockserver.verify.probes import Prober, keep_sample, run_probes
from mockserver.verify.results import CaseFailure, OperationResult, Report

__all__ = [
    "CaseFailure",
    "OperationResult",
    "Report",
    "VerifyError",
    "classified",
    "render_request",
    "run_verify",
]


class VerifyError(MockServerError, ConnectionError):
    """The target cannot be verified at all (unreachable, not HTTP)."""


SUCCESS_CHECK = "valid_requests_succeed"
# Headers curl sends itself or that only tag Schemathesis' own requests: left out of reproduce.
_TRANSPORT_HEADERS = {"user-agent", "accept-encoding", "accept", "connection", "x-schemathesis-testcaseid"}


def _reachable(url: str) -> None:
    try:
        httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        raise VerifyError(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None


def _label(case: Any) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


def _is_positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


class _Run:
    """One verify run: collects Schemathesis' events into the report, then probes."""

    def __init__(self, api: Api, report: Report, headers: Mapping[str, str]) -> None:
        self.api = api
        self.report = report
        self.ops = {f"{op.method} {op.path}": op for op in api.operations}
        self.samples: dict[str, dict[str, Any]] = {}
        self.credentials = from_headers(headers, credential_headers(api))

    def result(self, label: str) -> OperationResult:
        return self.report.operations.setdefault(label, OperationResult(label))

    def scenario(self, recorder: Any) -> None:
        for case_id, node in recorder.cases.items():
            label = _label(node.value)
            result = self.result(label)
            result.cases += 1
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            status = response.status_code if response is not None else None
            if _is_positive(node.value):
                result.count_positive(status)
            if status is not None and 200 <= status < 300:
                keep_sample(self.samples.setdefault(label, {}), node.value)
        for case_id, checks in recorder.checks.items():
            node = recorder.cases.get(case_id)
            if node is None:
                continue
            interaction = recorder.interactions.get(case_id)
            status = interaction.response.status_code if interaction and interaction.response else None
            for check in checks:
                if check.failure_info is not None:
                    self.failure(node.value, check.name, check.failure_info, status)

    def failure(self, case: Any, name: str, info: Any, status: int | None) -> None:
        failure = info.failure
        label = _label(case)
        op = self.ops.get(label)
        if isinstance(failure, ContractViolation):
            name, grounds = str(failure.check_name), tuple(failure.grounds)
        else:
            if alternative_auth_noise(self.api, case, name, failure):
                return
            grounds = grounds_of(self.api, op, name, failure, status, case) if op is not None else ()
        self.result(label).add(
            CaseFailure(
                check=name,
                title=str(failure.title),
                detail=str(failure.message or ""),
                curl=render_curl(info.code_sample, self.credentials),
                grounds=grounds,
            )
        )

    def drifted(self, drift: Drift, root: str) -> None:
        failure = drift.failure
        name = str(failure.check_name) if isinstance(failure, ContractViolation) else drift.check
        curl = render_curl(str(drift.case.as_curl_command(base_url=root)), self.credentials)
        title, detail = str(failure.title), str(failure.message or "")
        self.result(_label(drift.case)).add(CaseFailure(name, title, detail, curl, grounds=drift.grounds))

    def reproduce(self, method: str, url: str, headers: Mapping[str, str]) -> str:
        return render_request(method, url, headers, self.credentials)

    def evidence(self) -> None:
        """An operation where no valid request succeeded proved nothing: that is a failure."""
        for result in self.report.operations.values():
            if result.succeeded:
                continue
            counts = result.refused.most_common(4)
            refused = ", ".join(f"{s or 'no response'} ×{n}" for s, n in counts)  # noqa: RUF001
            top = result.refused.most_common(1)[0][0] if result.refused else None
            hint = {401: " — check --header", 403: " — check --header", 404: " — do these resources exist?"}
            reason = f"every valid request was refused: {refused}" if refused else "no valid request was sent"
            result.add(
                CaseFailure(
                    SUCCESS_CHECK,
                    reason + hint.get(top or 0, ""),
                    f"expected: a 2xx answer to at least one of {result.positive} valid requests\n"
                    f"got: {refused or 'none'}",
                    "",
                )
            )

    def classify(self) -> None:
        """Mark each failure that rests only on the spec's own decisions as drift."""
        for result in self.report.operations.values():
            for key, failure in result.failures.items():
                result.failures[key] = classified(self.api, failure)


def classified(api: Api, failure: CaseFailure) -> CaseFailure:
    """`failure` with the `x-decision` it drifts from, if only the spec's own decisions govern it."""
    decision = governing_decision(api.document, failure.grounds) if failure.grounds else None
    return replace(failure, decision=decision)


def render_request(
    method: str, url: str, headers: Mapping[str, str], credentials: tuple[Credential, ...]
) -> str:
    """A curl command that repeats a request a probe sent, its credentials as shell variables."""
    kept = {k: v for k, v in headers.items() if k.lower() not in _TRANSPORT_HEADERS}
    parts = ["curl", "-X", method, *(f"-H '{k}: {v}'" for k, v in kept.items()), f"'{url}'"]
    return render_curl(" ".join(parts), credentials)


def run_verify(
    spec: Path,
    base_url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 50,
    seed: int = 0,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    started: Callable[[Report], None] | None = None,
) -> Report:
    """Check the server at `base_url` against `spec`; a violation is a failure in the report.

    `started` sees the (empty) report before the first request; `progress` gets one plain line
    per scenario and phase. Raises:
        SpecError: the spec cannot be read.
        VerifyError: the server cannot be reached.
    """
    clock = time.monotonic()
    api = load_api(spec)
    root = full_base_url(base_url, api)
    headers = dict(headers or {})
    report = Report(
        str(spec),
        root,
        {f"{op.method} {op.path}": OperationResult(f"{op.method} {op.path}") for op in api.operations},
        strict=strict,
    )
    run = _Run(api, report, headers)
    report.credentials = render_credentials(run.credentials)
    if started is not None:
        started(report)
    say = progress or (lambda line: None)
    _reachable(base_url)
    # Drift is kept aside (the run goes on); the report tells drift from broken facts.
    schema = load_contract(
        spec, base_url=base_url, headers=headers, max_examples=max_examples, seed=seed, on_drift="record"
    )
    # Reproduce commands carry the credential as a shell variable (see evidence.py), not the secret.
    schema.config.output.sanitization.update(enabled=False)
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise VerifyError(f"verification stopped: {event.exception}")
        if isinstance(event, events.PhaseStarted):
            say(f"{event.phase.name.value:>10}  started")
        if not isinstance(event, events.ScenarioFinished) or event.recorder is None:
            continue
        run.scenario(event.recorder)
        if event.label:
            say(f"{event.phase.value:>10}  {event.label}: {len(event.recorder.cases)} cases")
    for drift in recorded_drift(schema):
        run.drifted(drift, root)
    prober = Prober(api, root, headers, run.reproduce)
    for label, op in run.ops.items():
        if label in run.samples:
            say(f"{'probes':>10}  {label}: credentials, polls, pages")
            run_probes(op, list(run.samples[label].values()), prober, report.operations[label])
    run.evidence()
    run.classify()
    report.seconds = time.monotonic() - clock
    return report
