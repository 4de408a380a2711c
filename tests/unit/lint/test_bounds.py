"""The schema-bounds rule: bounds that leave no value are found, one line each; bounds that leave one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.exceptions import SpecError
from mockserver.lint import BLOCKING, check_servable, check_spec
from tests.conftest import DATA

CLEAN = (DATA / "lint" / "clean.yaml").read_text()
# The property the cases below add to Thing (not required, so the clean example stays valid).
ANCHOR = "          enum: [running, done]\n"
FIELD = "/components/schemas/Thing/properties/extra"


def _spec(tmp_path: Path, schema: str) -> Path:
    assert CLEAN.count(ANCHOR) == 1
    path = tmp_path / "spec.yaml"
    path.write_text(CLEAN.replace(ANCHOR, f"{ANCHOR}        extra: {schema}\n"))
    return path


def _bounds(tmp_path: Path, schema: str) -> list[str]:
    findings = check_spec(_spec(tmp_path, schema))
    assert {f.rule for f in findings} <= {"schema-bounds"}, findings
    return [f"{f.pointer} {f.message}" for f in findings]


EMPTY = {
    "minimum-above-maximum": (
        "{type: integer, minimum: 5, maximum: 1}",
        "minimum 5, maximum 1: no value is allowed; expected minimum <= maximum",
    ),
    "number-minimum-above-maximum": (
        "{type: number, minimum: 2.5, maximum: 2.25}",
        "minimum 2.5, maximum 2.25: no value is allowed",
    ),
    "exclusive-minimum-equal": (
        "{type: number, minimum: 3, maximum: 3, exclusiveMinimum: true}",
        "minimum 3 (exclusive), maximum 3: the exclusive bound leaves no value; expected minimum < maximum",
    ),
    "exclusive-maximum-equal": (
        "{type: number, minimum: 3, maximum: 3, exclusiveMaximum: true}",
        "minimum 3, maximum 3 (exclusive): the exclusive bound leaves no value",
    ),
    "integer-between-exclusive-neighbours": (
        "{type: integer, minimum: 1, maximum: 2, exclusiveMinimum: true, exclusiveMaximum: true}",
        "minimum 1 (exclusive), maximum 2 (exclusive): no integer is allowed",
    ),
    "integer-between-fractions": (
        "{type: integer, minimum: 1.2, maximum: 1.8}",
        "minimum 1.2, maximum 1.8: no integer is allowed; expected an integer between them",
    ),
    "length": (
        "{type: string, minLength: 4, maxLength: 3}",
        "minLength 4, maxLength 3: no value is allowed (at least 4 and at most 3 characters);"
        " expected minLength <= maxLength",
    ),
    "items": (
        "{type: array, items: {type: string}, minItems: 2, maxItems: 1}",
        "minItems 2, maxItems 1: no value is allowed (at least 2 and at most 1 items)",
    ),
    "properties": (
        "{type: object, minProperties: 3, maxProperties: 0}",
        "minProperties 3, maxProperties 0: no value is allowed (at least 3 and at most 0 properties)",
    ),
}


@pytest.mark.parametrize("case", sorted(EMPTY))
def test_bounds_that_leave_no_value_are_one_finding(tmp_path: Path, case: str) -> None:
    schema, message = EMPTY[case]
    found = _bounds(tmp_path, schema)
    assert len(found) == 1, found
    assert found[0].startswith(f"{FIELD} ")
    assert message in found[0]


def test_a_nested_item_schema_is_found_where_it_is_written(tmp_path: Path) -> None:
    found = _bounds(tmp_path, "{type: array, items: {type: integer, minimum: 9, maximum: 0}}")
    assert found == [f"{FIELD}/items minimum 9, maximum 0: no value is allowed; expected minimum <= maximum"]


def test_a_property_named_like_a_data_keyword_is_still_a_schema(tmp_path: Path) -> None:
    schema = "{type: object, properties: {default: {type: string, minLength: 2, maxLength: 1}}}"
    found = _bounds(tmp_path, schema)
    assert [f.split(" ", 1)[0] for f in found] == [f"{FIELD}/properties/default"]


LEAVE_ONE = [
    "{type: integer, minimum: 1, maximum: 100000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000}",
    "{type: integer, minimum: 3, maximum: 3}",
    "{type: number, minimum: 1, maximum: 1.5, exclusiveMinimum: true, exclusiveMaximum: true}",
    "{type: integer, minimum: 1, maximum: 1.5, exclusiveMaximum: true}",
    "{type: integer, minimum: 0.5, maximum: 1.5}",
    "{type: integer, minimum: -2.5, maximum: -2}",
    "{type: string, minLength: 2, maxLength: 2}",
    "{type: array, items: {type: string}, minItems: 0, maxItems: 0}",
    "{type: integer, minimum: 5}",
    "{type: object, properties: {minimum: {type: integer}, maximum: {type: integer}}}",
    "{type: object, example: {minimum: 5, maximum: 1}}",
    "{type: string, enum: [a], x-example-bounds: {minimum: 5, maximum: 1}}",
]


@pytest.mark.parametrize("schema", LEAVE_ONE)
def test_bounds_that_leave_a_value_pass(tmp_path: Path, schema: str) -> None:
    assert _bounds(tmp_path, schema) == []


def test_empty_bounds_stop_serve_with_one_line_naming_file_pointer_and_values(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "{type: string, minLength: 4, maxLength: 3}")
    assert "schema-bounds" in BLOCKING
    with pytest.raises(SpecError) as raised:
        check_servable(spec)
    line = str(raised.value)
    assert "\n" not in line
    assert f"{spec}#{FIELD}" in line
    assert "schema-bounds: minLength 4, maxLength 3" in line
