"""Request checks plugged into Connexion: parameters with clear messages, simulated credentials."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from connexion.exceptions import BadRequestProblem
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from connexion.validators import ParameterValidator
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from mockserver.catalog import Parameter

__all__ = ["InvalidParameter", "SpecParameterValidator", "coerce", "path_parameter_problem", "security_map"]

_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_FORMATS = FormatChecker()


def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


_FORMATS.checks("int32")(_is_int32)
_FORMATS.checks("int64")(_is_int64)


class InvalidParameter(BadRequestProblem):  # type: ignore[misc]
    """A request parameter breaks its schema; `detail` names the parameter and why."""

    def __init__(self, location: str, name: str, reason: str) -> None:
        super().__init__(detail=f"{location} parameter '{name}' {reason}")
        self.location = location
        self.name = name
        self.reason = reason


def _reason(error: Any) -> str:
    value = error.instance
    validator = error.validator
    if validator == "type":
        return f"must be of type {error.validator_value} (got {value!r})"
    if validator == "pattern":
        return f"must match the pattern {error.validator_value} (got {value!r})"
    if validator == "enum":
        return f"must be one of {error.validator_value} (got {value!r})"
    if validator == "maximum":
        return f"must be at most {error.validator_value} (got {value!r})"
    if validator == "minimum":
        return f"must be at least {error.validator_value} (got {value!r})"
    if validator == "format":
        return f"must be a valid {error.validator_value} (got {value!r})"
    if validator in ("minLength", "maxLength", "minItems", "maxItems"):
        return f"breaks {validator}={error.validator_value} (got {value!r})"
    return str(error.message)


@dataclass(frozen=True)
class _Compiled:
    name: str
    location: str
    required: bool
    nullable: bool
    validator: Any


_COMPILED: dict[int, tuple[_Compiled, ...]] = {}


def _compile(parameters: list[Mapping[str, Any]]) -> tuple[_Compiled, ...]:
    # Connexion builds a validator per request; compiled once per operation here (id is stable:
    # the operation keeps its parameter list for the app's lifetime).
    key = id(parameters)
    if key not in _COMPILED:
        _COMPILED[key] = tuple(
            _Compiled(
                name=p["name"],
                location=p["in"],
                required=bool(p.get("required")),
                nullable=bool((p.get("schema") or {}).get("nullable")),
                validator=OAS30Validator(p.get("schema") or {}, format_checker=_FORMATS),
            )
            for p in parameters
        )
    return _COMPILED[key]


class SpecParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator with compiled schemas and messages that name the parameter."""

    def __init__(self, parameters: list[Mapping[str, Any]], uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(parameters, uri_parser, **kwargs)
        self._compiled = _compile(parameters)

    def validate_request(self, request: Any) -> None:
        if self.strict_validation:
            super().validate_request(request)
        sources: Mapping[str, Callable[[], Mapping[str, Any]]] = {
            "query": lambda: request.query_params,
            "path": lambda: request.path_params,
            "header": lambda: request.headers,
            "cookie": lambda: request.cookies,
        }
        cache: dict[str, Mapping[str, Any]] = {}
        for param in self._compiled:
            if param.location not in cache:
                cache[param.location] = sources[param.location]()
            values = cache[param.location]
            name = param.name.lower() if param.location == "header" else param.name
            if param.location == "header":
                present = name in {k.lower() for k in values}
                value = values.get(param.name) if present else None
            else:
                present = name in values
                value = values.get(name)
            if not present or value is None:
                if param.required:
                    raise InvalidParameter(param.location, param.name, "is required but missing")
                continue
            if param.nullable and value in ("", "null"):
                continue
            error = next(iter(param.validator.iter_errors(value)), None)
            if error is not None:
                raise InvalidParameter(param.location, param.name, _reason(error))


def coerce(schema: Mapping[str, Any], raw: str) -> Any:
    """A raw string as the schema's scalar type, or unchanged when it does not parse."""
    try:
        if schema.get("type") == "integer":
            return int(raw)
        if schema.get("type") == "number":
            return float(raw)
    except ValueError:
        pass
    if schema.get("type") == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def path_parameter_problem(parameters: Sequence[Parameter], values: Mapping[str, str]) -> str | None:
    """Why raw path values break their schemas (the first problem), or None."""
    for param in parameters:
        if param.location != "path" or param.name not in values:
            continue
        raw: Any = unquote(values[param.name])
        if param.schema.get("type") in ("integer", "number"):
            try:
                raw = int(raw) if param.schema.get("type") == "integer" else float(raw)
            except ValueError:
                return f"path parameter '{param.name}' must be of type {param.schema['type']} (got {raw!r})"
        error = next(iter(OAS30Validator(param.schema, format_checker=_FORMATS).iter_errors(raw)), None)
        if error is not None:
            return str(InvalidParameter("path", param.name, _reason(error)).detail)
    return None


def _accept(valid: Collection[str] | None, value: str) -> dict[str, Any] | None:
    # A credential naming itself invalid is refused, so clients and contract tools (Schemathesis
    # probes with "SCHEMATHESIS-INVALID-VALUE") can reach the 401/403 paths without --token.
    if "invalid" in value.lower() or (valid is not None and value not in valid):
        return None
    return {"sub": "mock-client"}


def security_map(valid_tokens: Collection[str] | None) -> dict[str, type]:
    """Handlers that accept any well-formed credential, or only `valid_tokens` when given."""

    class Bearer(BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:
            jwt = str(scheme.get("bearerFormat", "")).upper() == "JWT"

            def check(token: str) -> dict[str, Any] | None:
                if jwt and not _JWT.match(token):
                    return None
                return _accept(valid_tokens, token)

            return check

    class ApiKey(ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:
            def check(key: str, required_scopes: Any = None) -> dict[str, Any] | None:
                return _accept(valid_tokens, key) if key.strip() else None

            return check

    return {"bearer": Bearer, "apiKey": ApiKey}
