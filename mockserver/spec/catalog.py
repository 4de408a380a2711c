"""Find, load and resolve the specs; one `Api` object per spec file."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from mockserver.exceptions import SpecError
from mockserver.spec.pointers import pointer_escape, pointer_follow
from mockserver.spec.rules import MockRules, mock_rules_from

__all__ = [
    "HTTP_METHODS",
    "Api",
    "Operation",
    "Parameter",
    "load_api",
    "load_catalog",
    "load_document",
    "resolve_refs",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    """One request parameter, with its `$ref`s resolved."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    explode: bool = True

    @property
    def ref(self) -> str:
        """The name used by `x-mock`: `path.id`, `query.limit`, ..."""
        return f"{self.location}.{self.name}"


@dataclass(frozen=True)
class Operation:
    """One operation of an API, with everything the mock needs resolved."""

    id: str
    method: str
    path: str
    full_path: str
    pointer: str
    parameters: tuple[Parameter, ...]
    responses: Mapping[str, Mapping[str, Any]]
    security: tuple[Mapping[str, Any], ...]
    rules: MockRules

    def parameter(self, ref: str) -> Parameter | None:
        return next((p for p in self.parameters if p.ref == ref), None)

    def matches(self, path: str) -> dict[str, str] | None:
        """The path parameters if `path` fits this operation's template, else None."""
        match = _template_regex(self.full_path).fullmatch(path)
        return match.groupdict() if match else None


@dataclass(frozen=True)
class Api:
    """One spec file: its raw document (for Connexion) and its resolved operations."""

    slug: str
    source: Path
    document: Mapping[str, Any] = field(repr=False)
    title: str
    version: str
    base_path: str
    operations: tuple[Operation, ...]
    security_schemes: Mapping[str, Mapping[str, Any]]

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.id == operation_id)


YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~9x faster
_DOCUMENTS: dict[tuple[Path, float, int], dict[str, Any]] = {}


def load_document(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON document; a syntax error names the file and line.

    Parsed once per process and file version (lint, startup checks and the catalog share it);
    callers get a copy they may change.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", where=str(path)) from None
    key = (path.resolve(), stat.st_mtime, stat.st_size)
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = _parse(path)
    return copy.deepcopy(_DOCUMENTS[key])


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror}", where=str(path)) from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text ({exc.reason})", where=str(path)) from None
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"invalid YAML: {problem}", where=where) from None
    if not isinstance(data, dict):
        raise SpecError("not an OpenAPI document (expected a mapping)", where=str(path))
    return data


def resolve_refs(document: Mapping[str, Any], *, where: str) -> Any:
    """A copy of the document with every local `$ref` replaced by what it points to."""

    def walk(node: Any, pointer: str, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            if isinstance(ref := node.get("$ref"), str):
                if ref in seen:
                    raise SpecError(f"$ref {ref!r} refers to itself", where=f"{where}#{pointer}")
                try:
                    target = pointer_follow(document, ref)
                except (KeyError, IndexError, ValueError, TypeError):
                    raise SpecError(f"$ref {ref!r} points to nothing", where=f"{where}#{pointer}") from None
                return walk(target, ref[1:], (*seen, ref))
            return {k: walk(v, f"{pointer}/{pointer_escape(str(k))}", seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{pointer}/{i}", seen) for i, v in enumerate(node)]
        return node

    return walk(document, "", ())


def _base_path(document: Mapping[str, Any]) -> str:
    servers = document.get("servers") or [{"url": "/"}]
    url = str(servers[0].get("url", "/"))
    for name, var in (servers[0].get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(var.get("default", "")))
    return urlsplit(url).path.rstrip("/")


@functools.cache
def _template_regex(path: str) -> re.Pattern[str]:
    parts = re.split(r"\{([^}/]+)\}", path)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(pattern)


def _operations(resolved: Mapping[str, Any], base_path: str, where: str) -> Iterable[Operation]:
    root_security = tuple(resolved.get("security") or ())
    for path, item in (resolved.get("paths") or {}).items():
        shared = item.get("parameters") or []
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            pointer = f"/paths/{pointer_escape(path)}/{method}"
            by_key = {(p["in"], p["name"]): p for p in [*shared, *(raw.get("parameters") or [])]}
            params = tuple(
                Parameter(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required", p["in"] == "path")),
                    schema=p.get("schema") or {},
                    explode=bool(p.get("explode", p.get("style", "form") == "form")),
                )
                for p in by_key.values()
            )
            path_names = tuple(p.name for p in params if p.location == "path")
            operation_id = str(raw.get("operationId") or f"{method} {path}")
            yield Operation(
                id=operation_id,
                method=method.upper(),
                path=path,
                full_path=base_path + path,
                pointer=pointer,
                parameters=params,
                responses={str(k): v for k, v in (raw.get("responses") or {}).items()},
                security=tuple(raw["security"]) if "security" in raw else root_security,
                rules=mock_rules_from(raw.get("x-mock"), operation_id, path_names),
            )


def load_api(path: Path) -> Api:
    """Load one spec file into an `Api`.

    Raises:
        SpecError: the file is unreadable, not OpenAPI 3.0, or has a broken `$ref`.
    """
    document = load_document(path)
    version = str(document.get("openapi", ""))
    if not version.startswith("3.0"):
        raise SpecError(
            f"openapi version {version or 'missing'!r} is not served: Connexion 3 loads 3.0.x only",
            where=f"{path}#/openapi",
        )
    resolved = resolve_refs(document, where=str(path))
    info = resolved.get("info") or {}
    base_path = _base_path(resolved)
    return Api(
        slug=path.stem,
        source=path,
        document=document,
        title=str(info.get("title", path.stem)),
        version=str(info.get("version", "")),
        base_path=base_path,
        operations=tuple(_operations(resolved, base_path, str(path))),
        security_schemes=(resolved.get("components") or {}).get("securitySchemes") or {},
    )


def load_catalog(paths: Iterable[Path]) -> list[Api]:
    """Load several specs; two APIs may not serve the same method and path."""
    apis = [load_api(p) for p in paths]
    seen: dict[tuple[str, str], str] = {}
    for api in apis:
        for op in api.operations:
            shape = (op.method, re.sub(r"\{[^}]+\}", "{}", op.full_path))
            if shape in seen and seen[shape] != api.slug:
                raise SpecError(
                    f"{op.method} {op.full_path} is also served by {seen[shape]!r}",
                    where=f"{api.source}#{op.pointer}",
                )
            seen[shape] = api.slug
    return apis
