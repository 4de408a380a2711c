"""Plain `schemathesis run` (the CLI, its default checks and settings) against the served mock.

Independent of our own checks: Schemathesis judges each answer from the spec alone. The README
says this is clean for every spec; this is the proof, as a user would run it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import CREDENTIALS, ROOT, SLUGS, SPECS, RunningServer, start_server

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Its own mock (Schemathesis sends thousands of requests), failing closed on its own answers."""
    running = start_server("--validate-responses", tmp=tmp_path_factory.mktemp("plain"))
    yield running
    running.stop()


def _base_path(slug: str) -> str:
    """The path of the spec's first server URL (`https://{host}/selfservice/v1` -> `/selfservice/v1`)."""
    spec = yaml.safe_load((SPECS / f"{slug}.yaml").read_text())
    return urlsplit(spec["servers"][0]["url"]).path.rstrip("/")


@pytest.mark.contract
@pytest.mark.parametrize("slug", SLUGS)
def test_plain_schemathesis_run_passes_the_mock(mock: RunningServer, slug: str) -> None:
    headers = [arg for name, value in CREDENTIALS[slug].items() for arg in ("-H", f"{name}: {value}")]
    argv = [str(SCHEMATHESIS), "run", str(SPECS / f"{slug}.yaml"), "--url", mock.base_url + _base_path(slug)]
    done = subprocess.run(
        [*argv, *headers, "--seed", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-4000:]
    assert " passed" in report and "failed" not in report.split("SUMMARY")[-1], report[-4000:]


@pytest.mark.contract
def test_onedata_with_only_a_bearer_shows_the_schemathesis_quirk_the_readme_names(
    mock: RunningServer,
) -> None:
    """Why the README says to give Onedata's X-Auth-Token: with only `Authorization: Bearer`,
    Schemathesis generates the other accepted scheme's header itself and takes the 200 that the
    valid Bearer earns for 'API accepts invalid authentication'. Should a Schemathesis release stop
    doing so, this fails, and the README's advice goes."""
    argv = [
        str(SCHEMATHESIS),
        "run",
        str(SPECS / "onedata.yaml"),
        "--url",
        mock.base_url + _base_path("onedata"),
    ]
    done = subprocess.run(
        [*argv, "-H", "Authorization: Bearer test-token", "--seed", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    summary = (done.stdout + done.stderr).split("SUMMARY")[-1]
    assert done.returncode != 0 and "ST401 API accepts invalid authentication" in summary, summary
    assert summary.count("❌ ST") == 1, summary  # that one finding, nothing else
