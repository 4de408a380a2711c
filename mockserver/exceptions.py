"""The mock server's own exception tree.

    MockServerError
    ├── SpecError (ValueError)       a spec file cannot be read, resolved or served
    ├── FixtureError (ValueError)    a fixture file cannot be read or breaks its schema
    ├── ConfigError (ValueError)     a setting (flag, environment variable) is unusable
    └── StateUnavailable             the shared state store cannot be reached (served as 503)

Every message says what failed, the bad value, what was expected, and where
(`specs/onedata.yaml#/paths/...`, `fixtures/etlworks/runs.yaml:14`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["ConfigError", "FixtureError", "MockServerError", "SpecError", "StateUnavailable", "did_you_mean"]


class MockServerError(Exception):
    """Base of every error the mock server raises on purpose."""

    def __init__(self, message: str, *, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SpecError(MockServerError, ValueError):
    """A spec file cannot be read, resolved or served."""


class FixtureError(MockServerError, ValueError):
    """A fixture file cannot be read or does not fit the spec."""


class ConfigError(MockServerError, ValueError):
    """A setting cannot be used."""


class StateUnavailable(MockServerError):
    """The shared state store (Redis) cannot be reached now; the next call tries again."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` when `name` looks like one of `choices` (any case), else ''."""
    options = list(choices)
    exact = [c for c in options if c.lower() == name.lower()]
    hint = exact or difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"; did you mean {hint[0]!r}?" if hint else ""
