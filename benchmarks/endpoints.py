"""The endpoint loaded for each API and its pools of URLs: generated ids, and the fixtures' sample ids.

A pool holds paths relative to the API's base path (Prism serves a spec without its base path;
the mock and the ceiling get `base + path`).
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import yaml

from benchmarks.config import BenchError
from mockserver.exceptions import MockServerError
from mockserver.spec.catalog import load_api

__all__ = ["ENDPOINTS", "Endpoint", "Pool", "fixture_pool", "generated_pool", "resolve"]

BEARER = {"Authorization": "Bearer aaa.bbb.ccc"}
ORACLE = {**BEARER, "Identifier": "2f1c6a52-0c1e-4f0e-9d37-0f6f0c0b8a11"}
ONEDATA = {"X-Auth-Token": "t"}

Values = dict[str, Any]  # parameter name -> value (a list for a repeated query parameter)
Query = tuple[tuple[str, str], ...]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _oracle(rng: random.Random, i: int) -> tuple[Values, Values]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ids = ["3-" + "".join(rng.choice(alphabet) for _ in range(7)) for _ in range(1 + i % 2)]
    return {}, {"id": ids}


def _etlworks(rng: random.Random, i: int) -> tuple[Values, Values]:
    return {"flowId": rng.randint(1, 9_999_999)}, {}


def _onedata(rng: random.Random, i: int) -> tuple[Values, Values]:
    return {"wid": f"{rng.getrandbits(128):032x}ch{rng.getrandbits(16):04x}"}, {}


def _codecatalyst(rng: random.Random, i: int) -> tuple[Values, Values]:
    return {"spaceName": f"Space{i % 5}", "projectName": f"Project{i % 7}", "id": _uuid(rng)}, {}


def _eightbyeight(rng: random.Random, i: int) -> tuple[Values, Values]:
    return {"accountId": f"account_{i % 10}", "definitionId": _uuid(rng)}, {}


@dataclass(frozen=True)
class Endpoint:
    """One operation of one API, loaded as a poller calls it."""

    slug: str
    operation: str
    template: str  # the spec's path, without the base path
    headers: Mapping[str, str]
    make: Callable[[random.Random, int], tuple[Values, Values]]  # (rng, index) -> (path, query)
    query: Query = ()  # sent with every generated request
    # Fixture URLs are sent with each of these queries in turn: variations the sample record still
    # answers (optional ids it echoes, list options); default: `query` alone.
    fixture_queries: tuple[Query, ...] | None = None
    base: str = ""  # the spec's base path, from `resolve`

    @property
    def spec(self) -> str:
        return f"specs/{self.slug}.yaml"

    @property
    def prefix(self) -> str:
        """The fixed start of the full path, up to the first path parameter."""
        return (self.base + self.template).split("{", 1)[0]

    def path(self, path_values: Values, query_values: Values, extra: Query | None = None) -> str:
        names = re.findall(r"{([^}]+)}", self.template)
        missing = [n for n in names if path_values.get(n) is None]
        if missing:
            raise KeyError(", ".join(missing))
        filled = self.template
        for name in names:
            filled = filled.replace("{" + name + "}", quote(str(path_values[name]), safe=""))
        pairs: list[tuple[str, str]] = []
        for name, value in query_values.items():
            if value is None:
                continue
            items: Iterable[Any] = value if isinstance(value, list) else [value]
            pairs += [(name, str(item)) for item in items]
        pairs += [(k, v) for k, v in (self.query if extra is None else extra) if k not in query_values]
        return filled + ("?" + urlencode(pairs) if pairs else "")


@dataclass(frozen=True)
class Pool:
    """Paths (with query) relative to `base`, in the order they are sent."""

    kind: str  # "generated" or "fixtures"
    base: str
    paths: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def full(self) -> tuple[str, ...]:
        return tuple(self.base + p for p in self.paths)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "oracle_selfservice",
        "getWorkflowStatus",
        "/executions/status",
        ORACLE,
        _oracle,
        query=(("requestor", "EXADATA_CPU_SCALE"),),
        fixture_queries=((("requestor", "EXADATA_CPU_SCALE"),), (("requestor", "EXADATA_PATCHING"),)),
    ),
    Endpoint(
        "etlworks",
        "getFlowStatus",
        "/rest/v1/executions/{flowId}",
        BEARER,
        _etlworks,
        fixture_queries=(
            (),
            (("auditId", "1234567"),),
            (("messageId", "15a20488-0224-4ae1-a52c-9ee65a69f2c5"),),
            (("auditId", "1234567"), ("messageId", "15a20488-0224-4ae1-a52c-9ee65a69f2c5")),
        ),
    ),
    Endpoint(
        "onedata", "getWorkflowExecutionDetails", "/automation/execution/workflows/{wid}", ONEDATA, _onedata
    ),
    Endpoint(
        "codecatalyst",
        "getWorkflowRun",
        "/v1/spaces/{spaceName}/projects/{projectName}/workflowRuns/{id}",
        BEARER,
        _codecatalyst,
    ),
    Endpoint(
        "eightbyeight",
        "listWorkflowInstances",
        "/accounts/{accountId}/definitions/{definitionId}/workflows",
        BEARER,
        _eightbyeight,
        query=(("limit", "20"),),
        fixture_queries=((("limit", "20"),), (("limit", "5"),), (("limit", "20"), ("status", "Complete"))),
    ),
)


def resolve(project: Path) -> tuple[Endpoint, ...]:
    """The endpoints with their base paths, checked against the project's specs."""
    resolved = []
    for endpoint in ENDPOINTS:
        spec = project / endpoint.spec
        try:
            api = load_api(spec)
        except MockServerError as exc:
            raise BenchError(f"{spec}: cannot read the spec: {exc}") from None
        if not any(
            op.method == "GET" and op.path == endpoint.template and op.id == endpoint.operation
            for op in api.operations
        ):
            raise BenchError(
                f"{spec}: no GET {endpoint.template} with operationId {endpoint.operation}; "
                "update benchmarks/endpoints.py"
            )
        resolved.append(replace(endpoint, base=api.base_path))
    return tuple(resolved)


def _fixture_records(project: Path, endpoint: Endpoint) -> list[dict[str, Any]]:
    directory = project / "fixtures" / endpoint.slug
    records: list[dict[str, Any]] = []
    for file in sorted(directory.glob("*")):
        if file.suffix not in (".yaml", ".yml", ".json"):
            continue
        loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or []
        records += [r for r in loaded if isinstance(r, dict) and r.get("operation") == endpoint.operation]
    return records


def fixture_pool(project: Path, endpoint: Endpoint, *, stories: bool = False) -> Pool:
    """The stored fixture records of the endpoint's operation that answer 2xx, as URLs.

    Records pinning an id to a scenario are left out unless `stories`: their answers are generated
    poll by poll (that work is what (a) measures), while Prism static, which (b) is compared with,
    returns a stored example.
    """
    paths: list[str] = []
    notes: list[str] = []
    for record in _fixture_records(project, endpoint):
        if not 200 <= int(record.get("status", 200)) < 300:
            continue
        if record.get("scenario") and not stories:
            continue
        request = record.get("request") or {}
        for query in endpoint.fixture_queries or (endpoint.query,):
            try:
                path = endpoint.path(dict(request.get("path") or {}), dict(request.get("query") or {}), query)
            except KeyError as exc:
                notes.append(f"a fixture record without path parameter {exc} was left out")
                break
            if path not in paths:
                paths.append(path)
    if not paths:
        notes.append(f"no 2xx fixture record for {endpoint.operation}")
    return Pool("fixtures", endpoint.base, tuple(paths), tuple(notes))


def generated_pool(project: Path, endpoint: Endpoint, size: int, seed: int = 20240601) -> Pool:
    """`size` distinct URLs with random ids that no fixture record holds, shuffled."""
    rng = random.Random(f"{seed}:{endpoint.slug}")
    taken = set(fixture_pool(project, endpoint, stories=True).paths)
    paths: dict[str, None] = {}
    index = 0
    while len(paths) < size:
        path = endpoint.path(*endpoint.make(rng, index))
        index += 1
        if path not in taken:
            paths[path] = None
    ordered = list(paths)
    rng.shuffle(ordered)
    return Pool("generated", endpoint.base, tuple(ordered))
