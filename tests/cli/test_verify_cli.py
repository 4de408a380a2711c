"""`mockserver verify` as a user runs it: exit codes, the report, JUnit XML."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningServer, free_port

pytestmark = pytest.mark.verify


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "verify", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_mock_passes_verification_with_junit_report(server: RunningServer, tmp_path: Path) -> None:
    junit = tmp_path / "verify.xml"
    result = _verify(
        "specs/onedata.yaml",
        "--base-url",
        server.base_url,
        "--header",
        "X-Auth-Token: t",
        "--max-examples",
        "10",
        "--junit-xml",
        str(junit),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failures" in result.stdout.splitlines()[-1]
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("failures") == "0"
    assert [case.get("name") for case in suite] == ["GET /automation/execution/workflows/{wid}"]


def test_unreachable_server_is_a_clear_exit_2() -> None:
    result = _verify("specs/etlworks.yaml", "--base-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert result.stderr.startswith("mockserver: error: cannot reach") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["specs/etlworks.yaml"],
        ["specs/etlworks.yaml", "--base-url", "http://x", "--header", "no-colon"],
        ["specs/nope.yaml", "--base-url", "http://127.0.0.1:9"],
    ],
    ids=["no-base-url", "bad-header", "missing-spec"],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = _verify(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_violations_exit_1_with_evidence(tmp_path: Path) -> None:
    # The mock serves its own 8x8 spec; verifying it against a stricter copy (limit <= 3, while
    # the mock's collection can return more) is a real contract break with a curl to reproduce.
    strict = tmp_path / "eightbyeight.yaml"
    strict.write_text(
        (ROOT / "specs" / "eightbyeight.yaml").read_text().replace("maximum: 500", "maximum: 3")
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        result = _verify(
            str(strict),
            "--base-url",
            f"http://127.0.0.1:{port}",
            "--header",
            "Authorization: Bearer t",
            "--max-examples",
            "10",
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.returncode == 1, result.stdout
    assert "FAIL " in result.stdout and "reproduce: curl" in result.stdout


def test_report_heading_first_progress_plain_and_credentials_as_variables(
    server: RunningServer, tmp_path: Path
) -> None:
    # Against a stricter copy of the 8x8 spec, so there is a failure whose curl we can read.
    strict = tmp_path / "eightbyeight.yaml"
    text = (ROOT / "specs" / "eightbyeight.yaml").read_text()
    strict.write_text(text.replace("maximum: 500", "maximum: 3"))
    result = _verify(
        str(strict),
        "--base-url",
        server.base_url,
        "--header",
        "Authorization: Bearer secret-token-123",
        "--max-examples",
        "10",
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"verify {strict} against "), result.stdout
    assert "$TOKEN = your Authorization token" in lines[1], result.stdout
    # The secret never appears; the reproduce commands carry it as a variable the user exports.
    assert "secret-token-123" not in result.stdout and "[Filtered]" not in result.stdout
    assert '-H "Authorization: Bearer $TOKEN"' in result.stdout, result.stdout
    # Piped (capture_output is a pipe): progress still shows, phase by phase, as plain lines.
    progress = result.stderr.splitlines()
    for phase in ("examples", "coverage", "fuzzing", "probes"):
        assert any(line.strip().startswith(phase) for line in progress), result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    summary = lines[-1]
    assert " succeeded, " in summary and "failures" in summary, summary
