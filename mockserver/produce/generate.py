"""Schema -> value: deterministic, valid by construction, realistic through Faker."""

from __future__ import annotations

import hashlib
import math
import random
import re
import string
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any

from faker import Faker

__all__ = ["Generator", "format_time", "generate_from_pattern", "rng_for"]

_MAX_REPEAT = 8
_DAY = 86400.0


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded by the parts, the same in every process and run."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def format_time(epoch: float, unit: str) -> Any:
    """A timestamp as the spec writes it: RFC 3339 string, POSIX seconds or epoch milliseconds."""
    if unit == "epoch-s":
        return int(epoch)
    if unit == "epoch-ms":
        return int(epoch * 1000)
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def generate_from_pattern(pattern: str, rng: random.Random) -> str:
    """A string that the regular expression `pattern` matches (search semantics)."""
    return _emit(sre_parse.parse(pattern), rng)


_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_NOT_WORD: "-.",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters,
}


def _class_chars(items: list[tuple[Any, Any]]) -> str:
    chars: list[str] = []
    negate = False
    for op, arg in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op is sre_constants.RANGE:
            chars.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1))
        elif op is sre_constants.CATEGORY:
            chars.extend(_CATEGORIES.get(arg, ""))
    if negate:
        return "".join(c for c in string.ascii_letters + string.digits if c not in chars)
    return "".join(chars)


def _emit(parsed: Any, rng: random.Random) -> str:
    out: list[str] = []
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append(rng.choice([c for c in string.ascii_letters if ord(c) != arg]))
        elif op is sre_constants.ANY:
            out.append(rng.choice(string.ascii_letters))
        elif op is sre_constants.IN:
            out.append(rng.choice(_class_chars(arg) or "a"))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            low, high, sub = arg
            high = min(high, low + _MAX_REPEAT)
            out.extend(_emit(sub, rng) for _ in range(rng.randint(low, high)))
        elif op is sre_constants.SUBPATTERN:
            out.append(_emit(arg[-1], rng))
        elif op is sre_constants.BRANCH:
            out.append(_emit(rng.choice(arg[1]), rng))
        elif op is sre_constants.CATEGORY:
            out.append(rng.choice(_CATEGORIES.get(arg, "a")))
    return "".join(out)


# Property names hint at realistic values; names are generic English, not vendor facts.
_NAME_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|_)(user|login|started_?by|owner)", re.I), "user_name"),
    (re.compile(r"domain|host", re.I), "hostname"),
    (re.compile(r"message|description|remark|reason|summary|text", re.I), "sentence"),
    (re.compile(r"(^|[a-z])name$", re.I), "title"),
    (re.compile(r"version", re.I), "version"),
    (re.compile(r"email", re.I), "email"),
    (re.compile(r"url|uri|link", re.I), "url"),
    (re.compile(r"(^id$|Id$|_id$)"), "identifier"),
)


class Generator:
    """Makes values from (resolved) OpenAPI 3.0 schemas; all randomness comes from `rng`."""

    def __init__(self, locale: str = "en_US") -> None:
        self._faker = Faker(locale)

    def generate(self, schema: Mapping[str, Any], rng: random.Random, *, now: float) -> Any:
        """A value valid against `schema`, drawn deterministically from `rng`."""
        self._faker.random = rng  # type: ignore[attr-defined]  # Faker draws from our rng
        return self._value(schema, rng, now, "")

    def _value(self, schema: Mapping[str, Any], rng: random.Random, now: float, name: str) -> Any:
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged = _merge(merged, part)
            return self._value(
                _merge(merged, {k: v for k, v in schema.items() if k != "allOf"}), rng, now, name
            )
        for combinator in ("oneOf", "anyOf"):
            if combinator in schema:
                return self._value(rng.choice(schema[combinator]), rng, now, name)
        if "x-faker" in schema:
            hint = schema["x-faker"]
            if isinstance(hint, str):
                return getattr(self._faker, hint)()
            return getattr(self._faker, hint["provider"])(**(hint.get("args") or {}))
        if "enum" in schema:
            choices = [v for v in schema["enum"] if v is not None] or [None]
            return rng.choice(choices)
        if "x-time" in schema:
            return format_time(now - rng.uniform(0, 30 * _DAY), schema["x-time"])
        kind = schema.get("type") or ("object" if "properties" in schema else "string")
        if kind == "object":
            return self._object(schema, rng, now)
        if kind == "array":
            items = schema.get("items") or {}
            low, high = _array_size(schema, items)
            return [self._value(items, rng, now, name) for _ in range(rng.randint(low, high))]
        if kind == "integer":
            return self._integer(schema, rng)
        if kind == "number":
            floor = float(schema.get("minimum", 0))
            return round(rng.uniform(floor, float(schema.get("maximum", floor + 1000))), 2)
        if kind == "boolean":
            return rng.random() < 0.5
        return self._string(schema, rng, now, name)

    def _object(self, schema: Mapping[str, Any], rng: random.Random, now: float) -> dict[str, Any]:
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        omit = float(schema.get("x-mock-optional", 0.15))
        for prop, sub in (schema.get("properties") or {}).items():
            if prop not in required and "x-mock-items" not in sub and rng.random() < omit:
                continue
            if sub.get("nullable") and prop not in required and rng.random() < 0.2:
                out[prop] = None
                continue
            out[prop] = self._value(sub, rng, now, prop)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties"):
            for _ in range(rng.randint(1, 2)):
                key = self._value(extra if extra.get("type") == "string" else {}, rng, now, "id")
                out[str(key)] = self._value(extra, rng, now, "id")
        if variants := schema.get("x-mock-variants"):
            out.update(rng.choice(variants))
        return out

    def _integer(self, schema: Mapping[str, Any], rng: random.Random) -> int:
        """An integer within the bounds (fractional ones too: [1, 1.5) holds only 1), by `multipleOf`."""
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        spread = 10**7 if schema.get("format") == "int64" else 1000
        high = None if maximum is None else math.floor(maximum)
        if high is not None and schema.get("exclusiveMaximum") and high == maximum:
            high -= 1
        step = int(schema.get("multipleOf", 1))
        if minimum is None:  # from 1 up where a multiple fits below the maximum, else just below it
            low = 1 if high is None or high >= step else high - 10 * step
        else:
            low = math.ceil(minimum)
            if schema.get("exclusiveMinimum") and low == minimum:
                low += 1
        if high is None:
            high = max(low, 0) + spread
        if step > 1:
            first, last = -(-low // step), high // step  # the multiples of step within [low, high]
            return rng.randint(first, last) * step if first <= last else low
        return rng.randint(low, high) if low <= high else low

    def _string(self, schema: Mapping[str, Any], rng: random.Random, now: float, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return str(format_time(now - rng.uniform(0, 30 * _DAY), "rfc3339"))
        if fmt == "date":
            return datetime.fromtimestamp(now - rng.uniform(0, 365 * _DAY), UTC).date().isoformat()
        if fmt == "uuid":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt in ("email", "hostname", "ipv4", "ipv6", "uri", "url"):
            provider = {"uri": "url", "hostname": "hostname"}.get(fmt, fmt)
            return str(getattr(self._faker, provider)())
        low = int(schema.get("minLength", 0))
        high = int(schema.get("maxLength", max(low, 64)))
        if "pattern" in schema and _uuid_shaped(schema["pattern"]):
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if "pattern" in schema:
            value = generate_from_pattern(schema["pattern"], rng)
            if low <= len(value) <= high:
                return value
            for _ in range(20):
                value = generate_from_pattern(schema["pattern"], rng)
                if low <= len(value) <= high:
                    return value
            return value
        value = self._hinted(name, rng)
        if len(value) < low:
            value += "".join(rng.choice(string.ascii_lowercase) for _ in range(low - len(value)))
        return value[:high]

    def _hinted(self, name: str, rng: random.Random) -> str:
        for regex, hint in _NAME_HINTS:
            if regex.search(name):
                if hint == "identifier":
                    return "".join(rng.choice("0123456789abcdef") for _ in range(24))
                if hint == "version":
                    return f"{rng.randint(1, 30)}.{rng.randint(0, 9)}"
                if hint == "title":
                    return " ".join(self._faker.words(rng.randint(1, 3))).capitalize()
                return str(getattr(self._faker, hint)())
        return str(self._faker.word())


def _array_size(schema: Mapping[str, Any], items: Mapping[str, Any]) -> tuple[int, int]:
    """How many items to make: `x-mock-items`, else none of an object that declares nothing (no
    made-up `{}` entries), else 1-3 within the schema's bounds."""
    if "x-mock-items" in schema:
        low, high = schema["x-mock-items"]
        return int(low), int(high)
    low = int(schema.get("minItems", 0 if _opaque(items) else 1))
    if _opaque(items):
        return low, low
    return low, max(low, min(int(schema.get("maxItems", low + 2)), low + 3))


def _opaque(schema: Mapping[str, Any]) -> bool:
    """An object schema that declares no properties (nothing realistic can be made for it)."""
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    extra = schema.get("additionalProperties")
    return (
        kind == "object"
        and not schema.get("properties")
        and not (isinstance(extra, dict) and extra)
        and not any(k in schema for k in ("allOf", "oneOf", "anyOf", "x-faker"))
    )


_SAMPLE_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _uuid_shaped(pattern: str) -> bool:
    """Whether a pattern accepts a canonical UUID and nothing much else (hex groups 8-4-4-4-12)."""
    try:
        regex = re.compile(pattern)
    except re.error:
        return False
    return bool(regex.search(_SAMPLE_UUID)) and not regex.search("z" + _SAMPLE_UUID[1:])


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            out[key] = {**out.get(key, {}), **value}
        elif key == "required":
            out[key] = [*out.get(key, []), *value]
        else:
            out[key] = value
    return out
