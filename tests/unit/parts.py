"""The answering parts wired as the server wires them, without a server: for unit tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from mockserver.pipeline.choose import Choice, Chooser
from mockserver.pipeline.faults import FaultPlan, FaultRule
from mockserver.pipeline.parameters import RequestParameters, parameter_specs
from mockserver.pipeline.pins import SessionClock, StorePins, run_now
from mockserver.pipeline.prefer import parse_prefer
from mockserver.pipeline.request import Request
from mockserver.produce.fixtures import FixtureSet, load_fixtures
from mockserver.produce.producer import Producer
from mockserver.spec.catalog import Api, Operation, load_catalog
from mockserver.store import MemoryStore, Store
from tests.conftest import FIXTURES, SLUGS, SPECS

__all__ = ["APIS", "ORIGIN", "Parts", "api", "op", "read", "wire"]

APIS = load_catalog([SPECS / f"{slug}.yaml" for slug in SLUGS])
ORIGIN = 1_767_225_600.0  # 2026-01-01T00:00:00Z
_FIXTURES = load_fixtures(FIXTURES, APIS)


def api(slug: str) -> Api:
    return next(a for a in APIS if a.slug == slug)


def op(slug: str, operation_id: str) -> Operation:
    return api(slug).operation(operation_id)


def read(
    slug: str, operation_id: str, path: dict[str, str] | None = None, query: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Typed values as the parameter reader makes them from a raw request."""
    scope = {
        "path_params": path or {},
        "query_string": urlencode(query or {}, doseq=True).encode(),
        "headers": [],
    }
    return RequestParameters.of(parameter_specs(op(slug, operation_id))).read(scope)


@dataclass
class Parts:
    clock: SessionClock
    state: Store
    producer: Producer
    chooser: Chooser

    def choose(self, request: Request) -> Choice:
        """The chooser's answer, on an event loop (the memory store never waits on it)."""
        return asyncio.run(self.chooser.choose(request))

    def pin(self, key: str, scenario: str, session: str = "") -> None:
        run_now(self.state.pin(session, key, scenario))

    def advance(self, seconds: float, key: str = "", session: str = "") -> None:
        run_now(self.state.advance(session, seconds, key))

    def request(
        self,
        slug: str,
        operation_id: str,
        path: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        prefer: str | None = None,
    ) -> Request:
        values = read(slug, operation_id, path, query)
        return Request(api(slug), op(slug, operation_id), values, parse_prefer(prefer))


def wire(
    *,
    fixtures: bool = True,
    faults: tuple[FaultRule, ...] = (),
    fixtures_only: bool = False,
    seed: int = 0,
    store: Store | None = None,
) -> Parts:
    """A frozen clock (scale 0) at ORIGIN, fresh state, the project's fixtures (or none)."""
    clock = SessionClock(ORIGIN, scale=0.0)
    state = store or MemoryStore()
    pins = StorePins(state, clock)
    producer = Producer(_FIXTURES if fixtures else FixtureSet(), clock, pins, seed=seed, cache_size=64)
    chooser = Chooser(producer, FaultPlan(faults, seed=1), state, fixtures_only=fixtures_only)
    return Parts(clock, state, producer, chooser)
