"""Contract testing: check a real or fake server against a spec.

Built on Schemathesis (all phases and response checks) plus the spec's own facts, read from the
same `x-mock` extensions that drive the mock. From pytest:

    from mockserver.verify import assert_probes, load_contract

    schema = load_contract("specs/etlworks.yaml", base_url="http://127.0.0.1:8000",
                           headers={"Authorization": "Bearer t"})

    @schema.parametrize()
    def test_server_keeps_the_contract(case):
        case.call_and_validate()

    def test_server_keeps_the_contract_across_requests():
        assert_probes(schema)  # verify's probes: credentials, repeated polls, pages
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.verify.checks import ContractViolation, semantic_checks
    from mockserver.verify.contract import DriftWarning, load_contract
    from mockserver.verify.report import render_heading, render_text, write_junit
    from mockserver.verify.runner import Report, VerifyError, run_verify
    from mockserver.verify.suite import ProbeError, assert_probes, check_probes

__all__ = [
    "ContractViolation",
    "DriftWarning",
    "ProbeError",
    "Report",
    "VerifyError",
    "assert_probes",
    "check_probes",
    "load_contract",
    "render_heading",
    "render_text",
    "run_verify",
    "semantic_checks",
    "write_junit",
]

# Imported on first use, so `lint` (which reads x-decision pointers from verify.grounds) and
# `serve` do not load Schemathesis.
_HOMES = {
    "ContractViolation": "checks",
    "semantic_checks": "checks",
    "DriftWarning": "contract",
    "load_contract": "contract",
    "render_heading": "report",
    "render_text": "report",
    "write_junit": "report",
    "Report": "runner",
    "VerifyError": "runner",
    "run_verify": "runner",
    "ProbeError": "suite",
    "assert_probes": "suite",
    "check_probes": "suite",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mockserver.verify' has no attribute {name!r}")
    return getattr(importlib.import_module(f"mockserver.verify.{_HOMES[name]}"), name)
