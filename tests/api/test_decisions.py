"""The specs' `x-decision` notes, and the behaviour each important decision put into the spec.

Every contradiction in a vendor's docs is recorded as an `x-decision` entry `{id, seed, decision,
reason}`. The tests below check the notes are well kept, then check the spec really does what the
note says (a note alone proves nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from mockserver.spec.catalog import HTTP_METHODS, load_document, resolve_refs
from mockserver.spec.pointers import pointer_escape
from tests.conftest import SLUGS, SPECS

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def spec_path(slug: str) -> Path:
    return SPECS / f"{slug}.yaml"


def existing_slugs() -> list[str]:
    return sorted(path.stem for path in SPECS.glob("*.yaml"))


@cache
def raw_spec(slug: str) -> Mapping[str, Any]:
    path = spec_path(slug)
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    return load_document(path)


@cache
def spec(slug: str) -> Mapping[str, Any]:
    """The spec with every local $ref replaced by its target."""
    resolved: Mapping[str, Any] = resolve_refs(raw_spec(slug), where=str(spec_path(slug)))
    return resolved


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def operation(document: Mapping[str, Any], operation_id: str) -> tuple[str, Mapping[str, Any]]:
    """(path, operation) of the operation with this operationId."""
    for path, _, op in operations(document):
        if op.get("operationId") == operation_id:
            return path, op
    raise AssertionError(f"no operation {operation_id!r}")


def parameters(document: Mapping[str, Any], operation_id: str) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The operation's parameters (path-level ones included) by (in, name)."""
    path, op = operation(document, operation_id)
    shared = document["paths"][path].get("parameters") or []
    return {(p["in"], p["name"]): p for p in [*shared, *(op.get("parameters") or [])]}


def json_schema(response: Mapping[str, Any]) -> Mapping[str, Any]:
    schema: Mapping[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def example_value(response: Mapping[str, Any], name: str) -> Any:
    return response["content"]["application/json"]["examples"][name]["value"]


def is_valid(schema: Mapping[str, Any], value: Any) -> bool:
    return OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER).is_valid(value)


def schema_errors(schema: Mapping[str, Any], value: Any) -> list[str]:
    validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(value)
    ]


def decisions(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer of the entry, entry) for every x-decision entry in a raw (unresolved) document."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{pointer_escape(str(key))}"
            if key == "x-decision":
                entries = value if isinstance(value, list) else [value]
                for index, entry in enumerate(entries):
                    yield f"{here}/{index}", entry
            else:
                yield from decisions(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from decisions(value, f"{pointer}/{index}")


def decision_ids(slug: str) -> set[str]:
    return {
        entry["id"] for _, entry in decisions(raw_spec(slug)) if isinstance(entry, dict) and "id" in entry
    }


def examples(node: Any, pointer: str = "") -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    """(pointer, schema, value) for every example in a resolved document.

    An `example` or `examples` entry next to a `schema` (parameter, header, media type) is checked
    against that schema; an `example` inside a schema is checked against the schema it sits in.
    """
    if isinstance(node, list):
        for index, value in enumerate(node):
            yield from examples(value, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    holder_schema = node.get("schema") if isinstance(node.get("schema"), dict) else None
    if "example" in node:
        yield f"{pointer}/example", holder_schema if holder_schema is not None else node, node["example"]
    if holder_schema is not None and isinstance(node.get("examples"), dict):
        for name, example in node["examples"].items():
            if isinstance(example, dict) and "value" in example:
                yield f"{pointer}/examples/{pointer_escape(str(name))}", holder_schema, example["value"]
    for key, value in node.items():
        if key in ("example", "examples") or str(key).startswith("x-"):
            continue
        yield from examples(value, f"{pointer}/{pointer_escape(str(key))}")


def example_values(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for pointer, _, value in examples(document):
        yield pointer, value


def nodes(value: Any) -> Iterator[Any]:
    """A value and everything nested in it."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from nodes(item)


# --- the notes themselves -------------------------------------------------------------------------


def test_decisions_have_unique_slug_prefixed_ids_and_full_text() -> None:
    seen: dict[str, str] = {}
    problems: list[str] = []
    for slug in existing_slugs():
        for pointer, entry in decisions(raw_spec(slug)):
            where = f"{slug}.yaml#{pointer}"
            if not isinstance(entry, dict):
                problems.append(f"{where}: not a mapping")
                continue
            if set(entry) - {"governs"} != {"id", "seed", "decision", "reason"}:  # governs: issue 13/15
                problems.append(f"{where}: keys {sorted(entry)}, expected id, seed, decision, reason")
            decision_id = entry.get("id")
            if not isinstance(decision_id, str) or not decision_id.startswith(f"{slug}-"):
                problems.append(f"{where}: id {decision_id!r} does not start with {slug + '-'!r}")
            elif decision_id in seen:
                problems.append(f"{where}: id {decision_id!r} also used at {seen[decision_id]}")
            else:
                seen[decision_id] = where
            for field in ("seed", "decision", "reason"):
                text = entry.get(field)
                if not isinstance(text, str) or not text.strip():
                    problems.append(f"{where}: {field} is empty")
    assert seen, "no x-decision found in any spec"
    assert problems == []


# --- oracle_selfservice ---------------------------------------------------------------------------


def test_oracle_several_execution_ids_are_a_repeated_query_array_of_at_least_one() -> None:
    document = spec("oracle_selfservice")
    assert "oracle_selfservice-multiple-ids-format" in decision_ids("oracle_selfservice")
    ids = parameters(document, "getWorkflowStatus")[("query", "id")]
    assert ids["required"] is True
    assert ids["style"] == "form"
    assert ids["explode"] is True
    assert ids["schema"]["type"] == "array"
    assert ids["schema"]["minItems"] == 1
    assert ids["schema"]["items"]["type"] == "string"
    assert not is_valid(ids["schema"], [])
    assert is_valid(ids["schema"], ["3-BLFVC0W", "3-XTFVC0W"])


def test_oracle_details_take_the_execution_id_from_the_path_only() -> None:
    document = spec("oracle_selfservice")
    assert "oracle_selfservice-details-id-location" in decision_ids("oracle_selfservice")
    path, _ = operation(document, "getWorkflowStatusDetails")
    params = parameters(document, "getWorkflowStatusDetails")
    assert "{id}" in path
    assert params[("path", "id")]["required"] is True
    assert ("query", "id") not in params


def test_oracle_requestor_is_a_required_free_string() -> None:
    document = spec("oracle_selfservice")
    assert "oracle_selfservice-requestor-values" in decision_ids("oracle_selfservice")
    for operation_id in ("getWorkflowStatus", "getWorkflowStatusDetails"):
        requestor = parameters(document, operation_id)[("query", "requestor")]
        assert requestor["required"] is True
        assert requestor["schema"]["type"] == "string"
        assert "enum" not in requestor["schema"]
        assert "pattern" not in requestor["schema"]
        assert is_valid(requestor["schema"], "SOME_OTHER_FUNCTIONALITY")


def test_oracle_substep_end_time_is_required_but_may_be_null() -> None:
    document = spec("oracle_selfservice")
    assert "oracle_selfservice-substep-end-time-nullable" in decision_ids("oracle_selfservice")
    substep = document["components"]["schemas"]["SubStep"]
    assert "endTime" in substep["required"]
    assert substep["properties"]["endTime"].get("nullable") is True
    queued = {
        "stepId": 236,
        "name": "RFC Execution",
        "status": "Queued",
        "startTime": "2021-04-21T01:52:24Z",
        "hasSubStep": False,
        "remark": "queued",
    }
    assert is_valid(substep, {**queued, "endTime": None})
    assert is_valid(substep, {**queued, "endTime": "2021-04-21T01:59:24Z"})
    assert not is_valid(substep, queued)


def test_oracle_every_error_response_has_the_code_message_body() -> None:
    document = spec("oracle_selfservice")
    assert "oracle_selfservice-error-body" in decision_ids("oracle_selfservice")
    error = document["components"]["schemas"]["Error"]
    assert sorted(error["required"]) == ["code", "message"]
    assert set(error["properties"]) == {"code", "message"}
    for path, method, op in operations(document):
        errors = {status: r for status, r in op["responses"].items() if str(status)[0] in "45"}
        assert {"400", "401", "403", "429", "500"} <= set(errors), f"{method} {path}"
        for status, response in errors.items():
            assert json_schema(response) == error, f"{method} {path} {status}"
            assert set(response["x-mock-error"]["body"]) == {"code", "message"}, f"{method} {path} {status}"
    assert "404" in operation(document, "getWorkflowStatusDetails")[1]["responses"]
    assert "404" not in operation(document, "getWorkflowStatus")[1]["responses"]


# --- etlworks -------------------------------------------------------------------------------------


def test_etlworks_legacy_path_is_the_same_operation_marked_deprecated() -> None:
    document = spec("etlworks")
    assert "etlworks-legacy-path-deprecated" in decision_ids("etlworks")
    main_path, main = operation(document, "getFlowStatus")
    legacy_path, legacy = operation(document, "getFlowStatusLegacy")
    assert main_path == "/rest/v1/executions/{flowId}"
    assert legacy_path == "/plugins/dashboard/rest/v1/flows/{flowId}"
    assert legacy.get("deprecated") is True
    assert not main.get("deprecated", False)
    assert parameters(document, "getFlowStatusLegacy") == parameters(document, "getFlowStatus")
    assert legacy["responses"] == main["responses"]
    assert legacy["security"] == main["security"]
    assert legacy["x-mock"] == main["x-mock"]


def test_etlworks_flow_id_is_an_int64_path_parameter() -> None:
    document = spec("etlworks")
    assert "etlworks-flow-id-name" in decision_ids("etlworks")
    for operation_id in ("getFlowStatus", "getFlowStatusLegacy"):
        flow_id = parameters(document, operation_id)[("path", "flowId")]
        assert flow_id["required"] is True
        assert flow_id["schema"]["type"] == "integer"
        assert flow_id["schema"]["format"] == "int64"


def test_etlworks_documents_bad_request() -> None:
    document = spec("etlworks")
    assert "etlworks-bad-request" in decision_ids("etlworks")
    for operation_id in ("getFlowStatus", "getFlowStatusLegacy"):
        responses = operation(document, operation_id)[1]["responses"]
        assert {"200", "400", "401", "403", "500"} <= set(responses)
        assert is_valid(json_schema(responses["400"]), {"message": "Invalid flowId: abc"})


def test_etlworks_seed_sample_validates_and_keeps_the_seed_end_time() -> None:
    document = spec("etlworks")
    assert "etlworks-response-format-not-json" in decision_ids("etlworks")
    response = operation(document, "getFlowStatus")[1]["responses"]["200"]
    sample = example_value(response, "seedSample")
    assert schema_errors(json_schema(response), sample) == []
    assert sample["ended"] == 1531158790495
    assert sample["flowId"] == 1234
    assert sample["auditId"] == 1234567


# --- eightbyeight ---------------------------------------------------------------------------------


def test_eightbyeight_definition_id_must_be_a_uuid() -> None:
    document = spec("eightbyeight")
    assert "eightbyeight-definition-id-uuid" in decision_ids("eightbyeight")
    schema = parameters(document, "listWorkflowInstances")[("path", "definitionId")]["schema"]
    assert schema["type"] == "string"
    assert schema["format"] == "uuid"
    assert schema["pattern"] == UUID_PATTERN
    assert is_valid(schema, "5870442f-3ddd-4657-b74c-6e17308f5230")
    assert is_valid(schema, "5870442F-3DDD-4657-B74C-6E17308F5230")
    assert not is_valid(schema, "not-a-uuid")
    assert not is_valid(schema, "x5870442f-3ddd-4657-b74c-6e17308f5230")


def test_eightbyeight_paging_defaults_and_bounds() -> None:
    params = parameters(spec("eightbyeight"), "listWorkflowInstances")
    limit = params[("query", "limit")]["schema"]
    offset = params[("query", "offset")]["schema"]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == ("integer", 1, 500, 100)
    assert (offset["type"], offset["minimum"], offset["default"]) == ("integer", 0, 0)
    assert "maximum" not in offset
    assert [is_valid(limit, n) for n in (0, 1, 500, 501)] == [False, True, True, False]
    assert [is_valid(offset, n) for n in (-1, 0, 10_000)] == [False, True, True]


def test_eightbyeight_skeleton_placeholder_is_not_an_example() -> None:
    document = spec("eightbyeight")
    assert "eightbyeight-schema-skeleton-not-example" in decision_ids("eightbyeight")
    placeholders = [
        pointer
        for pointer, value in example_values(document)
        for node in nodes(value)
        if isinstance(node, dict)
        and (node.get("version") == 0 or node.get("status") == "string" or node.get("startedAt") == "string")
    ]
    assert placeholders == []
    instance = document["components"]["schemas"]["WorkflowInstance"]
    assert instance["properties"]["version"]["minimum"] == 1
    assert "string" not in instance["properties"]["status"]["enum"]


def test_eightbyeight_completed_at_is_required_and_null_until_complete() -> None:
    instance = spec("eightbyeight")["components"]["schemas"]["WorkflowInstance"]
    assert "completedAt" in instance["required"]
    completed_at = instance["properties"]["completedAt"]
    assert completed_at.get("nullable") is True
    assert is_valid(completed_at, None)
    assert is_valid(completed_at, "2021-06-30T03:21:25.83Z")


# --- onedata --------------------------------------------------------------------------------------

WORKFLOW_STATUSES = [
    "resuming",
    "scheduled",
    "active",
    "stopping",
    "interrupted",
    "paused",
    "finished",
    "crashed",
    "cancelled",
    "failed",
]


def test_onedata_workflow_status_is_the_documented_ten_without_enqueued() -> None:
    document = spec("onedata")
    assert {"onedata-workflow-status-enum-split", "onedata-workflow-status-enqueued"} <= decision_ids(
        "onedata"
    )
    status = document["components"]["schemas"]["AtmWorkflowExecution"]["properties"]["status"]
    assert status["enum"] == WORKFLOW_STATUSES
    assert "enqueued" not in status["enum"]
    assert not is_valid(status, "enqueued")
    response = operation(document, "getWorkflowExecutionDetails")[1]["responses"]["200"]
    for name in response["content"]["application/json"]["examples"]:
        assert example_value(response, name)["status"] in WORKFLOW_STATUSES, name


def test_onedata_lane_run_status_has_twelve_values_without_pending() -> None:
    document = spec("onedata")
    assert {"onedata-lane-run-status-enum-split", "onedata-lane-run-status-pending"} <= decision_ids(
        "onedata"
    )
    status = document["components"]["schemas"]["AtmWorkflowExecutionLaneRunDetails"]["properties"]["status"]
    assert len(status["enum"]) == 12
    assert len(set(status["enum"])) == 12
    assert {"preparing", "enqueued"} <= set(status["enum"])
    assert set(WORKFLOW_STATUSES) <= set(status["enum"])
    assert "pending" not in status["enum"]
    assert not is_valid(status, "pending")


def test_onedata_parallel_boxes_are_an_array() -> None:
    document = spec("onedata")
    assert "onedata-parallel-boxes-array" in decision_ids("onedata")
    run = document["components"]["schemas"]["AtmWorkflowExecutionLaneRunDetails"]
    boxes = run["properties"]["parallelBoxes"]
    assert "parallelBoxes" in run["required"]
    assert boxes["type"] == "array"
    assert boxes["items"]["type"] == "object"
    box = {"schemaId": "0068146d662adc878f699bf82af08b9ddbd9ab", "taskRegistry": {"a": "b"}}
    assert is_valid(boxes, [box])
    assert not is_valid(boxes, box)
    response = operation(document, "getWorkflowExecutionDetails")[1]["responses"]["200"]
    for name in response["content"]["application/json"]["examples"]:
        for lane in example_value(response, name)["lanes"]:
            for lane_run in lane["runs"]:
                assert isinstance(lane_run["parallelBoxes"], list), name


def test_onedata_error_service_is_one_of_four_codes() -> None:
    document = spec("onedata")
    assert "onedata-error-service-enum" in decision_ids("onedata")
    service = document["components"]["schemas"]["ErrorJsonCtx"]["properties"]["service"]
    assert service["enum"] == ["ozw", "opw", "ozp", "opp"]
    assert not is_valid(service, "ozwopwozpopp")


def test_onedata_documents_no_401() -> None:
    document = spec("onedata")
    assert "onedata-no-401" in decision_ids("onedata")
    for path, method, op in operations(document):
        assert "401" not in op["responses"], f"{method} {path}"
        assert "403" in op["responses"], f"{method} {path}"


# --- codecatalyst ---------------------------------------------------------------------------------

RUN_STATUSES = {
    "SUCCEEDED",
    "FAILED",
    "STOPPED",
    "SUPERSEDED",
    "CANCELLED",
    "NOT_RUN",
    "VALIDATING",
    "PROVISIONING",
    "IN_PROGRESS",
    "STOPPING",
    "ABANDONED",
}
CODECATALYST_ERRORS = {
    "400": "ValidationException",
    "402": "ServiceQuotaExceededException",
    "403": "AccessDeniedException",
    "404": "ResourceNotFoundException",
    "409": "ConflictException",
    "429": "ThrottlingException",
}


def test_codecatalyst_run_and_workflow_ids_follow_the_uuid_pattern() -> None:
    document = spec("codecatalyst")
    assert "codecatalyst-sample-request-id" in decision_ids("codecatalyst")
    run_id = parameters(document, "getWorkflowRun")[("path", "id")]
    assert run_id["schema"]["pattern"] == UUID_PATTERN
    assert re.fullmatch(UUID_PATTERN, run_id["example"])
    response = document["components"]["schemas"]["GetWorkflowRunResponse"]["properties"]
    assert response["id"]["pattern"] == UUID_PATTERN
    assert response["workflowId"]["pattern"] == UUID_PATTERN
    assert not is_valid(response["id"], "example-workflow-run-id-123abc")


def test_codecatalyst_seed_sample_ids_match_the_uuid_pattern() -> None:
    document = spec("codecatalyst")
    assert "codecatalyst-sample-non-uuid-ids" in decision_ids("codecatalyst")
    response = operation(document, "getWorkflowRun")[1]["responses"]["200"]
    sample = example_value(response, "seedSample")
    assert re.fullmatch(UUID_PATTERN, sample["id"])
    assert re.fullmatch(UUID_PATTERN, sample["workflowId"])
    assert schema_errors(json_schema(response), sample) == []


def test_codecatalyst_run_status_has_exactly_the_eleven_documented_values() -> None:
    status = spec("codecatalyst")["components"]["schemas"]["GetWorkflowRunResponse"]["properties"]["status"]
    assert len(status["enum"]) == 11
    assert set(status["enum"]) == RUN_STATUSES


def test_codecatalyst_documents_its_errors_with_the_error_type_header() -> None:
    document = spec("codecatalyst")
    assert {"codecatalyst-error-type-header", "codecatalyst-no-401"} <= decision_ids("codecatalyst")
    responses = operation(document, "getWorkflowRun")[1]["responses"]
    assert {s for s in responses if s[0] in "45"} == set(CODECATALYST_ERRORS)
    for status, name in CODECATALYST_ERRORS.items():
        header = responses[status]["headers"]["x-amzn-ErrorType"]
        assert is_valid(header["schema"], name), status
        assert is_valid(header["schema"], f"{name}:http://internal.amazon.com/coral/com.amazon.coral/"), (
            status
        )
        assert not is_valid(header["schema"], "SomeOtherException"), status
        assert is_valid(json_schema(responses[status]), {"message": "m"}), status


# --- every example --------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS, ids=SLUGS)
def test_every_example_validates_against_its_schema(slug: str) -> None:
    document = spec(slug)
    found = list(examples(document))
    assert found, f"{slug} has no examples"
    problems = [
        f"{slug}.yaml#{pointer} at {problem}"
        for pointer, schema, value in found
        for problem in schema_errors(schema, value)
    ]
    assert problems == []
