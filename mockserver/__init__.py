"""mockserver: a contract-testing mock server driven by hand-written OpenAPI documents."""

from __future__ import annotations

from mockserver.exceptions import ConfigError, FixtureError, MockServerError, SpecError

__version__ = "0.1.0"

__all__ = ["ConfigError", "FixtureError", "MockServerError", "SpecError", "__version__"]
