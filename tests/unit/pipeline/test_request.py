"""The request being answered: one frozen value that every decision reads."""

from __future__ import annotations

import dataclasses

import pytest

from mockserver.pipeline.prefer import Prefer
from mockserver.pipeline.request import Request
from tests.unit.parts import api, op


def test_a_request_without_preferences_prefers_nothing() -> None:
    request = Request(api("etlworks"), op("etlworks", "getFlowStatus"), {"path": {"flowId": 1}})
    assert request.prefer == Prefer() and request.values["path"]["flowId"] == 1


def test_a_request_cannot_change_on_its_way() -> None:
    request = Request(api("etlworks"), op("etlworks", "getFlowStatus"), {"path": {}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.prefer = Prefer(code="500")  # type: ignore[misc]
