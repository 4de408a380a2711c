"""`mockserver verify` kills every broken fact and passes a correct server, over real HTTP.

Each breakage of `tests/verify/fake.py` runs as its own server process; `verify` runs as a
subprocess against it with the API's spec and must exit 1 naming the check that owns the fact.
The same verify run against the fake with nothing broken, and against `mockserver serve`, exits 0.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CREDENTIALS, SLUGS, RunningServer, launch, start_server
from tests.verify.fake import BREAKAGES, NONE
from tests.verify.run import output, verify

pytestmark = pytest.mark.verify


def start_fake(breakage: str, *, tmp: Path) -> RunningServer:
    """`python -m tests.verify.fake --break NAME` on a free loopback port, answering `/`."""
    return launch("tests.verify.fake", "--break", breakage, tmp=tmp)


def run_verify(slug: str, base_url: str) -> subprocess.CompletedProcess[str]:
    """`mockserver verify specs/<slug>.yaml` with the API's credentials; output for the report."""
    return verify(slug, base_url, CREDENTIALS[slug])


@pytest.mark.parametrize("name", list(BREAKAGES), ids=list(BREAKAGES))
def test_verify_catches_the_broken_fact(name: str, tmp_path: Path) -> None:
    breakage = BREAKAGES[name]
    fake = start_fake(name, tmp=tmp_path)
    try:
        result = run_verify(breakage.slug, fake.base_url)
    finally:
        fake.stop()
    assert result.returncode == 1, f"{breakage.fact}: not a violation\n{output(result)}"
    assert f"FAIL {breakage.check}:" in result.stdout, f"{breakage.fact}: missed\n{output(result)}"
    failed = [line for line in result.stdout.splitlines() if line.startswith(f"  FAIL {breakage.check}:")]
    assert any(breakage.title in line for line in failed), f"{breakage.fact}: other branch\n{output(result)}"


@pytest.fixture(scope="module")
def correct_fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_fake(NONE, tmp=tmp_path_factory.mktemp("fake"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def plain_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp=tmp_path_factory.mktemp("mock"))
    yield running
    running.stop()


@pytest.mark.parametrize("slug", SLUGS)
def test_verify_passes_the_fake_with_nothing_broken(correct_fake: RunningServer, slug: str) -> None:
    result = run_verify(slug, correct_fake.base_url)
    assert result.returncode == 0, output(result)
    assert "FAIL" not in result.stdout, output(result)


@pytest.mark.parametrize("slug", SLUGS)
def test_verify_passes_the_plain_mock(plain_mock: RunningServer, slug: str) -> None:
    result = run_verify(slug, plain_mock.base_url)
    assert result.returncode == 0, output(result)
    assert "FAIL" not in result.stdout, output(result)
