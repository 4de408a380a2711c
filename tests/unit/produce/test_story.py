"""One story per tree: sequences release the next sibling, parents roll up, scenarios pass down."""

from __future__ import annotations

import random

from mockserver.produce.story import (
    NEVER,
    children_for,
    leaf_story,
    parent_story,
    released_after,
    scenario_children,
    state_at,
)
from mockserver.spec.rules import Lifecycle, RollupRule, State, Tree

LIFECYCLE = Lifecycle(
    field="/status",
    states={
        "Queued": State("Queued", (10, 20), {"Running": 1}, started=False),
        "Running": State("Running", (30, 60), {"Done": 3, "Failed": 1}),
        "Done": State("Done"),
        "Failed": State("Failed"),
    },
)
ROLLUP = (
    RollupRule("Failed", any=("Failed",), all=("Done", "Failed", "Queued")),
    RollupRule("Queued", all=("Queued",)),
    RollupRule("Done", all=("Done",)),
    RollupRule("Running"),
)
SEQUENCE = Tree(
    "query.step", "/children", "/id", "/more", siblings="sequence", proceed=("Done",), rollup=ROLLUP
)
PARALLEL = Tree("query.step", "/children", "/id", "/more", siblings="parallel", rollup=ROLLUP)


def test_a_leaf_waits_from_creation_and_runs_from_its_release() -> None:
    story = leaf_story(LIFECYCLE, random.Random(1), 100.0, 500.0)
    assert story[0] == ("Queued", 100.0) and story[1][0] == "Running" and story[1][1] >= 500.0
    assert leaf_story(LIFECYCLE, random.Random(1), 100.0, NEVER) == (("Queued", 100.0),)


def test_a_sequence_releases_the_next_sibling_only_after_one_proceeds() -> None:
    done = (("Queued", 0.0), ("Running", 10.0), ("Done", 50.0))
    failed = (("Queued", 0.0), ("Running", 10.0), ("Failed", 50.0))
    assert released_after(SEQUENCE, LIFECYCLE, done, 0.0) == 50.0
    assert released_after(SEQUENCE, LIFECYCLE, failed, 0.0) == NEVER
    assert released_after(PARALLEL, LIFECYCLE, failed, 7.0) == 7.0


def test_a_parent_story_is_rolled_up_from_its_children() -> None:
    first = (("Queued", 0.0), ("Running", 10.0), ("Done", 50.0))
    second = (("Queued", 0.0), ("Running", 60.0), ("Failed", 90.0))
    story = parent_story(SEQUENCE, [first, second])
    assert story == (("Queued", 0.0), ("Running", 10.0), ("Failed", 90.0))
    assert state_at(story, 55.0) == "Running" and state_at(story, -1.0) == "Queued"


def test_scenario_children_stop_a_sequence_after_one_that_did_not_proceed() -> None:
    assert scenario_children(SEQUENCE, LIFECYCLE, ["Done", "Running"], 4) == [
        "Done",
        "Running",
        "Queued",
        "Queued",
    ]
    assert scenario_children(SEQUENCE, LIFECYCLE, ["Done"], 3) == ["Done", "Done", "Done"]
    assert scenario_children(PARALLEL, LIFECYCLE, ["Done", "Running"], 3) == ["Done", "Running", "Running"]


def test_children_for_roll_up_to_the_state_their_parent_shows() -> None:
    for tree in (SEQUENCE, PARALLEL):
        for state in LIFECYCLE.states:
            children = children_for(tree, LIFECYCLE, state, 3)
            assert tree.state(children) == state, (tree.siblings, state, children)
    assert children_for(SEQUENCE, LIFECYCLE, "Running", 3) == ["Running", "Queued", "Queued"]
    assert children_for(SEQUENCE, LIFECYCLE, "Failed", 0) == []


def test_ordered_cascade_runs_one_item_at_a_time() -> None:
    from mockserver.produce.lifecycle import Timeline, running_item
    from mockserver.spec.rules import Order

    order = Order(items="/lanes", proceed="finished", waiting="scheduled", every=60.0)
    active = Timeline("active", 0.0, 100.0, None, 100.0)
    assert [running_item(order, 3, "active", active, now) for now in (100.0, 170.0, 230.0, 900.0)] == [
        0,
        1,
        2,
        2,
    ]
    failed = Timeline("failed", 0.0, 100.0, 170.0, 170.0)
    assert running_item(order, 3, "failed", failed, 900.0) == 1
    assert running_item(order, 3, "finished", failed, 900.0) == 3
    assert running_item(order, 3, "scheduled", Timeline("scheduled", 0.0, None, None, 0.0), 900.0) == -1
