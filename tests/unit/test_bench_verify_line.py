"""The bench reads `verify`'s own summary line (it stopped matching once: keep them together)."""

from __future__ import annotations

import pytest

from benchmarks.verify_speed import _VERIFY_LAST
from mockserver.verify.report import render_text
from mockserver.verify.results import CaseFailure, OperationResult, Report


@pytest.mark.parametrize(("failed", "drift"), [(0, None), (1, None), (1, "x-one"), (0, "x-one")])
def test_the_bench_parses_every_form_of_the_summary(failed: int, drift: str | None) -> None:
    first, second = OperationResult("GET /a", cases=40, succeeded=30), OperationResult("GET /b", cases=2)
    if failed:
        first.add(CaseFailure("ids_echoed", "the id is not echoed", "detail", "curl"))
    if drift:
        second.add(CaseFailure("not_started_has_no_end", "Queued with an end", "d", "c", decision=drift))
    report = Report("spec.yaml", "http://127.0.0.1:1", {"GET /a": first, "GET /b": second}, seconds=3.25)
    found = [m for m in map(_VERIFY_LAST.search, render_text(report).splitlines()) if m]
    assert [m.groups() for m in found] == [("2", "42", str(failed), "3.2")]
