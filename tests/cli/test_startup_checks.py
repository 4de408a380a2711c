"""`mockserver serve` refuses fault rules and fixture folders that would silently do nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SPECS, free_port, start_server


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _refused(
    result: subprocess.CompletedProcess[str], *fragments: str, prefix: str = "mockserver: error: "
) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


BAD_RULES = {
    "api-typo": ("{api: etlwork, error_rate: 0.5}", ("/rules/0", "'etlwork'", "did you mean 'etlworks'?")),
    "operation-typo": (
        "{api: etlworks, operation: getStatus, error_rate: 0.5}",
        ("/rules/0", "'getStatus'", "did you mean 'getFlowStatus'?"),
    ),
    "operation-typo-any-api": (
        "{operation: getWorkflowRunn, error_rate: 0.5}",
        ("'getWorkflowRunn'", "did you mean 'getWorkflowRun'?"),
    ),
    "undocumented-status": (
        "{api: etlworks, error_rate: 0.5, status: 429}",
        ("/rules/0", "status 429", "getFlowStatus", "force: true"),
    ),
}


@pytest.mark.parametrize("rule", sorted(BAD_RULES))
def test_a_fault_rule_that_could_never_fire_stops_start_up(tmp_path: Path, rule: str) -> None:
    text, fragments = BAD_RULES[rule]
    path = tmp_path / "faults.yaml"
    path.write_text(f"rules:\n  - {text}\n")
    _refused(_serve("--faults", str(path)), str(path), *fragments)


def test_an_error_status_that_is_no_error_stops_start_up() -> None:
    _refused(
        _serve("--error-status", "299", "--error-rate", "0.1"),
        "--error-status",
        "400-599",
        "'299'",
        prefix="mockserver serve: error: ",
    )


def test_a_forced_undocumented_status_is_a_warning_and_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("rules:\n  - {api: etlworks, error_rate: 1, status: 429, force: true}\n")
    server = start_server("--faults", str(path), tmp=tmp_path)
    try:
        with server.client() as client:
            response = client.get("/rest/v1/executions/5", headers={"Authorization": "Bearer t"})
    finally:
        server.stop()
    assert response.status_code == 429
    warning = f"mockserver: warning: {path}: /rules/0: status 429 is forced on getFlowStatus"
    assert warning in server.log.read_text()


def test_a_rule_for_an_api_not_served_now_is_idle_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("rules:\n  - {api: codecatalyst, error_rate: 0.2, status: 429}\n")
    server = start_server(str(SPECS / "etlworks.yaml"), "--faults", str(path), tmp=tmp_path)
    server.stop()
    assert "error" not in server.log.read_text()


def test_a_missing_fixture_directory_stops_start_up(tmp_path: Path) -> None:
    missing = tmp_path / "nodir"
    _refused(_serve("--fixtures", str(missing)), str(missing), "no such folder")


def test_a_fixture_folder_named_after_no_api_stops_start_up(tmp_path: Path) -> None:
    (tmp_path / "etlwork").mkdir()
    (tmp_path / "etlwork" / "runs.yaml").write_text("[]\n")
    _refused(_serve("--fixtures", str(tmp_path)), str(tmp_path / "etlwork"), "did you mean 'etlworks'?")


def test_fixture_folders_of_apis_not_served_now_are_fine(tmp_path: Path) -> None:
    """Serving one spec with the bundled fixtures (which hold folders for all five) still starts."""
    server = start_server(str(SPECS / "onedata.yaml"), tmp=tmp_path)
    server.stop()
    assert "error" not in server.log.read_text()
