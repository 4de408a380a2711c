"""Fixture records: load them from `fixtures/<slug>/`, check them against the spec, match requests.

A fixture file (YAML or JSON) holds a list of records:

    - operation: getWorkflowRun          # operationId (required)
      request:                           # request values that must match; absent = any
        path: {id: 0e4ff3a4-...}
        query: {auditId: 1234567}
      status: 200                        # default 200
      example: seedSample                # a named example of that response, or:
      body: {...}                        # the body itself
      headers: {X-Trace: abc}            # optional response headers
      scenario: succeeds-after-3-polls   # optional, see lifecycle scenarios
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.exceptions import FixtureError, did_you_mean
from mockserver.spec.catalog import YAML_LOADER, Api, Operation
from mockserver.spec.responses import response_examples, response_schema
from mockserver.spec.schemas import schema_validator
from mockserver.spec.values import LOCATIONS

__all__ = ["Fixture", "FixtureSet", "load_fixtures"]

_RECORD_KEYS = {"operation", "request", "status", "example", "body", "headers", "scenario"}


@dataclass(frozen=True)
class Fixture:
    """One record: when a request matches `request`, answer `status`, `body`, `headers`."""

    operation: str
    request: Mapping[str, Mapping[str, Any]]
    status: int
    body: Any
    headers: Mapping[str, str]
    where: str
    scenario: str | None = None

    @property
    def specificity(self) -> int:
        return sum(len(values) for values in self.request.values())

    def matches(self, values: Mapping[str, Mapping[str, Any]]) -> bool:
        for location, wanted in self.request.items():
            given = values.get(location) or {}
            for name, value in wanted.items():
                if _canonical(given.get(name)) != _canonical(value):
                    return False
        return True


def _canonical(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return None if value is None else str(value)


@dataclass(frozen=True)
class FixtureSet:
    """All fixtures of all APIs, by operation id, most specific first."""

    by_operation: Mapping[tuple[str, str], Sequence[Fixture]] = field(default_factory=dict)

    def find(
        self,
        slug: str,
        operation: str,
        values: Mapping[str, Mapping[str, Any]],
        coherent: Callable[[Fixture], bool] = lambda _: True,
    ) -> Fixture | None:
        """The most specific record that matches the request and that `coherent` accepts."""
        for fixture in self.by_operation.get((slug, operation), ()):
            if fixture.matches(values) and coherent(fixture):
                return fixture
        return None

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_operation.values())


def _record_lines(text: str) -> list[int]:
    node = yaml.compose(text, Loader=YAML_LOADER)
    if node is None or not isinstance(node, yaml.SequenceNode):
        return []
    return [item.start_mark.line + 1 for item in node.value]


def _load_file(path: Path, api: Api) -> list[Fixture]:
    try:
        text = path.read_text(encoding="utf-8")
        records = yaml.load(text, Loader=YAML_LOADER)
        lines = _record_lines(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureError(f"cannot read: {exc}", where=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise FixtureError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    if not isinstance(records, list):
        raise FixtureError("expected a list of fixture records", where=str(path))
    known = {op.id: op for op in api.operations}
    out = []
    for index, record in enumerate(records):
        where = f"{path}:{lines[index] if index < len(lines) else 1}"
        out.append(_fixture_from(record, known, where))
    return out


def _fixture_from(record: Any, known: Mapping[str, Operation], where: str) -> Fixture:
    if not isinstance(record, dict):
        raise FixtureError("a fixture record must be a mapping", where=where)
    if unknown := set(record) - _RECORD_KEYS:
        raise FixtureError(
            f"unknown keys {sorted(unknown)}; expected some of {sorted(_RECORD_KEYS)}", where=where
        )
    op = known.get(record.get("operation", ""))
    if op is None:
        raise FixtureError(
            f"operation {record.get('operation')!r} is not in the spec; expected one of {sorted(known)}",
            where=where,
        )
    request = record.get("request") or {}
    if not isinstance(request, dict) or set(request) - set(LOCATIONS):
        raise FixtureError(f"'request' must map {list(LOCATIONS)} to values", where=where)
    for location, values in request.items():
        for name in values or {}:
            if op.parameter(f"{location}.{name}") is None:
                raise FixtureError(f"{op.id} has no {location} parameter {name!r}", where=where)
    scenario = record.get("scenario")
    if scenario is not None and scenario not in op.rules.scenarios:
        offered = ", ".join(sorted(op.rules.scenarios)) or "(none)"
        raise FixtureError(f"{op.id} has no scenario {scenario!r}; it offers {offered}", where=where)
    status = int(record.get("status", 200))
    if str(status) not in op.responses:
        raise FixtureError(f"{op.id} documents no {status} response", where=where)
    if "example" in record:
        examples = response_examples(op, status)
        if record["example"] not in examples:
            raise FixtureError(
                f"{op.id} {status} has no example {record['example']!r}; expected one of {sorted(examples)}",
                where=where,
            )
        body = examples[record["example"]]
    else:
        body = record.get("body")
    schema = response_schema(op, status)
    if schema is not None and not (scenario is not None and body is None):  # a scenario makes its own body
        error = next(iter(schema_validator(schema).iter_errors(body)), None)
        if error is not None:
            at = "/" + "/".join(str(p) for p in error.absolute_path)
            raise FixtureError(
                f"body{at if at != '/' else ''} does not fit the {status} schema: {error.message}",
                where=where,
            )
    return Fixture(
        operation=op.id,
        request={k: dict(v or {}) for k, v in request.items()},
        status=status,
        body=body,
        headers={str(k): str(v) for k, v in (record.get("headers") or {}).items()},
        where=where,
        scenario=record.get("scenario"),
    )


def load_fixtures(
    directory: Path | None, apis: Sequence[Api], *, known: Collection[str] = (), must_exist: bool = True
) -> FixtureSet:
    """Load `directory/<slug>/*.{yaml,yml,json}` for each API; a bad record stops with FixtureError.

    A folder must be named after a served API or one of the `known` slugs (APIs not served now);
    a missing `directory` is an error when `must_exist`.
    """
    if directory is None:
        return FixtureSet()
    if not directory.is_dir():
        if must_exist:
            raise FixtureError(
                "no such fixture directory (expected a folder of <api>/ folders)", where=str(directory)
            )
        return FixtureSet()
    slugs = [api.slug for api in apis]
    for entry in sorted(directory.iterdir()):
        if entry.is_dir() and entry.name[:1] not in (".", "_") and entry.name not in {*slugs, *known}:
            raise FixtureError(
                f"folder {entry.name!r} is named after no API{did_you_mean(entry.name, [*slugs, *known])}"
                f" (expected one of {', '.join(sorted({*slugs, *known}))})",
                where=str(entry),
            )
    grouped: dict[tuple[str, str], list[Fixture]] = {}
    for api in apis:
        folder = directory / api.slug
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".yaml", ".yml", ".json"):
                continue
            for fixture in _load_file(path, api):
                grouped.setdefault((api.slug, fixture.operation), []).append(fixture)
    return FixtureSet({key: sorted(items, key=lambda f: -f.specificity) for key, items in grouped.items()})
