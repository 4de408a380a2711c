"""The package's shape: layers point one way, Connexion in server/; no circle or big module anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mockserver

ROOT = Path(mockserver.__file__).parent
LAYERS = ("spec", "produce", "render", "pipeline", "server")
"""Lower first: a layer imports only from layers before it (and from the package root's helpers)."""
MAX_LINES = 300


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports (at any depth: lazy and TYPE_CHECKING imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


FILES = {_module(p): p for p in sorted(ROOT.rglob("*.py"))}
GRAPH = {name: {m for m in _imports(path) if m in FILES and m != name} for name, path in FILES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 2 and parts[1] in LAYERS else None


def test_no_import_circle() -> None:
    """Over every module of the package (the graph is not limited to the layers)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    assert circles == []


@pytest.mark.parametrize("module", [m for m in FILES if _layer(m) is not None])
def test_layers_point_one_way(module: str) -> None:
    own = _layer(module)
    assert own is not None
    upward = [m for m in GRAPH[module] if (other := _layer(m)) is not None and other > own]
    assert upward == [], f"{module} imports a later layer"


@pytest.mark.parametrize("module", list(FILES))
def test_modules_are_small(module: str) -> None:
    """Every module of the package, layered or not (lint/, verify/, store/, cli.py, ...)."""
    lines = len(FILES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


def test_every_module_is_held_to_the_size_limit() -> None:
    # The walk above sees the consumers and the package root too, not only the five layers.
    outside = {"mockserver.cli", "mockserver.lint", "mockserver.verify.checks", "mockserver.settings"}
    assert outside <= set(FILES)
    assert all(_layer(m) is None for m in outside)


@pytest.mark.parametrize("module", [m for m in FILES if _layer(m) not in (None, LAYERS.index("server"))])
def test_only_server_knows_connexion_and_starlette(module: str) -> None:
    web = [m for m in _imports(FILES[module]) if m.split(".")[0] in ("connexion", "starlette")]
    assert web == []


def test_connexion_internals_are_touched_in_one_module() -> None:
    private = ("._fn", "._uri_parser_class", "._validator_map", "_generic_check", "_resolve_func")
    touching = sorted(
        name for name, path in FILES.items() if any(token in path.read_text() for token in private)
    )
    assert touching == ["mockserver.server.connexion"]


def test_no_class_is_over_200_lines() -> None:
    long = [
        f"{name}.{node.name}"
        for name, path in FILES.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and (node.end_lineno or 0) - node.lineno + 1 > 200
    ]
    assert long == []
