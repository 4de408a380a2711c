"""Trees: one node per request, ids unique, children on their own clocks or a scenario's."""

from __future__ import annotations

from tests.unit.parts import wire

DETAILS = ("oracle_selfservice", "getWorkflowStatusDetails")


def _node(step: str, execution: str = "3-ABC") -> object:
    parts = wire(fixtures=False)
    request = parts.request(*DETAILS, path={"id": execution}, query={"stepId": step, "requestor": "X"})
    return parts.producer.body(parts.producer.ask(request.api, request.op, request.values, "200"))


def test_the_root_has_children_and_a_child_with_children_is_a_node() -> None:
    root = _node("0")
    assert isinstance(root, dict) and root["subSteps"]
    ids = [child["stepId"] for child in root["subSteps"]]
    assert len(ids) == len(set(ids))
    inner = next(c for c in root["subSteps"] if c["hasSubStep"])  # seed 0 grows one
    node = _node(str(inner["stepId"]))
    assert isinstance(node, dict) and node["subSteps"] and node["stepId"] == inner["stepId"]
    leaf = next(c for c in [*root["subSteps"], *node["subSteps"]] if not c["hasSubStep"])
    assert _node(str(leaf["stepId"])) == {**_node(str(leaf["stepId"])), "subSteps": []}


def test_a_step_the_tree_does_not_have_is_no_resource() -> None:
    assert _node("987654321") is None


def test_a_scenario_gives_the_children_their_states() -> None:
    parts = wire()
    request = parts.request(*DETAILS, path={"id": "9-FAILSTEP2"}, query={"stepId": "0", "requestor": "X"})
    states = []
    for _ in range(3):
        choice = parts.choose(request)
        assert choice.reply is not None
        states.append([c["status"] for c in choice.reply.body["subSteps"]][:3])
    assert states[0][:2] == ["In Progress", "Queued"]
    assert states[2][:2] == ["Completed", "Failed"]
