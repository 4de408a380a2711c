"""Fault rules: which request they match, what they decide, and refusals of bad configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.exceptions import ConfigError
from mockserver.pipeline.faults import FaultPlan, FaultRule, load_fault_plan
from tests.unit.parts import op

FLOW = op("etlworks", "getFlowStatus")


def test_first_matching_rule_decides() -> None:
    plan = FaultPlan([FaultRule(api="onedata", error_rate=1.0), FaultRule(latency_ms=(10.0, 10.0))])
    decision = plan.decide("etlworks", FLOW)
    assert decision.status is None and decision.delay_s == pytest.approx(0.01)


def test_the_same_seed_draws_the_same_faults() -> None:
    rule = FaultRule(error_rate=0.5, status=500)
    plans = (FaultPlan([rule], 3), FaultPlan([rule], 3))
    runs = [[plan.decide("etlworks", FLOW).status for _ in range(20)] for plan in plans]
    assert runs[0] == runs[1] and set(runs[0]) == {None, "500"}


def test_throttling_gets_a_default_retry_after_when_documented_or_forced() -> None:
    decision = FaultPlan([FaultRule(error_rate=1.0, status=429, force=True)]).decide("etlworks", FLOW)
    assert decision.status == "429" and decision.retry_after == 1.0


def test_an_empty_plan_is_false() -> None:
    assert not FaultPlan([]) and FaultPlan([FaultRule()])


def test_flags_become_one_global_rule() -> None:
    plan = load_fault_plan(None, latency="5-9", error_rate=0.1, error_status=503)
    assert plan.rules == (FaultRule(latency_ms=(5.0, 9.0), error_rate=0.1, status=503),)


def test_a_bad_config_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("rules:\n  - {error_rate: 2}\n")
    with pytest.raises(ConfigError, match=r"/rules/0/error_rate"):
        load_fault_plan(path)
    with pytest.raises(ConfigError, match="--latency"):
        load_fault_plan(None, latency="fast")


def _check(*rules: FaultRule) -> list[str]:
    from mockserver.pipeline.faults import check_fault_plan
    from tests.unit.parts import APIS

    return check_fault_plan(FaultPlan(rules), [a for a in APIS if a.slug != "onedata"], known={"onedata"})


def test_a_rule_naming_no_api_or_operation_is_refused_with_did_you_mean() -> None:
    with pytest.raises(
        ConfigError, match=r"faults.yaml: /rules/3: api 'etlwork' .*did you mean 'etlworks'\?"
    ):
        _check(FaultRule(api="etlwork", origin="faults.yaml: /rules/3"))
    with pytest.raises(ConfigError, match=r"operation 'getstatus' .*did you mean 'getFlowStatus'\?"):
        _check(FaultRule(api="etlworks", operation="getstatus"))


def test_a_status_no_matched_operation_documents_is_refused_unless_forced() -> None:
    with pytest.raises(ConfigError, match="status 429: none of the operations"):
        _check(FaultRule(api="etlworks", error_rate=0.5, status=429))
    warnings = _check(FaultRule(api="etlworks", error_rate=0.5, status=429, force=True))
    assert len(warnings) == 1 and "429 is forced on getFlowStatus" in warnings[0]
    assert _check(FaultRule(error_rate=0.5, status=429)) == []  # CodeCatalyst and Oracle document 429


def test_a_rule_for_a_known_api_not_served_now_is_idle() -> None:
    assert _check(FaultRule(api="onedata", operation="nothing-checked", error_rate=1, status=418)) == []


def test_an_error_status_flag_outside_the_error_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="--error-status 299"):
        load_fault_plan(None, error_rate=0.1, error_status=299)


def test_a_forced_status_answers_in_the_apis_error_envelope() -> None:
    decision = FaultPlan([FaultRule(error_rate=1.0, status=429, force=True)]).decide("etlworks", FLOW)
    assert decision.status == "429" and decision.envelope in FLOW.responses
    assert decision.envelope is not None and decision.envelope.startswith("5")
