"""Schema validators: one constructor, one format checker, for every check the mock makes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from openapi_schema_validator import OAS30Validator

__all__ = ["FORMAT_CHECKER", "schema_validator"]

# OpenAPI 3.0's formats (int32 and int64 ranges, byte, ...) on top of JSON Schema's.
FORMAT_CHECKER = OAS30Validator.FORMAT_CHECKER

_VALIDATORS: dict[bytes, Any] = {}


def schema_validator(schema: Mapping[str, Any]) -> Any:
    """The compiled OpenAPI 3.0 validator of `schema`, one per distinct schema content."""
    key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator = _VALIDATORS[key] = OAS30Validator(schema, format_checker=FORMAT_CHECKER)
    return validator
