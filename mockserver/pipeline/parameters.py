"""Read parameters: each operation's parameters parsed once from the ASGI scope, typed, checked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookies import _unquote
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

from mockserver.spec.catalog import Operation, Parameter
from mockserver.spec.schemas import schema_validator
from mockserver.spec.values import MutableValues

__all__ = ["InvalidParameter", "RequestParameters", "coerce", "parameter_specs", "path_parameter_problem"]


class InvalidParameter(ValueError):
    """A request parameter breaks its schema; `detail` names the parameter and why."""

    def __init__(self, location: str, name: str, reason: str) -> None:
        self.detail = f"{location} parameter '{name}' {reason}"
        super().__init__(self.detail)
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


def _content_key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str)


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
        validator=schema_validator(schema),
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

    def read(self, scope: Mapping[str, Any]) -> MutableValues:
        """The request's parameter values by location.

        Raises:
            InvalidParameter: a required parameter is missing or a value breaks its schema.
        """
        values: MutableValues = {"path": {}, "query": {}, "header": {}}
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
                sources["cookie"] = _cookies(headers.get("cookie", ""))
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
        error = next(iter(schema_validator(param.schema).iter_errors(raw)), None)
        if error is not None:
            return InvalidParameter("path", param.name, _reason(error)).detail
    return None


def parameter_specs(op: Operation) -> list[dict[str, Any]]:
    """An operation's parameters in the OpenAPI form `RequestParameters.of` reads."""
    return [
        {"name": p.name, "in": p.location, "required": p.required, "schema": p.schema, "explode": p.explode}
        for p in op.parameters
    ]


def _cookies(header: str) -> dict[str, str]:
    """A `Cookie` header as browsers send it (as Starlette and Django read it, not RFC 6265 strictly)."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        key, val = chunk.split("=", 1) if "=" in chunk else ("", chunk)
        key, val = key.strip(), val.strip()
        if key or val:
            cookies[key] = str(_unquote(val))
    return cookies
