"""Rules on the project's `x-` extensions: well-formed, known names, Faker providers, variants, decisions."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from faker import Faker
from jsonschema import Draft202012Validator

from mockserver.lint.findings import Finding, one_line, schema_errors, walk
from mockserver.spec.extensions import EXTENSION_SCHEMAS
from mockserver.spec.pointers import pointer_escape, pointer_resolve
from mockserver.verify.grounds import decisions_of

__all__ = ["check_decisions", "check_extensions"]

_OURS = tuple(EXTENSION_SCHEMAS)


def check_extensions(file: str, document: Mapping[str, Any]) -> list[Finding]:
    """Each project extension matches its JSON Schema; an unknown `x-mock*` name gets a hint."""
    out = []
    for pointer, key, value, holder in walk(document):
        if not key.startswith("x-"):
            continue
        where = f"{pointer}/{pointer_escape(key)}"
        if key in EXTENSION_SCHEMAS:
            for error in Draft202012Validator(EXTENSION_SCHEMAS[key]).iter_errors(value):
                at = "".join(f"/{p}" for p in error.absolute_path)
                out.append(Finding(file, where + at, "extension-valid", one_line(error.message)))
            if key == "x-faker" and not out:
                out += _check_faker(file, where, value, holder)
            if key == "x-mock-variants" and not out:
                out += _check_variants(file, where, value, holder)
        elif key.startswith(("x-mock", "x-time", "x-faker", "x-decision", "x-seed")):
            hint = difflib.get_close_matches(key, _OURS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            out.append(Finding(file, where, "extension-unknown", f"unknown extension {key!r}{suggestion}"))
    return out


def _governable(document: Mapping[str, Any], pointer: str) -> bool:
    """The node exists, or it is an undocumented status of an existing `responses` object."""
    if pointer_resolve(document, pointer) is not None:
        return True
    parent, _, last = pointer.rpartition("/")
    return parent.endswith("/responses") and pointer_resolve(document, parent) is not None and last.isdigit()


def check_decisions(file: str, document: Mapping[str, Any]) -> list[Finding]:
    """Each decision says which nodes verify treats as its choice (drift, not failure)."""
    out = []
    for pointer, entry in decisions_of(document):
        where = f"{pointer}/x-decision"
        if "governs" not in entry:
            message = f"decision {entry.get('id')!r} has no governs list (governs: [] if it governs no node)"
            out.append(Finding(file, where, "decision-governs", message))
            continue
        for governed in entry.get("governs") or []:
            if not _governable(document, str(governed)):
                message = f"decision {entry.get('id')!r} governs {governed!r}, which the spec does not have"
                out.append(Finding(file, where, "decision-governs", message))
    return out


def _check_faker(file: str, where: str, value: Any, holder: Mapping[str, Any]) -> list[Finding]:
    """An `x-faker` names a Faker provider that takes its args and makes a value its schema allows."""
    provider, args = (value, {}) if isinstance(value, str) else (value["provider"], value.get("args") or {})
    faker = Faker("en_US")
    faker.seed_instance(0)
    if provider.startswith("_") or not callable(getattr(faker, provider, None)):
        names = [n for n in dir(faker) if not n.startswith("_")]
        hint = difflib.get_close_matches(provider, names, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return [Finding(file, where, "extension-refs", f"{provider!r} is not a Faker provider{suggestion}")]
    try:
        made = getattr(faker, provider)(**args)
    except (TypeError, ValueError, AttributeError) as error:
        return [Finding(file, where, "extension-refs", f"{provider}({args}) fails: {one_line(str(error))}")]
    schema = {k: v for k, v in holder.items() if k not in ("x-faker", "example")}
    return [
        Finding(file, where, "extension-refs", f"{provider} makes {made!r}, which the schema rejects: {e}")
        for e in schema_errors(schema, made)
    ][:1]


def _check_variants(file: str, where: str, value: Any, holder: Mapping[str, Any]) -> list[Finding]:
    """Each `x-mock-variants` entry sets declared properties to values their schemas allow."""
    out = []
    properties = holder.get("properties") or {}
    for index, variant in enumerate(value):
        for name, given in variant.items():
            at = f"{where}/{index}/{pointer_escape(name)}"
            if name not in properties:
                hint = difflib.get_close_matches(name, list(properties), n=1)
                message = f"{name!r} is not a property" + (f"; did you mean {hint[0]!r}?" if hint else "")
                out.append(Finding(file, at, "extension-refs", message))
            elif "$ref" not in properties[name]:
                sub = {k: v for k, v in properties[name].items() if k not in ("x-faker", "example")}
                out += [
                    Finding(file, at, "extension-refs", f"{given!r}: {e}") for e in schema_errors(sub, given)
                ]
    return out
