"""Broken fakes for the tree/lifecycle invariants: the mock's own answers pass; each answer broken in
one way (the breakages below) is caught by the rule meant for it, with drift vs failure as declared."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from mockserver.spec.pointers import item_schema
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import lifecycle_from
from mockserver.verify.checks import ContractViolation, semantic_checks
from mockserver.verify.invariants import check_children, read_node, tree_checks
from tests.unit.parts import api, op, wire

DETAILS = ("oracle_selfservice", "getWorkflowStatusDetails")
RULES = op(*DETAILS).rules.tree
assert RULES is not None
SCHEMA = item_schema(response_schema(op(*DETAILS), "200") or {}, RULES.children)
LIFECYCLE = lifecycle_from(SCHEMA["x-mock-lifecycle"])


def _tree(execution: str = "9-FAILSTEP2", polls: int = 3) -> tuple[Any, Any]:
    """A pinned execution after `polls` polls: the root's answer, and the answer of its first step
    with sub-steps (asked at the same poll count)."""
    parts = wire()
    request = parts.request(*DETAILS, path={"id": execution}, query={"stepId": "0", "requestor": "X"})
    for _ in range(polls - 1):
        parts.choose(request)
    root = parts.choose(request).reply
    assert root is not None
    inner = next(s for s in root.body["subSteps"] if s["hasSubStep"])
    below = parts.choose(
        parts.request(
            *DETAILS, path={"id": execution}, query={"stepId": str(inner["stepId"]), "requestor": "X"}
        )
    ).reply
    assert below is not None
    return inner, below.body["subSteps"]


def _rules(parent: Any, children: list[Any]) -> list[tuple[str, bool]]:
    nodes = [read_node(c, SCHEMA, LIFECYCLE) for c in children]
    found = check_children(RULES, LIFECYCLE, nodes, read_node(parent, SCHEMA, LIFECYCLE))
    return sorted({(b.rule, b.decided) for b in found})


def _completed_over_failed(parent: Any, children: list[Any]) -> None:
    parent["status"] = "Completed"
    children[-1].update(status="Failed", endTime=parent["endTime"])


def _queued_with_end(parent: Any, children: list[Any]) -> None:
    children[-1].update(status="Queued", startTime=None, endTime="2030-01-01T00:00:00.000Z")


def _child_outside(parent: Any, children: list[Any]) -> None:
    children[0]["startTime"] = "2000-01-01T00:00:00.000Z"


def _out_of_sequence(parent: Any, children: list[Any]) -> None:
    children[0].update(status="Queued", startTime=None, endTime=None)


def _end_before_start(parent: Any, children: list[Any]) -> None:
    children[0]["endTime"] = "2000-01-01T00:00:00.000Z"


BREAKAGES: dict[str, tuple[Callable[[Any, list[Any]], None], tuple[str, bool]]] = {
    "completed-over-failed": (_completed_over_failed, ("parent_follows_children", True)),
    "queued-with-end": (_queued_with_end, ("not_started_has_no_end", True)),
    "child-outside-parent": (_child_outside, ("child_inside_parent", True)),
    "out-of-sequence": (_out_of_sequence, ("siblings_in_sequence", True)),
    "end-before-start": (_end_before_start, ("start_before_end", False)),
}


@pytest.mark.parametrize("execution", ["9-FAILSTEP2", "9-SUCCEEDS", "9-THROTTLED"])
def test_the_mocks_own_pinned_trees_break_no_rule(execution: str) -> None:
    parent, children = _tree(execution)
    assert _rules(parent, children) == []


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_each_broken_fake_is_caught_by_its_rule(name: str) -> None:
    breakage, expected = BREAKAGES[name]
    parent, children = _tree("9-SUCCEEDS", polls=4)
    assert parent["status"] == "Completed"
    breakage(parent, children)
    assert expected in _rules(parent, children)


def _check(violation: Any) -> Any:
    return next(
        c for c in tree_checks(api("oracle_selfservice"), violation) if c.__name__ == "tree_invariants"
    )


def _body() -> Any:
    parts = wire()
    request = parts.request(*DETAILS, path={"id": "9-SUCCEEDS"}, query={"stepId": "0", "requestor": "X"})
    return parts.choose(request).reply.body  # type: ignore[union-attr]


CASE = SimpleNamespace(operation=SimpleNamespace(definition=SimpleNamespace(raw={"operationId": DETAILS[1]})))


def _response(value: Any) -> Any:
    return SimpleNamespace(status_code=200, json=lambda: value, request=None)


def test_verify_registers_the_tree_check() -> None:
    assert "tree_invariants" in [c.__name__ for c in semantic_checks(api("oracle_selfservice"))]


def test_a_queued_step_with_times_is_drift_on_the_nodes_a_decision_governs() -> None:
    body = _body()
    assert _check(ContractViolation)(None, _response(body), CASE) is True
    body["subSteps"][-1].update(status="Queued", endTime="2030-01-01T00:00:00.000Z")
    with pytest.raises(ContractViolation) as caught:
        _check(ContractViolation)(None, _response(body), CASE)
    assert caught.value.check_name == "not_started_has_no_end" and "drift" in str(caught.value.title)
    grounds = caught.value.grounds
    assert grounds == (
        "/paths/~1executions~1{id}~1status~1details/get/x-mock/tree",
        "/components/schemas/SubStep/x-mock-lifecycle/states/Queued",
    )
    governed = {
        pointer
        for node in _decisions(api("oracle_selfservice").document)
        for pointer in node.get("governs", [])
    }
    assert set(grounds) <= governed, "a spec decision governs each ground: drift, not a failure"


def test_an_end_before_its_start_is_a_failure() -> None:
    body = _body()
    started = next(s for s in body["subSteps"] if s["startTime"])
    started["endTime"] = "2000-01-01T00:00:00.000Z"
    with pytest.raises(ContractViolation) as caught:
        _check(ContractViolation)(None, _response(body), CASE)
    assert caught.value.check_name == "start_before_end" and "drift" not in str(caught.value.title)


def _decisions(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [*node.get("x-decision", []), *(d for v in node.values() for d in _decisions(v))]
    if isinstance(node, list):
        return [d for v in node for d in _decisions(v)]
    return []
