"""The README's pytest use of `load_contract` gives `verify`'s verdicts, for every API.

The README's snippet, read from README.md, runs in a fresh pytest (pytester, a subprocess)
against real servers per API: a broken fake a per-response check catches, a broken fake only one
of verify's probes catches (the per-response tests pass, `assert_probes` fails, and `verify`
fails it with the same title), the mock and the independent reference server (both pass; drift
from the spec's own decisions is a DriftWarning, not a failure). The in-process tests keep the
`app=` form and the drift rule of `assert_probes`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.verify import DriftWarning, ProbeError, assert_probes, check_probes, load_contract
from mockserver.verify.contract import api_of, target_of
from tests.conftest import CREDENTIALS, ROOT, SLUGS, SPECS, RunningServer, launch, start_server
from tests.contract.test_schemathesis import APP
from tests.verify.run import output, verify

schema = load_contract(
    SPECS / "eightbyeight.yaml", app=APP, headers={"Authorization": "Bearer test-token"}, max_examples=15
)


@schema.parametrize()
def test_app_keeps_the_8x8_contract(case: Any) -> None:
    # The schema a test gets is a copy; the spec's own checks must still find their facts.
    api = api_of(case.operation.schema)
    assert api is not None and api.slug == "eightbyeight"
    case.call_and_validate()


def test_app_keeps_the_8x8_contract_across_requests() -> None:
    client = TestClient(APP)
    assert client.post("/__mock/reset").status_code == 200
    found = check_probes(schema)  # through Starlette's test client: no port, no network
    assert found == [], found
    # The probes reached the app: a request without credentials (refused), pages of the list.
    entries = client.get("/__mock/journal", params={"limit": 1000}).json()["entries"]
    refused = [e for e in entries if e["status"] == 401 and "authorization" not in e["headers"]]
    paged = [e for e in entries if e["status"] == 200 and "offset=" in e["query"]]
    assert len(refused) == 1 and len(paged) >= 3, entries
    assert_probes(schema)


def test_probes_go_where_their_own_schema_points() -> None:
    # A second contract for the same spec (another server) leaves the first one's target alone.
    other = load_contract(SPECS / "eightbyeight.yaml", base_url="http://127.0.0.1:9", headers={"X": "y"})
    first, second = target_of(schema), target_of(other)
    assert first is not None and first.app is APP and first.headers == {"Authorization": "Bearer test-token"}
    assert second is not None and second.app is None and second.root.startswith("http://127.0.0.1:9/")


def test_probes_need_a_contract() -> None:
    with pytest.raises(ProbeError, match="load_contract"):
        check_probes(object())


def _readme_snippet() -> str:
    readme = (ROOT / "README.md").read_text()
    intro = readme.index("From your own pytest suite")
    (snippet,) = re.findall(r"^```python\n(.*?)^```$", readme[intro:], re.M | re.S)[:1]
    return snippet


README_SNIPPET = _readme_snippet()
# The README's names for the spec, the server and the credential, each replaced once per run.
PLACES = ('"specs/etlworks.yaml"', '"http://127.0.0.1:8000"', '{"Authorization": "Bearer t"})')
PROBES_TEST = "test_server_keeps_the_etlworks_contract_across_requests"

# Per API, a breakage a per-response check kills, and its title.
BROKEN = {
    "codecatalyst": ("enum-value", "Response violates schema"),
    "eightbyeight": ("wrong-order", "not ordered by /startedAt"),
    "etlworks": ("end-before-start", "ends before it starts"),
    "onedata": ("other-id", "/atmWorkflowExecutionId does not echo path.wid"),
    "oracle_selfservice": ("missing-id", "not one entry per requested id"),
}
# Per API, a breakage only one of verify's probes kills: the server command, the check, its title.
PROBED = {
    "codecatalyst": (
        ("tests.verify.fake", "--break", "status-regression"),
        "no_status_regression",
        "a terminal state was left",
    ),
    "eightbyeight": (
        ("tests.verify.fake", "--break", "pages-inconsistent"),
        "pages_consistent",
        "pages are not slices of one list",
    ),
    "etlworks": (
        ("tests.verify.fake", "--break", "end-moves"),
        "no_status_regression",
        "the end time changed",
    ),
    "onedata": (
        ("tests.verify.fake", "--break", "start-moves"),
        "no_status_regression",
        "the start time moved",
    ),
    "oracle_selfservice": (("tests.contract.probe_fake",), "no_status_regression", "the start time moved"),
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningServer]]:
    tmp = tmp_path_factory.mktemp("servers")
    running = {"mock": start_server(tmp=tmp)}
    try:
        for slug in SLUGS:
            running[f"independent-{slug}"] = launch("tests.verify.independent", slug, tmp=tmp)
            running[f"broken-{slug}"] = launch("tests.verify.fake", "--break", BROKEN[slug][0], tmp=tmp)
            running[f"probed-{slug}"] = launch(*PROBED[slug][0], tmp=tmp)
        yield running
    finally:
        for server in running.values():
            server.stop()


def _run(pytester: pytest.Pytester, slug: str, base_url: str) -> pytest.RunResult:
    spec, headers = str(SPECS / f"{slug}.yaml"), CREDENTIALS[slug]
    values = (repr(spec), repr(base_url), f"{headers!r}, max_examples=10, seed=1)")
    snippet = README_SNIPPET
    for place, value in zip(PLACES, values, strict=True):
        assert snippet.count(place) == 1, (place, snippet)
        snippet = snippet.replace(place, value)
    pytester.makepyfile(test_contract=snippet)
    return pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-W", "default", "-rA")


def test_the_readme_snippet_runs_the_probes() -> None:
    assert "assert_probes(schema)" in README_SNIPPET
    assert f"def {PROBES_TEST}():" in README_SNIPPET


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
def test_readme_snippet_and_verify_fail_a_fake_only_a_probe_catches(
    pytester: pytest.Pytester, servers: dict[str, RunningServer], slug: str
) -> None:
    base_url = servers[f"probed-{slug}"].base_url
    result = _run(pytester, slug, base_url)
    text = result.stdout.str()
    _, check, title = PROBED[slug]
    # Every per-response test passes: only the probes see the breakage.
    assert result.ret == 1, text
    assert result.parseoutcomes().get("failed") == 1 and result.parseoutcomes().get("passed", 0) >= 1, text
    assert f"FAILED test_contract.py::{PROBES_TEST}" in text, text
    assert f": {check}: {title}" in text, text
    # verify agrees: the same check and title fail its run.
    verified = verify(slug, base_url, CREDENTIALS[slug])
    assert verified.returncode == 1, output(verified)
    assert f"FAIL {check}: {title}" in verified.stdout, output(verified)


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
    assert result.parseoutcomes().get("passed", 0) >= 2, output
    assert f"PASSED test_contract.py::{PROBES_TEST}" in output, output


@pytest.mark.verify
def test_probe_drift_warns_and_fails_when_strict(servers: dict[str, RunningServer]) -> None:
    # The independent Onedata server refuses a missing token with 401 where the spec decided 403
    # (x-decision onedata-no-401): drift, as verify reports it; a failure with strict=True.
    base_url, headers = servers["independent-onedata"].base_url, CREDENTIALS["onedata"]
    lenient = load_contract(SPECS / "onedata.yaml", base_url=base_url, headers=headers, seed=1)
    found = [(f.check, f.decision) for _, f in check_probes(lenient)]
    assert found == [("credentials_required", "onedata-no-401")], found
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_probes(lenient)
    drift = [str(w.message) for w in caught if issubclass(w.category, DriftWarning)]
    assert drift == [
        "credentials_required: a request without credentials was not refused as documented "
        "(drift from x-decision onedata-no-401)"
    ], drift
    strict = load_contract(SPECS / "onedata.yaml", base_url=base_url, headers=headers, seed=1, strict=True)
    with pytest.raises(AssertionError, match="credentials_required: a request without credentials"):
        assert_probes(strict)
