"""Property test of the mock: over ids, seeds and clock positions, every answer of every API keeps
the tree and lifecycle invariants its spec declares, and times never move back across polls."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.spec.pointers import item_schema
from mockserver.spec.responses import response_schema
from mockserver.spec.rules import lifecycle_from
from mockserver.verify.invariants import Node, check_children, check_resource, read_node
from tests.property.stories import lanes_follow
from tests.unit.parts import Parts, op, wire

IDS = st.text(alphabet="ABCDEFGHJK0123456789-", min_size=1, max_size=10)
SEEDS = st.integers(min_value=0, max_value=50)
MOMENTS = st.lists(st.floats(min_value=-900, max_value=7200), min_size=1, max_size=5).map(sorted)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DETAILS = ("oracle_selfservice", "getWorkflowStatusDetails")


def _answer(parts: Parts, slug: str, operation: str, **values: Any) -> Any:
    choice = parts.choose(parts.request(slug, operation, **values))
    assert choice.reply is not None
    return choice.reply.body


def _tree_breaches(parts: Parts, execution: str) -> tuple[list[Any], list[str]]:
    """Every breach in the whole step tree of `execution` as it stands now, and the root's states."""
    rules = op(*DETAILS).rules.tree
    assert rules is not None
    schema = item_schema(response_schema(op(*DETAILS), "200") or {}, rules.children)
    lifecycle = lifecycle_from(schema["x-mock-lifecycle"])
    breaches: list[Any] = []
    pending: list[tuple[int, Node | None]] = [(0, None)]
    root: list[str] = []
    while pending:
        step, parent = pending.pop()
        body = _answer(parts, *DETAILS, path={"id": execution}, query={"stepId": str(step), "requestor": "X"})
        nodes = [read_node(c, schema, lifecycle) for c in body["subSteps"]]
        root = root or [str(n.state) for n in nodes]
        breaches += check_children(rules, lifecycle, nodes, parent)
        pending += [(c["stepId"], n) for c, n in zip(body["subSteps"], nodes, strict=True) if c["hasSubStep"]]
    return breaches, root


@SETTINGS
@given(execution=IDS, seed=SEEDS, moments=MOMENTS)
def test_oracle_step_trees_tell_one_story_at_every_moment(
    execution: str, seed: int, moments: list[float]
) -> None:
    parts = wire(fixtures=False, seed=seed)
    now = 0.0
    for moment in moments:
        parts.clock.advance(moment - now)
        now = moment
        breaches, root = _tree_breaches(parts, execution)
        assert breaches == [], breaches
        status = _answer(
            parts, "oracle_selfservice", "getWorkflowStatus", query={"id": [execution], "requestor": "X"}
        )
        expected = "failure" if "Failed" in root else "success" if set(root) == {"Completed"} else "running"
        assert status["response"][0]["status"] == expected, (root, status)


@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_every_pinned_oracle_scenario_keeps_the_tree_rules_on_every_poll(seed: int) -> None:
    for execution in ("9-SUCCEEDS", "9-FAILSTEP2", "9-THROTTLED", "9-RUNNING"):
        parts = wire(seed=seed)
        for _ in range(6):
            choice = parts.choose(
                parts.request(*DETAILS, path={"id": execution}, query={"stepId": "0", "requestor": "X"})
            )
            assert choice.reply is not None
            if choice.reply.status != 200:
                continue
            rules = op(*DETAILS).rules.tree
            assert rules is not None
            schema = item_schema(response_schema(op(*DETAILS), "200") or {}, rules.children)
            lifecycle = lifecycle_from(schema["x-mock-lifecycle"])
            nodes = [read_node(c, schema, lifecycle) for c in choice.reply.body["subSteps"]]
            assert check_children(rules, lifecycle, nodes, None) == []
            assert sum(n.state == "In Progress" for n in nodes) <= 1
            parts.clock.advance(20)


RESOURCES = [
    ("etlworks", "getFlowStatus", lambda i, n: {"path": {"flowId": str(n)}}, ""),
    (
        "codecatalyst",
        "getWorkflowRun",
        lambda i, n: {
            "path": {"spaceName": "acme", "projectName": "web", "id": f"0f8fad5b-d9cb-469f-a165-{n:012d}"}
        },
        "",
    ),
    ("onedata", "getWorkflowExecutionDetails", lambda i, n: {"path": {"wid": i or "w"}}, ""),
    (
        "eightbyeight",
        "listWorkflowInstances",
        lambda i, n: {"path": {"accountId": "acme", "definitionId": f"0f8fad5b-d9cb-469f-a165-{n:012d}"}},
        "/*",
    ),
]


@SETTINGS
@given(
    which=st.sampled_from(RESOURCES), execution=IDS, number=st.integers(1, 10**6), seed=SEEDS, moments=MOMENTS
)
def test_every_lifecycle_resource_keeps_its_times_across_polls(
    which: Any, execution: str, number: int, seed: int, moments: list[float]
) -> None:
    slug, operation, values, at = which
    schema = response_schema(op(slug, operation), "200") or {}
    if at:
        schema = schema["items"]
    lifecycle = lifecycle_from(schema["x-mock-lifecycle"])
    parts = wire(fixtures=False, seed=seed)
    seen: dict[Any, Node] = {}
    now = 0.0
    for moment in moments:
        parts.clock.advance(moment - now)
        now = moment
        body = _answer(parts, slug, operation, **values(execution, number))
        resources = body if at else [body]
        for index, resource in enumerate(resources):
            node = read_node(resource, schema, lifecycle)
            assert check_resource(node, lifecycle) == []
            key = resource.get("workflowId") if at else index
            before = seen.get(key)
            if before is not None:
                assert before.start is None or node.start == before.start, "a start time never moves"
                assert before.end is None or node.end == before.end, "an end time appears once and stays"
            seen[key] = node
            if slug == "onedata":
                assert lanes_follow(resource), resource


PINNED = (
    [("etlworks", "getFlowStatus", {"path": {"flowId": str(n)}}, "") for n in (9001, 9002, 9003, 9005)]
    + [
        (
            "codecatalyst",
            "getWorkflowRun",
            {
                "path": {
                    "spaceName": "acme",
                    "projectName": "web",
                    "id": f"00000000-0000-4000-8000-00000000000{n}",
                }
            },
            "",
        )
        for n in (1, 2, 3, 4)
    ]
    + [
        ("onedata", "getWorkflowExecutionDetails", {"path": {"wid": w}}, "")
        for w in ("scenario-succeeds", "scenario-fails", "scenario-flaps")
    ]
)


@settings(max_examples=15, deadline=None)
@given(which=st.sampled_from(PINNED), seed=SEEDS, gaps=st.lists(st.floats(0, 120), min_size=6, max_size=6))
def test_every_pinned_scenario_keeps_its_times_across_polls(which: Any, seed: int, gaps: list[float]) -> None:
    slug, operation, values, _ = which
    schema = response_schema(op(slug, operation), "200") or {}
    lifecycle = lifecycle_from(schema["x-mock-lifecycle"])
    parts = wire(seed=seed)
    before: Node | None = None
    for gap in gaps:
        parts.clock.advance(gap)
        choice = parts.choose(parts.request(slug, operation, **values))
        assert choice.reply is not None
        if choice.reply.status != 200:
            continue
        node = read_node(choice.reply.body, schema, lifecycle)
        assert check_resource(node, lifecycle) == []
        if before is not None:
            assert before.start is None or node.start == before.start, "a start time never moves"
            assert before.end is None or node.end == before.end, "an end time appears once and stays"
        before = node
