"""The one place that decides each answer: Prefer, then a fault, a scenario's turn, a fixture, generation."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.exceptions import StateUnavailable
from mockserver.pipeline.faults import FaultPlan
from mockserver.pipeline.pins import CURRENT_LOOKUP, CURRENT_SESSION, Lookup, MissingState
from mockserver.pipeline.prefer import PreferError
from mockserver.pipeline.request import Request
from mockserver.produce.producer import Producer
from mockserver.produce.resource import copy_json
from mockserver.produce.scenarios import ScenarioAnswer
from mockserver.render.errors import render_error, render_problem
from mockserver.render.reply import Reply
from mockserver.spec.catalog import Operation
from mockserver.spec.responses import success_status
from mockserver.store import Store

__all__ = ["Choice", "Chooser"]

_MAX_ROUNDS = 16  # rounds of reading a shared store for one answer; each reads only ids still unknown


@dataclass(frozen=True)
class Choice:
    """What to do with a request: wait `delay_s`, then send `reply`, or drop the connection."""

    reply: Reply | None
    delay_s: float = 0.0
    drop: bool = False


class Chooser:
    """Decides, in this order: the client's `Prefer`; a fault rule; the turn of a scenario the id
    is pinned to; a fixture; generated data."""

    def __init__(
        self, producer: Producer, faults: FaultPlan, store: Store, *, fixtures_only: bool = False
    ) -> None:
        self.producer = producer
        self.faults = faults
        self.store = store
        self.fixtures_only = fixtures_only

    async def choose(self, request: Request) -> Choice:
        """The answer to a routed, checked request.

        Raises:
            PreferError: `Prefer` asks for a status or example the operation does not document.
        """
        op, prefer = request.op, request.prefer
        delay = prefer.delay_ms / 1000
        success = success_status(op)
        status = prefer.code or success
        if status not in op.responses:
            raise PreferError(f"code={status}: {op.id} documents {', '.join(op.responses)}")
        if prefer.example:
            return Choice(_example(op, status, prefer.example), delay)
        if status != success:
            return Choice(self._error(op, "", f"Prefer: code={status}", status), delay)
        if self.faults and prefer.code is None:
            decision = self.faults.decide(request.api.slug, op)
            delay += decision.delay_s
            if decision.drop:
                return Choice(None, delay, drop=True)
            if decision.status is not None:
                message = f"fault injected: {decision.status}"
                reply = Reply(int(decision.status), None)  # forced, and the operation has no error body
                if decision.envelope is not None:
                    reply = self._error(op, "", message, decision.envelope)
                headers = dict(reply.headers)
                if decision.retry_after is not None:
                    headers["Retry-After"] = f"{decision.retry_after:g}"
                return Choice(Reply(int(decision.status), reply.body, headers, reply.media_type), delay)
        try:
            return Choice(await self._read_state(request, status), delay)
        except StateUnavailable as exc:
            return Choice(self._unavailable(op, str(exc)), delay)

    def _unavailable(self, op: Operation, message: str) -> Reply:
        """503 in the API's own envelope where it documents one, else the mock's problem document."""
        if "503" in op.responses:
            reply = render_error(op, "unavailable", message, self.producer.generator, status="503")
            if reply is not None:
                return reply
        return render_problem("state-unavailable", message)

    async def _read_state(self, request: Request, status: str) -> Reply:
        """`_success` with the store's state of the ids it shows (read in rounds when shared).

        Raises:
            StateUnavailable: the shared store cannot be reached.
        """
        lookup = Lookup(self.store, CURRENT_SESSION.get())
        token = CURRENT_LOOKUP.set(lookup)
        try:
            while True:
                try:
                    reply = self._success(request, status)
                except (MissingState, Exception):
                    if not lookup.pending or lookup.rounds >= _MAX_ROUNDS:
                        raise
                else:
                    if not lookup.pending or lookup.rounds >= _MAX_ROUNDS:
                        return reply
                await lookup.resolve()
        finally:
            CURRENT_LOOKUP.reset(token)

    def _success(self, request: Request, status: str) -> Reply:
        """A scenario's turn, else a fixture, else generated data (or the API's "not found")."""
        producer = self.producer
        ask = producer.ask(request.api, request.op, request.values, status)
        fixture = None if request.prefer.dynamic else producer.fixture(ask)
        try:
            forced = producer.turn(ask, fixture)
            if fixture is not None and forced is None:
                body = producer.fixture_body(request.op, fixture, request.values)
                return Reply(fixture.status, body, fixture.headers)
            if fixture is None and forced is None and self.fixtures_only:
                missing = render_error(request.op, "notFound", "No such resource", producer.generator)
                if missing is not None:
                    return missing
            body = producer.body(ask.but(forced=forced) if forced is not None else ask)
        except ScenarioAnswer as answer:
            return self._scenario_error(answer)
        if body is None:
            return self._not_found(request.op)
        return Reply(int(status), body, observed=producer.observe(ask, body))

    def _not_found(self, op: Operation) -> Reply:
        reply = render_error(op, "notFound", "No such resource", self.producer.generator)
        return reply if reply is not None else Reply(int(success_status(op)), None)

    def _error(self, op: Operation, kind: str, message: str, status: str) -> Reply:
        reply = render_error(op, kind, message, self.producer.generator, status=status)
        assert reply is not None  # `status` is documented
        return reply

    def _scenario_error(self, answer: ScenarioAnswer) -> Reply:
        status = answer.step.status
        assert status is not None
        message = f"scenario {answer.name}: poll {answer.poll} answers {status}"
        reply = render_error(answer.op, "", message, self.producer.generator, status=status)
        if reply is None:  # lint keeps scenario statuses documented; stay safe
            return Reply(int(status), None)
        headers = dict(reply.headers)
        if answer.step.retry_after is not None:
            headers["Retry-After"] = f"{answer.step.retry_after:g}"
        return Reply(
            reply.status, reply.body, headers, reply.media_type, observed=((answer.key, None, None),)
        )


def _example(op: Operation, status: str, name: str) -> Reply:
    """The named example of a documented response, as `Prefer: example=NAME` asks.

    Raises:
        PreferError: the response has no body or no example of that name.
    """
    for content in (op.responses[status].get("content") or {}).values():
        examples = content.get("examples") or {}
        if name in examples:
            return Reply(int(status), copy_json(examples[name].get("value")))
        raise PreferError(
            f"example={name!r}: {op.id} {status} has examples {', '.join(examples) or '(none)'}"
        )
    raise PreferError(f"example={name!r}: {op.id} {status} has no body")
