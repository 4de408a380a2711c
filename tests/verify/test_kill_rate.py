"""`mockserver verify` kills every broken fact and passes a correct server, over real HTTP.

Each breakage of `tests/verify/fake.py` runs as its own server process; `verify` runs as a
subprocess against it with the API's spec and must exit 1 naming the check that owns the fact.
The same verify run against the fake with nothing broken, and against `mockserver serve`, exits 0.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CREDENTIALS, ROOT, SLUGS, SPECS, RunningServer, launch, start_server
from tests.verify.fake import BREAKAGES, NONE

pytestmark = pytest.mark.verify

MAX_EXAMPLES = 15
SEED = 1


def start_fake(breakage: str, *, tmp: Path) -> RunningServer:
    """`python -m tests.verify.fake --break NAME` on a free loopback port, answering `/`."""
    return launch("tests.verify.fake", "--break", breakage, tmp=tmp)


def run_verify(slug: str, base_url: str) -> subprocess.CompletedProcess[str]:
    """`mockserver verify specs/<slug>.yaml` with the API's credentials; output for the report."""
    headers = [arg for name, value in CREDENTIALS[slug].items() for arg in ("--header", f"{name}: {value}")]
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "verify",
        str(SPECS / f"{slug}.yaml"),
        "--base-url",
        base_url,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        *headers,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("name", list(BREAKAGES), ids=list(BREAKAGES))
def test_verify_catches_the_broken_fact(name: str, tmp_path: Path) -> None:
    breakage = BREAKAGES[name]
    fake = start_fake(name, tmp=tmp_path)
    try:
        result = run_verify(breakage.slug, fake.base_url)
    finally:
        fake.stop()
    assert result.returncode == 1, f"{breakage.fact}: not a violation\n{_output(result)}"
    assert f"FAIL {breakage.check}:" in result.stdout, f"{breakage.fact}: missed\n{_output(result)}"
    failed = [line for line in result.stdout.splitlines() if line.startswith(f"  FAIL {breakage.check}:")]
    assert any(breakage.title in line for line in failed), f"{breakage.fact}: other branch\n{_output(result)}"


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
    assert result.returncode == 0, _output(result)
    assert "FAIL" not in result.stdout, _output(result)


@pytest.mark.parametrize("slug", SLUGS)
def test_verify_passes_the_plain_mock(plain_mock: RunningServer, slug: str) -> None:
    result = run_verify(slug, plain_mock.base_url)
    assert result.returncode == 0, _output(result)
    assert "FAIL" not in result.stdout, _output(result)
