"""Faults on purpose: latency, documented error statuses, dropped connections; seeded.

A fault config file (YAML) holds rules; the first rule that matches a request's API and
operation decides it:

    seed: 7
    rules:
      - {api: "*", operation: "*", latency_ms: [20, 80]}
      - {api: codecatalyst, error_rate: 0.2, status: 429, retry_after: 2}
      - {api: etlworks, operation: getFlowStatus, error_rate: 0.1, status: 500}
      - {drop_rate: 0.01}

A status the operation does not document is never sent unless the rule says `force: true`.
`check_fault_plan` refuses at start-up a rule naming no API or operation, and a status that no
operation it matches documents (with `force: true`, a warning instead).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from mockserver.exceptions import ConfigError, SpecError, did_you_mean
from mockserver.spec.catalog import Api, Operation, load_document

__all__ = ["Decision", "FaultPlan", "FaultRule", "check_fault_plan", "load_fault_plan"]

_RULE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "api": {"type": "string"},
        "operation": {"type": "string"},
        "latency_ms": {
            "type": "array",
            "items": {"type": "number", "minimum": 0},
            "minItems": 2,
            "maxItems": 2,
        },
        "error_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "retry_after": {"type": "number", "minimum": 0},
        "drop_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "force": {"type": "boolean"},
    },
}
_FILE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"seed": {"type": "integer"}, "rules": {"type": "array", "items": _RULE_SCHEMA}},
}


@dataclass(frozen=True)
class FaultRule:
    api: str = "*"
    operation: str = "*"
    latency_ms: tuple[float, float] = (0.0, 0.0)
    error_rate: float = 0.0
    status: int = 500
    retry_after: float | None = None
    drop_rate: float = 0.0
    force: bool = False
    origin: str = field(default="", compare=False)  # where the rule was written, for messages

    def matches(self, slug: str, op: Operation) -> bool:
        return self.api in ("*", slug) and self.operation in ("*", op.id)


@dataclass(frozen=True)
class Decision:
    """What a fault does to one request."""

    delay_s: float = 0.0
    drop: bool = False
    status: str | None = None
    retry_after: float | None = None
    envelope: str | None = None  # the documented status whose error body answers (a forced one has none)


class FaultPlan:
    """The rules and one seeded random stream, drawn from in request order."""

    def __init__(self, rules: Sequence[FaultRule], seed: int = 0) -> None:
        self.rules = tuple(rules)
        self._rng = random.Random(seed)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def decide(self, slug: str, op: Operation) -> Decision:
        rule = next((r for r in self.rules if r.matches(slug, op)), None)
        if rule is None:
            return Decision()
        low, high = rule.latency_ms
        delay = self._rng.uniform(low, high) / 1000 if high > 0 else 0.0
        if rule.drop_rate and self._rng.random() < rule.drop_rate:
            return Decision(delay, drop=True)
        if rule.error_rate and self._rng.random() < rule.error_rate:
            status = str(rule.status)
            if rule.force or status in op.responses:
                retry = (
                    rule.retry_after if rule.retry_after is not None else (1.0 if status == "429" else None)
                )
                return Decision(delay, status=status, retry_after=retry, envelope=_envelope(op, status))
        return Decision(delay)


def _envelope(op: Operation, status: str) -> str | None:
    """The status itself when documented; for a forced one the API's error body of another status
    (a 5xx first), or None when the operation documents no error at all."""
    if status in op.responses:
        return status
    errors = sorted((s for s in op.responses if s[:1] in ("4", "5")), key=lambda s: (s[:1] != "5", s))
    return errors[0] if errors else None


def _rule(raw: Mapping[str, Any], origin: str) -> FaultRule:
    latency = raw.get("latency_ms") or (0, 0)
    return FaultRule(
        origin=origin,
        api=str(raw.get("api", "*")),
        operation=str(raw.get("operation", "*")),
        latency_ms=(float(latency[0]), float(latency[1])),
        error_rate=float(raw.get("error_rate", 0)),
        status=int(raw.get("status", 500)),
        retry_after=raw.get("retry_after"),
        drop_rate=float(raw.get("drop_rate", 0)),
        force=bool(raw.get("force", False)),
    )


def load_fault_plan(
    path: Path | None,
    *,
    latency: str | None = None,
    error_rate: float = 0.0,
    error_status: int = 500,
    drop_rate: float = 0.0,
    seed: int = 0,
) -> FaultPlan:
    """Rules from a config file, then one global rule from the command-line flags.

    Raises:
        ConfigError: the file or a flag is not a valid fault description.
    """
    rules: list[FaultRule] = []
    if path is not None:
        try:
            document: Any = load_document(path)
        except SpecError as exc:
            raise ConfigError(exc.message, where=exc.where) from None
        error = next(iter(Draft202012Validator(_FILE_SCHEMA).iter_errors(document)), None)
        if error is not None:
            at = "/" + "/".join(str(p) for p in error.absolute_path)
            raise ConfigError(f"{at}: {error.message}", where=str(path))
        seed = int(document.get("seed", seed))
        rules += [_rule(raw, f"{path}: /rules/{i}") for i, raw in enumerate(document.get("rules") or [])]
    if latency or error_rate or drop_rate:
        low, _, high = (latency or "0").partition("-")
        try:
            window = (float(low), float(high or low))
        except ValueError:
            raise ConfigError(f"--latency {latency!r}: expected MS or MIN-MAX milliseconds") from None
        if not (0 <= error_rate <= 1 and 0 <= drop_rate <= 1):
            raise ConfigError("--error-rate and --drop-rate must be between 0 and 1")
        rules.append(
            FaultRule(
                latency_ms=window,
                error_rate=error_rate,
                status=error_status,
                drop_rate=drop_rate,
                origin="--error-status",
            )
        )
    if not 400 <= error_status <= 599:
        raise ConfigError(f"--error-status {error_status}: expected an error status from 400 to 599")
    return FaultPlan(rules, seed)


def check_fault_plan(plan: FaultPlan, apis: Sequence[Api], known: Collection[str] = ()) -> list[str]:
    """Warnings about the plan's rules (a forced undocumented status); `known` are API slugs
    that exist but are not served now (their rules stay idle).

    Raises:
        ConfigError: a rule names an unknown API or operation, or a status it can never send.
    """
    warnings: list[str] = []
    slugs = [api.slug for api in apis]
    for rule in plan.rules:
        where = rule.origin or "fault rule"
        if rule.api != "*" and rule.api not in slugs:
            if rule.api in known:
                continue
            raise ConfigError(
                f"api {rule.api!r} is not served{did_you_mean(rule.api, slugs)}"
                f' (expected "*" or one of {", ".join(slugs)})',
                where=where,
            )
        scope = [api for api in apis if rule.api in ("*", api.slug)]
        ops = [op for api in scope for op in api.operations if rule.operation in ("*", op.id)]
        if not ops:
            names = sorted({op.id for api in scope for op in api.operations})
            raise ConfigError(
                f"operation {rule.operation!r} is not in {rule.api if rule.api != '*' else 'any served API'}"
                f'{did_you_mean(rule.operation, names)} (expected "*" or one of {", ".join(names)})',
                where=where,
            )
        if not rule.error_rate or any(str(rule.status) in op.responses for op in ops):
            continue
        documented = ", ".join(sorted({op.id for op in ops}))
        if not rule.force:
            raise ConfigError(
                f"status {rule.status}: none of the operations it matches ({documented}) documents it,"
                " so the rule would never fire (choose a documented status, or force: true to send it)",
                where=where,
            )
        warnings.append(
            f"{where}: status {rule.status} is forced on {documented}, which documents no such response"
        )
    return warnings
