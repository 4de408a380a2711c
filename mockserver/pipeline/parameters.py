"""Request checks plugged into Connexion: parameters with clear messages, simulated credentials."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from connexion.exceptions import BadRequestProblem, OAuthResponseProblem
from connexion.security import ApiKeySecurityHandler, BearerSecurityHandler
from connexion.validators import ParameterValidator
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator
from starlette.requests import cookie_parser

from mockserver.spec.catalog import Parameter

__all__ = [
    "VALUES_KEY",
    "InvalidParameter",
    "RequestParameters",
    "RequestValues",
    "SpecParameterValidator",
    "coerce",
    "path_parameter_problem",
    "security_map",
]

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


_MISSING = object()

# Where the parsed, typed values of a validated request travel to the handler (ASGI scope key).
VALUES_KEY = "mockserver.values"

RequestValues = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _Compiled:
    name: str
    location: str
    required: bool
    nullable: bool
    validator: Any
    schema: Mapping[str, Any]
    array: bool
    explode: bool
    default: Any


_VALIDATORS: dict[bytes, Any] = {}


def _content_key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


def _validator(schema: Mapping[str, Any]) -> Any:
    """One compiled validator per distinct schema (operations share most parameter schemas)."""
    key = _content_key(schema)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = OAS30Validator(schema, format_checker=_FORMATS)
    return _VALIDATORS[key]


def _compiled(p: Mapping[str, Any]) -> _Compiled:
    schema = p.get("schema") or {}
    location = p["in"]
    explode = bool(
        p.get("explode", p.get("style", "form" if location in ("query", "cookie") else "simple") == "form")
    )
    return _Compiled(
        name=p["name"],
        location=location,
        required=bool(p.get("required")),
        nullable=bool(schema.get("nullable")),
        validator=_validator(schema),
        schema=schema,
        array=schema.get("type") == "array",
        explode=explode,
        default=schema.get("default", _MISSING),
    )


_READERS: dict[bytes, RequestParameters] = {}


class RequestParameters:
    """An operation's parameters read from the ASGI scope, typed by their schemas, checked once.

    Connexion re-parses and re-validates with freshly built objects at each step of a request; the
    mock compiles each operation's schemas at start-up and parses the request once. Serialisation
    follows OpenAPI 3.0: query `form` (exploded arrays repeat the name; unexploded ones are comma
    separated), path and header `simple`. Absent query parameters take their schema's default.
    """

    def __init__(self, parameters: Sequence[Mapping[str, Any]]) -> None:
        self._params = tuple(_compiled(p) for p in parameters)
        self._locations = frozenset(p.location for p in self._params)

    @classmethod
    def of(cls, parameters: Sequence[Mapping[str, Any]]) -> RequestParameters:
        """The reader of a parameter list, compiled once per distinct list (Connexion hands the
        validator a fresh copy of an operation's parameters)."""
        key = _content_key(parameters)
        if key not in _READERS:
            _READERS[key] = cls(parameters)
        return _READERS[key]

    def read(self, scope: Mapping[str, Any]) -> RequestValues:
        """The request's parameter values by location.

        Raises:
            InvalidParameter: a required parameter is missing or a value breaks its schema.
        """
        values: RequestValues = {"path": {}, "query": {}, "header": {}}
        sources: dict[str, Mapping[str, Any]] = {}
        locations = self._locations
        if "query" in locations:
            multi: dict[str, list[str]] = {}
            query = scope.get("query_string", b"").decode("latin-1")
            for key, value in parse_qsl(query, keep_blank_values=True):
                multi.setdefault(key, []).append(value)
            sources["query"] = multi
        if "path" in locations:
            sources["path"] = scope.get("path_params") or {}
        if "header" in locations or "cookie" in locations:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
            sources["header"] = headers
            if "cookie" in locations:
                sources["cookie"] = cookie_parser(headers.get("cookie", ""))
                values["cookie"] = {}
        for param in self._params:
            source = sources[param.location]
            raw = source.get(param.name.lower() if param.location == "header" else param.name)
            if raw is None:
                if param.required:
                    raise InvalidParameter(param.location, param.name, "is required but missing")
                if param.default is not _MISSING and param.location == "query":
                    values["query"][param.name] = param.default
                continue
            value = _typed(param, raw)
            if param.nullable and value in ("", "null"):
                values[param.location][param.name] = None if value == "null" else value
                continue
            if not _valid(param.validator, value):
                error = next(iter(param.validator.iter_errors(value)))
                raise InvalidParameter(param.location, param.name, _reason(error))
            values[param.location][param.name] = value
        return values


_VERDICTS: dict[tuple[int, type, Any], bool] = {}
_VERDICTS_MAX = 8192


def _valid(validator: Any, value: Any) -> bool:
    """`validator.is_valid(value)`, remembered: pollers send the same few values again and again.
    The memory is bounded (cleared when full), so a flood of distinct values only costs the check."""
    key = (id(validator), type(value), tuple(value) if isinstance(value, list) else value)
    try:
        return _VERDICTS[key]
    except KeyError:
        pass
    except TypeError:  # not hashable
        return bool(validator.is_valid(value))
    verdict = bool(validator.is_valid(value))
    if len(_VERDICTS) >= _VERDICTS_MAX:
        _VERDICTS.clear()
    _VERDICTS[key] = verdict
    return verdict


def _typed(param: _Compiled, raw: Any) -> Any:
    if param.location == "query":  # a list of the repeated values
        if not param.array:
            return coerce(param.schema, raw[-1])
        given = raw if param.explode else raw[-1].split(",")
    elif not isinstance(raw, str):  # a path value Connexion's router converted already
        return raw
    elif not param.array:
        return coerce(param.schema, raw)
    else:
        given = raw.split(",")
    items = param.schema.get("items") or {}
    return [coerce(items, v) for v in given]


class SpecParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Connexion's parameter validator, reading the scope once with compiled schemas.

    The typed values go on in the scope (`VALUES_KEY`), so the handler does not parse them again;
    error messages name the parameter and the rule it breaks.
    """

    def __init__(self, parameters: list[Mapping[str, Any]], uri_parser: Any, **kwargs: Any) -> None:
        super().__init__(parameters, uri_parser, **kwargs)
        self._reader = RequestParameters.of(parameters)

    def validate(self, scope: dict[str, Any]) -> None:
        if self.strict_validation:  # Connexion's own check, refusing parameters the spec lacks
            super().validate(scope)
        scope[VALUES_KEY] = self._reader.read(scope)


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


class _DirectCheck:
    """Connexion inspects a credential function's signature on every request; the mock's functions
    take the credential alone, so the check calls them directly."""

    @staticmethod
    def _generic_check(func: Callable[..., Any], exception_msg: str) -> Callable[..., Any]:
        async def wrapper(request: Any, *args: Any, required_scopes: Any = None) -> Any:
            token_info = func(*args)
            if token_info is None:
                raise OAuthResponseProblem(detail=exception_msg)
            return token_info

        return wrapper


def security_map(valid_tokens: Collection[str] | None) -> dict[str, type]:
    """Handlers that accept any well-formed credential, or only `valid_tokens` when given."""

    class Bearer(_DirectCheck, BearerSecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:
            jwt = str(scheme.get("bearerFormat", "")).upper() == "JWT"

            def check(token: str) -> dict[str, Any] | None:
                if jwt and not _JWT.match(token):
                    return None
                return _accept(valid_tokens, token)

            return check

    class ApiKey(_DirectCheck, ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, scheme: Mapping[str, Any]) -> Callable[..., Any]:
            def check(key: str) -> dict[str, Any] | None:
                return _accept(valid_tokens, key) if key.strip() else None

            return check

    return {"bearer": Bearer, "apiKey": ApiKey}
