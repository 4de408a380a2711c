"""Timelines: states follow time, time fields follow states, nothing regresses."""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.produce.generate import rng_for
from mockserver.produce.lifecycle import apply_timeline, human_duration, timeline_at
from mockserver.spec.rules import lifecycle_from

LIFECYCLE = lifecycle_from(
    {
        "field": "/status",
        "states": {
            "queued": {"for": [10, 10], "next": {"running": 1}, "started": False},
            "running": {"for": [100, 100], "next": {"done": 1, "failed": 1}},
            "done": {},
            "failed": {},
        },
        "times": {"created": "/createdAt", "start": "/startedAt", "end": "/endedAt", "duration": "/took"},
        "unset": {"/startedAt": 0},
        "when": {"/error": ["failed"]},
        "cascade": {"/steps/*/state": {"running": "active", "done": "ok", "failed": "ok"}},
    }
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string"},
        "createdAt": {"type": "integer", "x-time": "epoch-s"},
        "startedAt": {"type": "integer", "x-time": "epoch-s"},
        "endedAt": {"type": "string", "format": "date-time", "nullable": True, "x-time": "rfc3339"},
        "took": {"type": "string"},
        "error": {"type": "string", "nullable": True},
    },
}


def _body_at(elapsed: float, seed: str = "a") -> dict[str, Any]:
    body: dict[str, Any] = {"error": "boom", "steps": [{"state": "new"}, {"state": "new"}]}
    timeline = timeline_at(LIFECYCLE, rng_for(seed), created=1000.0, now=1000.0 + elapsed)
    apply_timeline(body, SCHEMA, LIFECYCLE, timeline)
    return body


def test_a_run_moves_through_its_states_as_time_passes() -> None:
    assert _body_at(5)["status"] == "queued"
    assert _body_at(50)["status"] == "running"
    assert _body_at(500)["status"] in ("done", "failed")


def test_times_are_unset_until_reached() -> None:
    queued, running, ended = _body_at(5), _body_at(50), _body_at(500)
    assert queued["startedAt"] == 0 and queued["endedAt"] is None and queued["createdAt"] == 1000
    assert running["startedAt"] == 1010 and running["endedAt"] is None and "took" not in running
    assert ended["endedAt"].startswith("1970-01-01T00:18:30") and ended["took"] == "1 min 40 sec"


def test_state_dependent_fields_and_cascades() -> None:
    running = _body_at(50)
    assert running["error"] is None
    assert [s["state"] for s in running["steps"]] == ["active", "active"]
    failed = next(_body_at(500, seed) for seed in "abcdefgh" if _body_at(500, seed)["status"] == "failed")
    assert failed["error"] == "boom"


@pytest.mark.parametrize("seed", ["a", "b", "c", "d", "e", "f"])
def test_a_terminal_state_never_turns_back_and_start_never_moves(seed: str) -> None:
    bodies = [_body_at(t, seed) for t in range(0, 600, 7)]
    terminal_seen = False
    starts = {b["startedAt"] for b in bodies if b["startedAt"]}
    assert len(starts) == 1
    for body in bodies:
        if terminal_seen:
            assert body["status"] in ("done", "failed")
        terminal_seen = terminal_seen or body["status"] in ("done", "failed")
    assert terminal_seen


def test_same_seed_same_story() -> None:
    assert [_body_at(t, "z") for t in (5, 50, 500)] == [_body_at(t, "z") for t in (5, 50, 500)]


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 sec"), (125, "2 min 5 sec"), (3725, "1 h 2 min 5 sec")], ids=str
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text
