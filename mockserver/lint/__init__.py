"""Spec validation: openapi-spec-validator plus the project's own rules, one finding per line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from openapi_spec_validator import OpenAPIV30SpecValidator

from mockserver.exceptions import SpecError
from mockserver.lint.bounds import check_bounds
from mockserver.lint.extensions import check_decisions, check_extensions
from mockserver.lint.findings import Finding, check_examples, check_operations, json_pointer, one_line
from mockserver.lint.refs import check_refs
from mockserver.spec.catalog import load_document, resolve_refs

__all__ = ["BLOCKING", "RULES", "Finding", "check_servable", "check_spec"]

RULES: Mapping[str, str] = {
    "openapi": "the document is valid OpenAPI 3.0 (openapi-spec-validator)",
    "operation-id": "every operation has an operationId",
    "error-responses": "every operation documents its error responses (at least one 4xx)",
    "example-valid": "every example validates against its schema",
    "extension-valid": "every project x- extension is well-formed",
    "extension-unknown": "x-mock* names are the project's own; a typo is reported",
    "extension-refs": "extensions name real parameters, fields, states and responses",
    "error-template-valid": "an x-mock-error body, filled in, validates against the response schema",
    "decision-governs": "every x-decision names the spec nodes it governs (governs), and they exist",
    "schema-bounds": "a schema's minimum/maximum (and length, item, property counts) leave some value",
}

# Findings that stop `serve`: the spec cannot be served as written (empty bounds: no value exists
# for the mock to make or accept). A missing operationId or an invalid example is a lint finding,
# but the mock can still answer.
BLOCKING = frozenset(
    {
        "openapi",
        "extension-valid",
        "extension-unknown",
        "extension-refs",
        "error-template-valid",
        "schema-bounds",
    }
)


def check_servable(path: Path) -> None:
    """Raise SpecError naming file, location and reason for the first blocking finding."""
    for finding in check_spec(path):
        if finding.rule in BLOCKING:
            raise SpecError(f"{finding.rule}: {finding.message}", where=f"{finding.file}#{finding.pointer}")


def check_spec(path: Path) -> list[Finding]:
    """Every finding for one spec file.

    Raises:
        SpecError: the file cannot be read or parsed (lint exits 2 on it).
    """
    file = str(path)
    document = load_document(path)
    version = str(document.get("openapi", ""))
    if not version.startswith("3.0"):
        message = f"openapi version {version or 'missing'!r} is not served: Connexion 3 loads 3.0.x only"
        return [Finding(file, "/openapi", "openapi", message)]
    try:
        resolved = resolve_refs(document, where=file)
    except SpecError as error:
        # A broken $ref would make the validator raise; report it as what it is.
        return [Finding(file, error.where.partition("#")[2], "openapi", error.message)]
    findings = [
        Finding(file, json_pointer(error.absolute_path), "openapi", one_line(error.message))
        for error in OpenAPIV30SpecValidator(document).iter_errors()
    ]
    if findings:
        return findings
    findings += check_extensions(file, document)
    findings += check_operations(file, resolved)
    findings += check_examples(file, resolved)
    findings += check_decisions(file, document)
    findings += check_bounds(file, document)
    if not findings:
        findings += check_refs(file, path)
    return findings
