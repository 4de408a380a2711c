"""The README's pytest use of `load_contract` gives `verify`'s verdicts, for every API.

The snippet runs in a fresh pytest (pytester, a subprocess) against three real servers per API:
a broken fake (one documented fact broken, caught by a per-response check: the test fails),
the mock (passes) and the independent reference server (passes; drift from the spec's own
decisions is a DriftWarning, not a failure). The in-process test below keeps the `app=` form.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.verify import load_contract
from mockserver.verify.contract import api_of
from tests.conftest import CREDENTIALS, SLUGS, SPECS, RunningServer, launch, start_server
from tests.contract.test_schemathesis import APP

schema = load_contract(
    SPECS / "eightbyeight.yaml", app=APP, headers={"Authorization": "Bearer test-token"}, max_examples=15
)


@schema.parametrize()
def test_app_keeps_the_8x8_contract(case: Any) -> None:
    # The schema a test gets is a copy; the spec's own checks must still find their facts.
    api = api_of(case.operation.schema)
    assert api is not None and api.slug == "eightbyeight"
    case.call_and_validate()


SNIPPET = """
from mockserver.verify import load_contract

schema = load_contract({spec!r}, base_url={base_url!r}, headers={headers!r}, max_examples=10, seed=1)


@schema.parametrize()
def test_server_keeps_the_contract(case):
    case.call_and_validate()
"""
# Per API, a breakage a per-response check kills (the probes are verify's alone), and its title.
BROKEN = {
    "codecatalyst": ("enum-value", "Response violates schema"),
    "eightbyeight": ("wrong-order", "not ordered by /startedAt"),
    "etlworks": ("end-before-start", "ends before it starts"),
    "onedata": ("other-id", "/atmWorkflowExecutionId does not echo path.wid"),
    "oracle_selfservice": ("missing-id", "not one entry per requested id"),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningServer]]:
    tmp = tmp_path_factory.mktemp("servers")
    running = {"mock": start_server(tmp=tmp)}
    try:
        for slug in SLUGS:
            running[f"independent-{slug}"] = launch("tests.verify.independent", slug, tmp=tmp)
            running[f"broken-{slug}"] = launch("tests.verify.fake", "--break", BROKEN[slug][0], tmp=tmp)
        yield running
    finally:
        for server in running.values():
            server.stop()


def _run(pytester: pytest.Pytester, slug: str, base_url: str) -> pytest.RunResult:
    spec = str(SPECS / f"{slug}.yaml")
    pytester.makepyfile(test_contract=SNIPPET.format(spec=spec, base_url=base_url, headers=CREDENTIALS[slug]))
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-W", "default")


@pytest.mark.verify
@pytest.mark.parametrize("slug", SLUGS)
def test_readme_snippet_fails_a_broken_fake(
    pytester: pytest.Pytester, servers: dict[str, RunningServer], slug: str
) -> None:
    result = _run(pytester, slug, servers[f"broken-{slug}"].base_url)
    output = result.stdout.str()
    assert result.ret == 1, output
    assert result.parseoutcomes().get("failed", 0) >= 1, output
    assert BROKEN[slug][1] in output, output


@pytest.mark.verify
@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("server", ["mock", "independent"])
def test_readme_snippet_passes_correct_servers(
    pytester: pytest.Pytester, servers: dict[str, RunningServer], slug: str, server: str
) -> None:
    key = "mock" if server == "mock" else f"independent-{slug}"
    result = _run(pytester, slug, servers[key].base_url)
    output = result.stdout.str()
    assert result.ret == 0, output
    assert result.parseoutcomes().get("passed", 0) >= 1, output
