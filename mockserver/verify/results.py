"""What a verify run found: per operation, its cases, its evidence of success, failures and drift."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

__all__ = ["CaseFailure", "OperationResult", "Report"]


@dataclass(frozen=True)
class CaseFailure:
    """One distinct violation: which check, what was expected, what came back, how to see it.

    `grounds` are the JSON pointers into the spec that the expectation rests on; `decision` is the
    `x-decision` governing them when the spec's author chose this where the vendor is silent (a
    drift warning), None when it is a documented fact (a failure).
    """

    check: str
    title: str
    detail: str
    curl: str
    count: int = 1
    grounds: tuple[str, ...] = ()
    decision: str | None = None


@dataclass
class OperationResult:
    """The cases run for one operation and what they showed."""

    label: str
    cases: int = 0
    positive: int = 0
    succeeded: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str], CaseFailure] = field(default_factory=dict)

    def add(self, failure: CaseFailure) -> None:
        key = (failure.check, failure.title)
        old = self.failures.get(key)
        self.failures[key] = failure if old is None else replace(old, count=old.count + 1)

    def count_positive(self, status: int | None) -> None:
        """A valid (positive) request and the status it got (None: no response)."""
        self.positive += 1
        if status is not None and 200 <= status < 300:
            self.succeeded += 1
        else:
            self.refused[status or 0] += 1


@dataclass
class Report:
    """A whole run; `strict` counts drift from the spec's decisions as failures."""

    spec: str
    base_url: str
    operations: dict[str, OperationResult]
    seconds: float = 0.0
    credentials: str = ""
    strict: bool = False

    @property
    def cases(self) -> int:
        return sum(r.cases for r in self.operations.values())

    @property
    def succeeded(self) -> int:
        return sum(r.succeeded for r in self.operations.values())

    @property
    def failures(self) -> list[tuple[str, CaseFailure]]:
        """Violations of documented facts (and, when strict, of decisions)."""
        return [
            (label, f)
            for label, r in self.operations.items()
            for f in r.failures.values()
            if f.decision is None or self.strict
        ]

    @property
    def warnings(self) -> list[tuple[str, CaseFailure]]:
        """Drift from the spec's own decisions (empty when strict: they are failures then)."""
        if self.strict:
            return []
        return [(label, f) for label, r in self.operations.items() for f in r.failures.values() if f.decision]
