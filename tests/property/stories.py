"""What a told story looks like from outside, shared by the property and integration tests."""

from __future__ import annotations

from typing import Any

__all__ = ["lanes_follow"]


def lanes_follow(body: Any) -> bool:
    """Onedata: lanes are shown, one run each, and run one after the other: finished lanes, then
    the one in the workflow's state, then scheduled ones (all finished, or all scheduled, alike)."""
    lanes = body.get("lanes") or []
    if not lanes or any(len(lane.get("runs") or []) != 1 for lane in lanes):
        return False
    runs = [lane["runs"][0]["status"] for lane in lanes]
    state = body["status"]
    if state in ("finished", "scheduled"):
        return runs == [state] * len(runs)
    return any(
        runs == ["finished"] * k + [state] + ["scheduled"] * (len(runs) - k - 1) for k in range(len(runs))
    )
