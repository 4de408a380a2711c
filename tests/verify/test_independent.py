"""`mockserver verify` raises no false alarm against correct servers that were not built by us.

Each server in `tests/verify/independent/` is written from its vendor page alone, shares no code
with `mockserver`, keeps every documented fact, and decides the points the page leaves open
differently from our specs. `verify` must pass each (exit 0, no FAIL) and show the drift from
our decisions as warnings; `--strict` turns that drift into failures.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CREDENTIALS, SLUGS, RunningServer, launch
from tests.verify.run import output, verify

pytestmark = pytest.mark.verify

# The drift each server is written to show: (check, x-decision) on its verify report.
DRIFT = {
    "codecatalyst": ("missing_required_header", "codecatalyst-missing-credential-401"),
    "eightbyeight": ("status_fields", "eightbyeight-completed-at-complete-only"),
    "etlworks": ("response_schema_conformance", "etlworks-error-body"),
    "onedata": ("credentials_required", "onedata-no-401"),
    "oracle_selfservice": ("response_schema_conformance", "oracle_selfservice-error-body"),
}
# Onedata also takes its token in the other header its documentation names.
VARIANTS = [(slug, CREDENTIALS[slug]) for slug in SLUGS] + [
    ("onedata", {"Authorization": "Bearer test-token"}),
]


def start_independent(slug: str, tmp: Path) -> RunningServer:
    return launch("tests.verify.independent", slug, tmp=tmp)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningServer]]:
    running = {slug: start_independent(slug, tmp_path_factory.mktemp(slug)) for slug in SLUGS}
    yield running
    for server in running.values():
        server.stop()


@pytest.mark.parametrize(("slug", "headers"), VARIANTS, ids=[f"{s}-{next(iter(h))}" for s, h in VARIANTS])
def test_verify_passes_the_independent_server(
    servers: dict[str, RunningServer], slug: str, headers: dict[str, str]
) -> None:
    result = verify(slug, servers[slug].base_url, headers)
    assert result.returncode == 0, output(result)
    assert "FAIL" not in result.stdout, output(result)
    check, decision = DRIFT[slug]
    assert f"WARN {check}:" in result.stdout, output(result)
    assert f"drift from x-decision {decision}" in result.stdout, output(result)
    summary = result.stdout.splitlines()[-1]
    assert " 0 failures" in summary and "drift warnings" in summary, summary


def test_strict_turns_drift_into_failure(servers: dict[str, RunningServer], tmp_path: Path) -> None:
    junit = tmp_path / "verify.xml"
    url, headers = servers["eightbyeight"].base_url, CREDENTIALS["eightbyeight"]
    lenient = verify("eightbyeight", url, headers, "--junit-xml", str(junit))
    assert lenient.returncode == 0, output(lenient)
    text = junit.read_text()
    assert "<skipped" in text and "eightbyeight-completed-at-complete-only" in text, text
    strict = verify("eightbyeight", url, headers, "--strict")
    assert strict.returncode == 1, output(strict)
    assert "FAIL status_fields: /completedAt is set while Terminated" in strict.stdout, output(strict)


def test_a_server_that_refuses_every_request_fails(servers: dict[str, RunningServer]) -> None:
    # A credential the server does not accept: every valid request is refused, nothing is proved.
    result = verify("etlworks", servers["etlworks"].base_url, {"Authorization": "Bearer not-a-known-token"})
    assert result.returncode == 1, output(result)
    refused = "FAIL valid_requests_succeed: every valid request was refused: 403 ×"  # noqa: RUF001
    assert refused in result.stdout, output(result)
    assert "check --header" in result.stdout
    assert "0 succeeded" in result.stdout.splitlines()[-1]


def test_independent_servers_share_no_code_with_mockserver() -> None:
    folder = Path(__file__).parent / "independent"
    modules = sorted(folder.glob("*.py"))
    assert len(modules) >= len(SLUGS) + 2
    for path in modules:
        tree = ast.parse(path.read_text())
        imported = [
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        outside = [
            name
            for name in imported
            if name.split(".")[0] not in _ALLOWED and not name.startswith("tests.verify.independent")
        ]
        assert not outside, f"{path.name} imports {outside}"


_ALLOWED = {"__future__", "argparse", "collections", "dataclasses", "datetime", "hashlib", "http"}
_ALLOWED |= {"importlib", "json", "re", "sys", "time", "typing", "urllib", "uuid"}
