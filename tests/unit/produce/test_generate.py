"""Generated values are valid by construction and deterministic."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator

from mockserver.produce.generate import Generator, format_time, generate_from_pattern, rng_for

GENERATOR = Generator()
PATTERNS = [
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    r"^[a-zA-Z0-9]+(?:[-_\.][a-zA-Z0-9]+)*$",
    r"^\d{3}-(ab|cd)\w?$",
    r"^[^/]{2,5}$",
]
SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "date-time"},
    {"type": "integer", "format": "int64", "minimum": 1, "maximum": 500},
    {"type": "integer", "x-time": "epoch-ms", "format": "int64"},
    {"type": "string", "minLength": 3, "maxLength": 63, "pattern": PATTERNS[1]},
    {"type": "string", "enum": ["a", "b", None], "nullable": True},
    {"type": "array", "minItems": 2, "maxItems": 4, "items": {"type": "boolean"}},
    {
        "type": "object",
        "required": ["id", "when"],
        "properties": {
            "id": {"type": "string", "pattern": PATTERNS[0]},
            "when": {"type": "string", "format": "date-time", "nullable": True},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=range(len(PATTERNS)))
@given(seed=st.integers())
@settings(max_examples=50)
def test_strings_from_patterns_match_them(pattern: str, seed: int) -> None:
    assert re.search(pattern, generate_from_pattern(pattern, rng_for(seed)))


@pytest.mark.parametrize("schema", SCHEMAS, ids=range(len(SCHEMAS)))
@given(seed=st.integers())
@settings(max_examples=40, deadline=None)
def test_generated_values_validate(schema: dict[str, Any], seed: int) -> None:
    value = GENERATOR.generate(schema, rng_for(seed), now=1_700_000_000)
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(value)) == []


@st.composite
def _integer_schemas(draw: st.DrawFn) -> dict[str, Any]:
    """Integer schemas with whole or fractional bounds, exclusive or not, and a multipleOf."""
    bound = st.one_of(st.integers(-50, 50), st.floats(-50, 50, allow_nan=False).map(lambda x: round(x, 2)))
    schema: dict[str, Any] = {"type": "integer"}
    for key, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if draw(st.booleans()):
            schema[key] = draw(bound)
            schema[flag] = draw(st.booleans())
    if draw(st.booleans()):
        schema["multipleOf"] = draw(st.integers(2, 7))
    return schema


@given(schema=_integer_schemas(), seed=st.integers())
@settings(max_examples=300, deadline=None)
def test_integers_keep_every_bound_that_leaves_a_value(schema: dict[str, Any], seed: int) -> None:
    validator = OAS30Validator(schema)
    if not any(validator.is_valid(n) for n in range(-60, 1100)):
        return  # no integer fits (lint's schema-bounds refuses such a spec)
    value = GENERATOR.generate(schema, rng_for(seed), now=1_700_000_000)
    assert list(validator.iter_errors(value)) == []


def test_a_fractional_bound_leaves_its_one_integer() -> None:
    schema = {"type": "integer", "minimum": 1, "maximum": 1.5, "exclusiveMaximum": True}
    assert {GENERATOR.generate(schema, rng_for(seed), now=0) for seed in range(20)} == {1}


def test_same_seed_same_value() -> None:
    schema = SCHEMAS[-1]
    first = GENERATOR.generate(schema, rng_for(1, "op"), now=1_700_000_000)
    assert GENERATOR.generate(schema, rng_for(1, "op"), now=1_700_000_000) == first
    assert GENERATOR.generate(schema, rng_for(2, "op"), now=1_700_000_000) != first


def test_times_are_written_in_the_documented_unit() -> None:
    assert format_time(1_700_000_000.5, "epoch-s") == 1_700_000_000
    assert format_time(1_700_000_000.5, "epoch-ms") == 1_700_000_000_500
    assert format_time(1_700_000_000.5, "rfc3339") == "2023-11-14T22:13:20.500Z"


def test_faker_hint_gives_realistic_values() -> None:
    value = GENERATOR.generate(
        {"type": "integer", "x-faker": {"provider": "random_int", "args": {"min": 1, "max": 3}}},
        rng_for(0),
        now=0,
    )
    assert value in (1, 2, 3)
    assert "." in GENERATOR.generate({"type": "string", "x-faker": "hostname"}, rng_for(0), now=0)


def test_uuid_shaped_patterns_and_uuid_format_make_lowercase_canonical_uuids() -> None:
    pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    for seed in range(20):
        for schema in ({"type": "string", "pattern": pattern}, {"type": "string", "format": "uuid"}):
            value = Generator().generate(schema, random.Random(seed), now=0.0)
            assert str(uuid.UUID(value)) == value, value


def test_an_array_of_objects_that_declare_nothing_is_empty_unless_sized() -> None:
    opaque = {"type": "array", "items": {"type": "object", "description": "not documented"}}
    sized = {**opaque, "x-mock-items": [2, 2]}
    declared = {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "integer"}}}}
    for seed in range(10):
        rng = random.Random(seed)
        assert Generator().generate(opaque, rng, now=0.0) == []
        assert len(Generator().generate(sized, rng, now=0.0)) == 2
        assert Generator().generate(declared, rng, now=0.0)


def test_x_faker_chooses_the_provider_and_its_args() -> None:
    schema = {
        "type": "string",
        "x-faker": {"provider": "random_element", "args": {"elements": ["RFC Submission"]}},
    }
    assert Generator().generate(schema, random.Random(1), now=0.0) == "RFC Submission"


def test_variants_set_fields_that_go_together_and_optional_sets_the_omit_chance() -> None:
    schema = {
        "type": "object",
        "x-mock-optional": 0,
        "x-mock-variants": [{"kind": "scheduled", "event": "nightly"}, {"kind": "manual", "event": None}],
        "properties": {
            "kind": {"type": "string"},
            "event": {"type": "string", "nullable": True},
            "note": {"type": "string"},
        },
    }
    seen = set()
    for seed in range(30):
        body = Generator().generate(schema, random.Random(seed), now=0.0)
        assert (body["kind"], body["event"]) in {("scheduled", "nightly"), ("manual", None)}
        assert "note" in body
        seen.add(body["kind"])
    assert seen == {"scheduled", "manual"}
